# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Detection metrics against hand-computed values (evaluation.metrics / matching / ap)."""
import copy

import pytest

from billiards_vision.evaluation import ground_truth_as_predictions, score_detections
from billiards_vision.table_geometry import ball_type_of_number

RADIUS = 12.0  # px; the default gate is 0.5 x radius = 6 px
MARKERS = [[300.0, 200.0], [700.0, 200.0]]


def make_gt(n_frames=4, n_balls=10, cue_angle=30.0):
    """Synthetic ground truth: n_balls on a row, drifting right 2 px per frame."""
    frames = []
    for f in range(n_frames):
        balls = [{'id': i, 'number': i, 'type': ball_type_of_number(i),
                  'x': 100.0 + 50 * i + 2 * f, 'y': 300.0 + 10 * (i % 3), 'radius': RADIUS,
                  'position_m': [0.0, 0.0], 'velocity_mps': [0.3, 0.4], 'visible': True, 'pocketed': False}
                 for i in range(n_balls)]
        # A pocketed ball is never an expected detection.
        balls.append({'id': 15, 'number': 15, 'type': 'stripe', 'x': -50.0, 'y': -50.0,
                      'radius': RADIUS, 'position_m': [0.0, 0.0], 'velocity_mps': [0.0, 0.0],
                      'visible': False, 'pocketed': True})
        frames.append({
            'frame': f, 't': f / 30.0, 'image_size': [1000, 600],
            'table': {'corners_px': [[50, 50], [950, 50], [950, 550], [50, 550]],
                      'pockets_px': [[50, 50], [500, 45], [950, 50], [950, 550], [500, 555], [50, 550]],
                      'size_m': [2.54, 1.27]},
            'balls': balls,
            'cue': {'tip_px': [400.0, 450.0], 'butt_px': [100.0, 500.0], 'angle_deg': cue_angle,
                    'tip_m': [0.0, 0.0]},
            'markers_px': copy.deepcopy(MARKERS),
        })
    return frames


def test_ground_truth_against_itself_is_perfect():
    gt = make_gt()
    m = score_detections(gt, ground_truth_as_predictions(gt))
    b = m['balls']
    assert (b['n_gt'], b['tp'], b['fp'], b['fn']) == (40, 40, 0, 0)
    assert b['precision'] == b['recall'] == b['f1'] == 1.0
    assert b['centre_error_px']['median'] == 0.0 and b['centre_error_px']['max'] == 0.0
    assert b['radius_error_px']['max'] == 0.0 and b['marker_fp'] == 0 and b['n_markers'] == 8
    assert m['types']['accuracy'] == 1.0 and m['types']['n'] == 40
    assert m['numbers']['accuracy'] == 1.0
    assert m['table']['n_detected'] == 4 and m['table']['corner_error_px']['max'] == 0.0
    assert m['table']['pocket_error_px']['max'] == 0.0 and m['table']['field_iou']['min'] == 1.0
    assert m['cue']['n_detected'] == 4 and m['cue']['angle_error_deg']['max'] == 0.0
    assert m['cue']['tip_error_px']['max'] == 0.0
    assert m['ap']['ball_ap'] == 1.0 and m['ap']['map'] == 1.0
    assert m['frames']['n_missing_pred'] == 0


def test_shifted_centres_give_exact_centre_error():
    gt = make_gt()
    pred = ground_truth_as_predictions(gt)
    for frame in pred:
        for ball in frame['balls']:
            ball['x'] += 3.0
            ball['y'] -= 4.0
    b = score_detections(gt, pred)['balls']
    assert b['recall'] == 1.0
    assert b['centre_error_px']['median'] == pytest.approx(5.0)
    assert b['centre_error_px']['p95'] == pytest.approx(5.0)


def test_distance_gate_is_half_the_radius():
    gt = make_gt(n_frames=1, n_balls=1)
    for dx, matched in ((5.9, 1), (6.1, 0)):
        pred = ground_truth_as_predictions(gt)
        pred[0]['balls'][0]['x'] += dx
        assert score_detections(gt, pred)['balls']['tp'] == matched
        assert score_detections(gt, pred, gate=0.6)['balls']['tp'] == 1


def test_dropped_balls_lower_recall_exactly():
    gt = make_gt()
    pred = ground_truth_as_predictions(gt)
    for frame in pred[:3]:          # drop one ball in each of 3 frames: k = 3 of n = 40
        frame['balls'].pop(4)
    m = score_detections(gt, pred)
    b = m['balls']
    assert (b['tp'], b['fn'], b['fp']) == (37, 3, 0)
    assert b['recall'] == pytest.approx(37 / 40)
    assert b['precision'] == 1.0
    assert b['f1'] == pytest.approx(2 * 37 / (2 * 37 + 3))
    assert [row['recall'] for row in m['per_frame']] == [0.9, 0.9, 0.9, 1.0]


