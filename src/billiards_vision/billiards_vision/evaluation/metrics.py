# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Detection scores: balls, ball types and numbers, marker dots, table, pockets, cue.

``score_detections(gt_frames, pred_frames, match='auto', gate=0.5, iou_threshold=0.5,
image_root=None)`` returns a JSON-ready dict:

- ``balls``: n_gt, n_pred, tp, fp, fn, precision = tp/(tp+fp), recall = tp/(tp+fn),
  f1 = 2tp/(2tp+fp+fn) (None when undefined), ``centre_error_px`` and ``radius_error_px``
  summaries ({n, mean, median, p95, min, max}; radius error is |r_pred - r_gt|, plus the mean
  signed ``radius_bias_px``), ``marker_fp``: unmatched predictions whose circle contains a
  marker dot ("not_balls" / "markers_px"), out of ``n_markers`` dots shown.
- ``types``: accuracy over matched balls whose ground-truth type is known, and the
  confusion matrix (rows ground truth, columns prediction, labels ``BALL_TYPE_NAMES``).
- ``numbers``: accuracy over matched balls with a ground-truth number (None predicted = wrong).
- ``table``: frames labelled / detected, corner error per corner and per frame (mean of the
  four, max of the four), pocket error, field IoU.
- ``cue``: frames with a cue / detected, tip error (px), angle error (deg, 360 wrap); frames
  labelled with no cue and the false positives on them.
- ``ap``: average precision (see ``ap.py``).
- ``frames``: counts of ground-truth frames, frames with no prediction (scored as all
  misses) and predictions for frames not in the ground truth (ignored, listed).
- ``per_frame``: one row per frame; ``centre_errors_px``: every matched centre error
  (for plots); ``by_dataset``: the same summaries per "dataset" value when there are several.

