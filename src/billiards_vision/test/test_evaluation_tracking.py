# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Tracking metrics (CLEAR-MOT, IDF1, speed error) against hand-computed values."""
import pytest

from billiards_vision.evaluation import DatasetError, ground_truth_as_predictions, score_tracking

RADIUS = 12.0


def make_gt(n_frames=10, n_balls=3):
    """n_balls rolling right 5 px per frame, 100 px apart, speed 0.5 m/s."""
    return [{'frame': f, 'balls': [{'id': i, 'number': i, 'type': 'solid', 'x': 100.0 + 100 * i + 5 * f,
                                    'y': 200.0, 'radius': RADIUS, 'velocity_mps': [0.3, 0.4], 'visible': True}
                                   for i in range(1, n_balls + 1)]}
            for f in range(n_frames)]


def test_ground_truth_against_itself_is_perfect():
    gt = make_gt()
    t = score_tracking(gt, ground_truth_as_predictions(gt))
    assert t['mota'] == 1.0 and t['idf1'] == 1.0 and t['motp_px'] == 0.0
    assert t['id_switches'] == 0 and t['fragmentations'] == 0
    assert (t['n_gt'], t['misses'], t['false_positives']) == (30, 0, 0)
    assert t['speed_error_mps']['max'] == 0.0


def test_numbers_shown_right_wrong_none_and_twice():
    gt = make_gt()
    pred = ground_truth_as_predictions(gt)
    assert score_tracking(gt, pred)['numbers_shown'] == {'n': 30, 'right': 1.0, 'wrong': 0.0, 'none': 0.0,
                                                         'frames_number_twice': 0}
    for frame in pred[:4]:                      # frames 0-3: ball 2 shown as 1 (the 1 twice on the table)
        frame['balls'][1]['number'] = 1
    for frame in pred[4:6]:                     # frames 4-5: ball 3 shows no number
        frame['balls'][2]['number'] = None
    shown = score_tracking(gt, pred)['numbers_shown']
    assert shown['n'] == 30 and shown['frames_number_twice'] == 4
    assert shown['wrong'] == pytest.approx(4 / 30) and shown['none'] == pytest.approx(2 / 30)
    assert shown['right'] == pytest.approx(24 / 30)
    for frame in pred:                          # predictions without numbers: nothing to score
        for ball in frame['balls']:
            del ball['number']
    assert 'numbers_shown' not in score_tracking(gt, pred)


def test_swapped_track_ids_mid_sequence():
    gt = make_gt()
    pred = ground_truth_as_predictions(gt)
    for frame in pred[5:]:                      # from frame 5 on, tracks 1 and 2 trade balls
        for ball in frame['balls']:
            if ball['track_id'] in (1, 2):
                ball['track_id'] = 3 - ball['track_id']
    t = score_tracking(gt, pred)
    # Balls 1 and 2 each change track once: 2 switches. MOTA = 1 - 2/30.
    assert t['id_switches'] == 2
    assert t['mota'] == pytest.approx(1 - 2 / 30)
    # Best global id pairing keeps 5 frames for ball 1, 5 for ball 2 and 10 for ball 3:
    # IDTP = 20 of 30 ground-truth and 30 predicted balls, IDF1 = 40 / 60.
    assert t['idtp'] == 20
    assert t['idf1'] == pytest.approx(2 / 3)
    assert t['fragmentations'] == 0 and t['motp_px'] == 0.0


def test_dropped_detections_fragment_a_track():
    gt = make_gt()
    pred = ground_truth_as_predictions(gt)
    for frame in pred[3:5]:                     # ball 1 lost in frames 3 and 4, then found again
        frame['balls'] = [b for b in frame['balls'] if b['track_id'] != 1]
    t = score_tracking(gt, pred)
    assert (t['misses'], t['fragmentations'], t['id_switches']) == (2, 1, 0)
    assert t['mota'] == pytest.approx(1 - 2 / 30)
    assert t['idf1'] == pytest.approx(2 * 28 / (30 + 28))


def test_new_track_after_a_gap_is_a_switch():
    gt = make_gt(n_frames=4, n_balls=1)
    pred = ground_truth_as_predictions(gt)
    pred[1]['balls'] = []                       # lost in frame 1, re-acquired with a new id
    for frame in pred[2:]:
        frame['balls'][0]['track_id'] = 7
    t = score_tracking(gt, pred)
    assert (t['misses'], t['id_switches'], t['fragmentations']) == (1, 1, 1)
    assert t['mota'] == pytest.approx(1 - 2 / 4)
    assert t['idtp'] == 2 and t['idf1'] == pytest.approx(2 * 2 / (4 + 3))


def test_speed_error_and_false_tracks():
    gt = make_gt(n_frames=2, n_balls=1)
    pred = ground_truth_as_predictions(gt)
    pred[0]['balls'][0]['velocity_mps'] = [0.6, 0.8]      # 1.0 m/s against 0.5 m/s
    del pred[1]['balls'][0]['velocity_mps']               # no velocity: not scored
    pred[1]['balls'].append({'x': 600.0, 'y': 400.0, 'radius': RADIUS, 'track_id': 9})
    t = score_tracking(gt, pred)
    assert t['speed_error_mps']['n'] == 1
    assert t['speed_error_mps']['max'] == pytest.approx(0.5)
    assert t['velocity_error_mps']['max'] == pytest.approx(0.5)
    assert t['false_positives'] == 1 and t['mota'] == pytest.approx(1 - 1 / 2)


def test_missing_track_id_is_an_error():
    gt = make_gt(n_frames=1)
    pred = ground_truth_as_predictions(gt)
    del pred[0]['balls'][0]['track_id']
    with pytest.raises(DatasetError, match='track_id'):
        score_tracking(gt, pred)