def test_balls_on_marker_dots_are_counted():
    gt = make_gt()
    pred = ground_truth_as_predictions(gt)
    for frame in pred:
        for mx, my in MARKERS:
            frame['balls'].append({'x': mx + 1.0, 'y': my, 'radius': 8.0, 'type': 'cue', 'number': 0})
    pred[0]['balls'].append({'x': 500.0, 'y': 100.0, 'radius': 8.0, 'type': 'solid'})  # not on a dot
    b = score_detections(gt, pred)['balls']
    assert (b['tp'], b['fp'], b['marker_fp'], b['n_markers']) == (40, 9, 8, 8)
    assert b['precision'] == pytest.approx(40 / 49)
    assert b['recall'] == 1.0


def test_type_and_number_errors_enter_the_confusion_matrix():
    gt = make_gt(n_frames=1)
    pred = ground_truth_as_predictions(gt)
    pred[0]['balls'][3].update(type='stripe', number=11)      # ball 3 is a solid
    pred[0]['balls'][5]['number'] = None                       # type right, number missing
    m = score_detections(gt, pred)
    assert m['types']['accuracy'] == pytest.approx(9 / 10)
    assert m['numbers']['accuracy'] == pytest.approx(8 / 10)
    labels, matrix = m['types']['confusion']['labels'], m['types']['confusion']['matrix']
    assert matrix[labels.index('solid')][labels.index('stripe')] == 1
    assert matrix[labels.index('solid')][labels.index('solid')] == 6   # balls 1-7 minus ball 3
    assert matrix[labels.index('cue')][labels.index('cue')] == 1


def test_hungarian_matching_beats_greedy_nearest():
    gt = [{'frame': 0, 'balls': [{'x': 0.0, 'y': 0.0, 'radius': RADIUS, 'type': 'solid'},
                                 {'x': 8.0, 'y': 0.0, 'radius': RADIUS, 'type': 'solid'}]}]
    # Nearest-first would give the (3.5 px) pair to ball 0 and leave the second prediction,
    # admissible only for ball 0, unmatched.
    pred = [{'frame': 0, 'balls': [{'x': 3.5, 'y': 0.0, 'radius': RADIUS},
                                   {'x': -5.0, 'y': 0.0, 'radius': RADIUS}]}]
    b = score_detections(gt, pred)['balls']
    assert (b['tp'], b['fp'], b['fn']) == (2, 0, 0)


def test_iou_matching_threshold_on_boxes():
    # 18 x 18 box; a shift d along x gives IoU (18 - d) / (18 + d): d = 6 -> 0.5, d = 6.5 -> 0.469.
    gt = [{'image': '/data/a.png', 'balls': [{'x': 109.0, 'y': 59.0, 'radius': 9.0, 'type': 'eight',
                                              'number': None, 'bbox': [100, 50, 18, 18]}]}]
    for d, matched in ((0.0, 1), (6.0, 1), (6.5, 0)):
        ball = {'x': 109.0 + d, 'y': 59.0, 'radius': 9.0, 'type': 'eight'}
        pred = [{'image': '/data/a.png', 'balls': [ball]}]
        m = score_detections(gt, pred)          # auto -> IoU because the ground truth has boxes
        assert m['per_frame'][0]['match'] == 'iou'
        assert m['balls']['tp'] == matched
    # Centre distance with the same 6.5 px shift is outside 0.5 x 9 px too, but 4 px is inside.
    pred = [{'image': '/data/a.png', 'balls': [{'x': 113.0, 'y': 59.0, 'radius': 9.0}]}]
    assert score_detections(gt, pred, match='distance')['balls']['tp'] == 1


def test_cue_angle_error_wraps_and_cue_false_positives():
    gt = make_gt(n_frames=2, cue_angle=359.0)
    pred = ground_truth_as_predictions(gt)
    pred[0]['cue']['angle_deg'] = 1.0
    pred[1]['cue']['angle_deg'] = 2.0
    pred[1]['cue']['tip_px'] = [403.0, 454.0]
    c = score_detections(gt, pred)['cue']
    assert c['angle_error_deg']['max'] == pytest.approx(3.0)
    assert c['angle_error_deg']['median'] == pytest.approx(2.5)
    assert c['tip_error_px']['max'] == pytest.approx(5.0)

    gt = make_gt(n_frames=3, cue_angle=10.0)
    pred = ground_truth_as_predictions(gt)
    pred[0]['cue']['angle_deg'] = 13.0
    gt[1]['cue'] = None                 # labelled: no cue in view, but one is reported
    gt[2]['cue'] = None
    pred[2]['cue'] = None
    c = score_detections(gt, pred)['cue']
    assert c['angle_error_deg']['max'] == pytest.approx(3.0)
    assert (c['n_with_cue'], c['n_without_cue'], c['false_positives']) == (1, 2, 1)
    assert c['false_positive_rate'] == 0.5