Ground-truth balls with "visible": false are not expected detections. Matching criteria are
documented in ``matching.py``; 'auto' uses box IoU on frames whose balls have labelled boxes
(broadcast) and centre distance elsewhere.
"""
from __future__ import annotations

import numpy as np

from .ap import average_precision
from .datasets import BALL_TYPE_NAMES
from .frames import key_label, pair_frames
from .matching import DEFAULT_DISTANCE_GATE, DEFAULT_IOU_THRESHOLD, match_balls, resolve_mode
from .scene import score_cue, score_table
from .stats import ratio, summary


def visible_balls(frame: dict) -> list[dict]:
    return [b for b in frame.get('balls', []) if b.get('visible', True)]


def _markers(gt: dict) -> list:
    return list(gt.get('not_balls') or []) + list(gt.get('markers_px') or [])


def _type_of(ball: dict) -> str:
    kind = ball.get('type') or 'unknown'
    if kind not in BALL_TYPE_NAMES:
        raise ValueError(f'ball type {kind!r} is not one of {", ".join(BALL_TYPE_NAMES)}')
    return kind


def score_frame(gt: dict, pred: dict | None, match='auto', gate=DEFAULT_DISTANCE_GATE,
                iou_threshold=DEFAULT_IOU_THRESHOLD) -> dict:
    """Raw results of one frame (lists of errors and pairs, aggregated by ``aggregate``)."""
    gt_balls = visible_balls(gt)
    pred_balls = list((pred or {}).get('balls', []))
    mode = resolve_mode(match, gt_balls)
    pairs = match_balls(gt_balls, pred_balls, mode, gate, iou_threshold)
    matched_pred = {p for _, p in pairs}
    markers = np.asarray(_markers(gt), dtype=np.float64).reshape(-1, 2)
    marker_fp = 0
    for j, b in enumerate(pred_balls):
        if j in matched_pred or len(markers) == 0:
            continue
        if np.min(np.hypot(markers[:, 0] - b['x'], markers[:, 1] - b['y'])) <= float(b['radius']):
            marker_fp += 1
    res = {
        'match': mode, 'predicted': pred is not None, 'n_gt': len(gt_balls), 'n_pred': len(pred_balls),
        'tp': len(pairs), 'fp': len(pred_balls) - len(pairs), 'fn': len(gt_balls) - len(pairs),
        'marker_fp': marker_fp, 'n_markers': len(markers),
        'centre_errors_px': [float(np.hypot(pred_balls[p]['x'] - gt_balls[g]['x'],
                                            pred_balls[p]['y'] - gt_balls[g]['y'])) for g, p in pairs],
        'radius_errors_px': [float(pred_balls[p]['radius']) - float(gt_balls[g]['radius']) for g, p in pairs],
        'type_pairs': [(_type_of(gt_balls[g]), _type_of(pred_balls[p])) for g, p in pairs],
        'number_pairs': [(gt_balls[g]['number'], pred_balls[p].get('number')) for g, p in pairs
                         if gt_balls[g].get('number') is not None],
    }
    res['recall'] = ratio(res['tp'], res['n_gt'])
    res['ap_frame'] = (gt_balls, pred_balls, mode)
    res.update(score_table(gt, pred))
    res.update(score_cue(gt, pred))
    return res


def _confusion(type_pairs) -> dict:
    idx = {t: i for i, t in enumerate(BALL_TYPE_NAMES)}
    matrix = np.zeros((len(BALL_TYPE_NAMES), len(BALL_TYPE_NAMES)), dtype=int)
    for g, p in type_pairs:
        matrix[idx[g], idx[p]] += 1
    return {'labels': list(BALL_TYPE_NAMES), 'matrix': matrix.tolist()}


def aggregate(frames: list[dict], gate=DEFAULT_DISTANCE_GATE, iou_threshold=DEFAULT_IOU_THRESHOLD) -> dict:
    """Summaries over the raw per-frame results of ``score_frame``."""
    def total(key):
        return sum(f[key] for f in frames)

    def gather(key):
        return [v for f in frames for v in f.get(key, [])]

    tp, fp, fn = total('tp'), total('fp'), total('fn')
    radius = gather('radius_errors_px')
    type_pairs = gather('type_pairs')
    known_types = [(g, p) for g, p in type_pairs if g != 'unknown']
    number_pairs = gather('number_pairs')
    balls = {
        'n_gt': total('n_gt'), 'n_pred': total('n_pred'), 'tp': tp, 'fp': fp, 'fn': fn,
        'precision': ratio(tp, tp + fp), 'recall': ratio(tp, tp + fn), 'f1': ratio(2 * tp, 2 * tp + fp + fn),
        'centre_error_px': summary(gather('centre_errors_px')),
        'radius_error_px': summary(np.abs(radius)),
        'radius_bias_px': float(np.mean(radius)) if radius else None,
        'marker_fp': total('marker_fp'), 'n_markers': total('n_markers'),
    }
    types = {'n': len(known_types), 'accuracy': ratio(sum(g == p for g, p in known_types), len(known_types)),
             'confusion': _confusion(type_pairs)}
    numbers = {'n': len(number_pairs),
               'accuracy': ratio(sum(g == p for g, p in number_pairs), len(number_pairs))}
    labelled = [f for f in frames if f.get('table_labelled')]
    corner_frames = [f['corner_errors_px'] for f in frames if 'corner_errors_px' in f]
    table = {
        'n_labelled': len(labelled), 'n_detected': sum(f['table_detected'] for f in labelled),
        'corner_error_px': summary(gather('corner_errors_px')),
        'frame_mean_corner_error_px': summary([float(np.mean(c)) for c in corner_frames]),
        'frame_max_corner_error_px': summary([float(np.max(c)) for c in corner_frames]),
        'pocket_error_px': summary(gather('pocket_errors_px')),
        'pocket_count_mismatch_frames': sum(bool(f.get('pocket_count_mismatch')) for f in frames),
        'n_field_labelled': sum(bool(f.get('field_labelled')) for f in frames),
        'field_iou': summary([f['field_iou'] for f in frames if 'field_iou' in f]),
    }
    with_cue = [f for f in frames if f.get('cue_labelled') is True]
    without_cue = [f for f in frames if f.get('cue_labelled') is False]
    cue_fp = sum(f['cue_false_positive'] for f in without_cue)
    on_cloth = [f for f in with_cue if f.get('cue_tip_on_cloth') is True]
    off_cloth = [f for f in with_cue if f.get('cue_tip_on_cloth') is False]
    cue = {
        'n_with_cue': len(with_cue), 'n_detected': sum(f['cue_detected'] for f in with_cue),
        'detection_rate': ratio(sum(f['cue_detected'] for f in with_cue), len(with_cue)),
        'tip_error_px': summary([f['cue_tip_error_px'] for f in with_cue if 'cue_tip_error_px' in f]),
        'angle_error_deg': summary([f['cue_angle_error_deg'] for f in with_cue
                                    if 'cue_angle_error_deg' in f]),
        'n_without_cue': len(without_cue), 'false_positives': cue_fp,
        'n_tip_on_cloth': len(on_cloth),
        'detection_rate_tip_on_cloth': ratio(sum(f['cue_detected'] for f in on_cloth), len(on_cloth)),
        'detection_rate_tip_off_cloth': ratio(sum(f['cue_detected'] for f in off_cloth), len(off_cloth)),
        'false_positive_rate': ratio(cue_fp, len(without_cue)),
    }
    ap = average_precision([f['ap_frame'] for f in frames], gate, iou_threshold)
    return {'balls': balls, 'types': types, 'numbers': numbers, 'table': table, 'cue': cue, 'ap': ap}


_PER_FRAME_KEYS = ('match', 'predicted', 'n_gt', 'n_pred', 'tp', 'fp', 'fn', 'recall', 'marker_fp',
                   'table_detected', 'field_iou', 'cue_detected', 'cue_false_positive',
                   'cue_tip_on_cloth', 'cue_tip_error_px', 'cue_angle_error_deg')


def _frame_row(key, gt: dict, res: dict) -> dict:
    row = {'frame': gt.get('name') or key_label(key)}
    if gt.get('dataset'):
        row['dataset'] = gt['dataset']
    row.update({k: res[k] for k in _PER_FRAME_KEYS if k in res})
    errs = res['centre_errors_px']
    row['centre_error_median_px'] = float(np.median(errs)) if errs else None
    if 'corner_errors_px' in res:
        row['corner_error_mean_px'] = float(np.mean(res['corner_errors_px']))
        row['corner_error_max_px'] = float(np.max(res['corner_errors_px']))
    return row


def score_detections(gt_frames: list[dict], pred_frames: list[dict], match: str = 'auto',
                     gate: float = DEFAULT_DISTANCE_GATE, iou_threshold: float = DEFAULT_IOU_THRESHOLD,
                     image_root=None) -> dict:
    """Score prediction frames against ground-truth frames (see the module docstring)."""
    pairs, unused = pair_frames(gt_frames, pred_frames, image_root)
    raw = [score_frame(gt, pred, match, gate, iou_threshold) for _, gt, pred in pairs]
    out = aggregate(raw, gate, iou_threshold)
    out['frames'] = {'n_gt': len(pairs), 'n_missing_pred': sum(not r['predicted'] for r in raw),
                     'n_unused_pred': len(unused), 'unused_pred': unused[:20]}
    out['settings'] = {'match': match, 'distance_gate_radius': gate, 'iou_threshold': iou_threshold}
    out['per_frame'] = [_frame_row(key, gt, r) for (key, gt, _), r in zip(pairs, raw)]
    out['centre_errors_px'] = [e for r in raw for e in r['centre_errors_px']]
    datasets = sorted({gt.get('dataset') for _, gt, _ in pairs if gt.get('dataset')})
    if len(datasets) > 1:
        out['by_dataset'] = {
            name: aggregate([r for (_, gt, _), r in zip(pairs, raw) if gt.get('dataset') == name],
                            gate, iou_threshold) for name in datasets}
    return out