def test_table_corner_error_keeps_the_given_order():
    gt = make_gt(n_frames=2)
    pred = ground_truth_as_predictions(gt)
    pred[0]['table']['corners_px'][1] = [954, 53]             # one corner 5 px off
    corners = pred[1]['table']['corners_px']
    pred[1]['table']['corners_px'] = corners[1:] + corners[:1]  # same quad, rotated order
    t = score_detections(gt, pred)['table']
    assert gt[0]['table']['corners_px'][1] == [950, 50]         # the ground truth is untouched
    # Frame 0: errors 0, 5, 0, 0 (mean 1.25, max 5); frame 1: each corner lands on its
    # neighbour, 900, 500, 900, 500 px away (mean 700, max 900).
    assert t['corner_error_px']['n'] == 8
    assert t['corner_error_px']['max'] == pytest.approx(900.0)
    assert t['frame_mean_corner_error_px']['min'] == pytest.approx(1.25)
    assert t['frame_mean_corner_error_px']['max'] == pytest.approx(700.0)
    assert t['frame_max_corner_error_px']['min'] == pytest.approx(5.0)
    assert t['frame_max_corner_error_px']['max'] == pytest.approx(900.0)


def test_missing_and_unknown_prediction_frames():
    gt = make_gt(n_frames=3)
    pred = ground_truth_as_predictions(gt)
    del pred[1]
    pred.append({'frame': 99, 'balls': [], 'table': None, 'cue': None})
    m = score_detections(gt, pred)
    assert m['frames'] == {'n_gt': 3, 'n_missing_pred': 1, 'n_unused_pred': 1, 'unused_pred': ['99']}
    assert m['balls']['recall'] == pytest.approx(20 / 30)
    assert m['table']['n_detected'] == 2 and m['cue']['n_detected'] == 2


def test_average_precision_with_a_confident_false_positive():
    gt = [{'frame': 0, 'balls': [{'x': 100.0, 'y': 100.0, 'radius': RADIUS, 'type': 'solid'},
                                 {'x': 200.0, 'y': 100.0, 'radius': RADIUS, 'type': 'solid'}]}]
    pred = [{'frame': 0, 'balls': [{'x': x, 'y': 100.0, 'radius': RADIUS, 'type': 'solid', 'confidence': c}
                                   for x, c in ((500.0, 0.9), (100.0, 0.8), (200.0, 0.7))]}]
    # Ranked: FP, TP, TP -> precision 0, 1/2, 2/3 at recall 0, 0.5, 1; interpolated AP = 2/3.
    assert score_detections(gt, pred)['ap']['ball_ap'] == pytest.approx(2 / 3)
    pred[0]['balls'][0]['confidence'] = 0.1     # ranked last: does not cost precision at full recall
    ap = score_detections(gt, pred)['ap']
    assert ap['ball_ap'] == pytest.approx(1.0)
    assert ap['per_type_ap']['solid'] == pytest.approx(1.0) and ap['per_type_ap']['cue'] is None


def test_empty_frames_leave_undefined_ratios_as_none():
    gt = [{'frame': 0, 'balls': []}]
    m = score_detections(gt, [{'frame': 0, 'balls': []}])
    assert m['balls']['precision'] is None and m['balls']['recall'] is None and m['balls']['f1'] is None
    assert m['balls']['centre_error_px'] is None and m['ap']['ball_ap'] is None


def test_pocket_error_in_order_and_with_a_missing_pocket():
    gt = make_gt(n_frames=2)
    pred = ground_truth_as_predictions(gt)
    pred[0]['table']['pockets_px'][1] = [500, 48]           # top side pocket 3 px low
    del pred[1]['table']['pockets_px'][4]                    # bottom side pocket not found
    pred[1]['table']['pockets_px'][0] = [54, 53]             # 5 px off
    t = score_detections(gt, pred)['table']
    # Frame 0: six ordered errors (one of 3 px); frame 1: five pockets paired by nearest
    # assignment (one of 5 px) and the frame flagged.
    assert t['pocket_error_px']['n'] == 11
    assert t['pocket_error_px']['max'] == pytest.approx(5.0)
    assert t['pocket_error_px']['mean'] == pytest.approx(8.0 / 11)
    assert t['pocket_count_mismatch_frames'] == 1


def test_unknown_match_mode_is_rejected():
    gt = make_gt(n_frames=1)
    with pytest.raises(ValueError, match='match must be one of'):
        score_detections(gt, ground_truth_as_predictions(gt), match='nearest')
