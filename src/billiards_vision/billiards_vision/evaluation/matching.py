# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""One-to-one matching of predicted balls to ground-truth balls.

Two criteria:
- ``distance``: a prediction may match a ground-truth ball when its centre lies within
  ``gate`` x the ground-truth radius (default ``DEFAULT_DISTANCE_GATE`` = 0.5). For two
  circles of equal radius r, a centre offset of 0.5 r gives an overlap IoU of 0.52, so the
  default is the usual IoU >= 0.5 detection criterion in centre-distance form; it is also
  well below the 2 r spacing of touching balls, so a prediction can never sit within the
  gate of two balls.
- ``iou``: box IoU >= ``iou_threshold`` (default 0.5, PASCAL VOC / COCO AP50), the
  prediction's box being [x-r, y-r, 2r, 2r] and the ground truth's its labelled "bbox"
  (or the same square when only a circle is labelled).

Among the admissible pairs the assignment is Hungarian (scipy ``linear_sum_assignment``):
it maximises the number of matches first, then minimises the total distance (or 1 - IoU).
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

DEFAULT_DISTANCE_GATE = 0.5
DEFAULT_IOU_THRESHOLD = 0.5
MATCH_MODES = ('auto', 'distance', 'iou')


def ball_box(ball: dict) -> list[float]:
    """[x, y, w, h] of a ball: its labelled bbox, else the square around its circle."""
    if ball.get('bbox') is not None:
        return [float(v) for v in ball['bbox']]
    r = float(ball['radius'])
    return [float(ball['x']) - r, float(ball['y']) - r, 2.0 * r, 2.0 * r]


def box_iou_matrix(boxes_a: np.ndarray, boxes_b: np.ndarray) -> np.ndarray:
    """IoU between every [x, y, w, h] box in a (N x 4) and b (M x 4)."""
    a = np.asarray(boxes_a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(boxes_b, dtype=np.float64).reshape(-1, 4)
    ax2, ay2 = a[:, 0] + a[:, 2], a[:, 1] + a[:, 3]
    bx2, by2 = b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]
    iw = np.clip(np.minimum(ax2[:, None], bx2[None]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    ih = np.clip(np.minimum(ay2[:, None], by2[None]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = iw * ih
    union = (a[:, 2] * a[:, 3])[:, None] + (b[:, 2] * b[:, 3])[None] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def resolve_mode(match: str, gt_balls: list[dict]) -> str:
    """'auto' means IoU when the ground truth has labelled boxes, else centre distance."""
    if match not in MATCH_MODES:
        raise ValueError(f'match must be one of {", ".join(MATCH_MODES)}, got {match!r}')
    if match != 'auto':
        return match
    return 'iou' if gt_balls and all(b.get('bbox') is not None for b in gt_balls) else 'distance'


def centre_distances(gt_balls: list[dict], pred_balls: list[dict]) -> np.ndarray:
    g = np.array([[b['x'], b['y']] for b in gt_balls], dtype=np.float64).reshape(-1, 2)
    p = np.array([[b['x'], b['y']] for b in pred_balls], dtype=np.float64).reshape(-1, 2)
    return np.linalg.norm(g[:, None, :] - p[None, :, :], axis=2)


def admissible_costs(gt_balls, pred_balls, mode, gate=DEFAULT_DISTANCE_GATE,
                     iou_threshold=DEFAULT_IOU_THRESHOLD):
    """(cost, ok) matrices (N_gt x N_pred): matching cost and whether the pair may match."""
    if mode == 'distance':
        cost = centre_distances(gt_balls, pred_balls)
        radii = np.array([float(b['radius']) for b in gt_balls], dtype=np.float64)
        ok = cost <= gate * radii[:, None]
    elif mode == 'iou':
        iou = box_iou_matrix([ball_box(b) for b in gt_balls], [ball_box(b) for b in pred_balls])
        cost, ok = 1.0 - iou, iou >= iou_threshold
    else:
        raise ValueError(f'unknown match mode {mode!r}')
    return cost, ok


def assign(cost: np.ndarray, ok: np.ndarray) -> list[tuple[int, int]]:
    """Maximum-cardinality, minimum-cost one-to-one assignment restricted to ok pairs."""
    if cost.size == 0 or not ok.any():
        return []
    # A forbidden pair costs more than any full set of allowed pairs, so the solver only
    # uses one when no allowed pair is left; such pairs are dropped afterwards.
    big = float(np.abs(cost[ok]).sum() + 1.0) * (min(cost.shape) + 1)
    rows, cols = linear_sum_assignment(np.where(ok, cost, big))
    return [(int(r), int(c)) for r, c in zip(rows, cols) if ok[r, c]]


def match_balls(gt_balls, pred_balls, mode='distance', gate=DEFAULT_DISTANCE_GATE,
                iou_threshold=DEFAULT_IOU_THRESHOLD) -> list[tuple[int, int]]:
    """Matched (gt index, prediction index) pairs."""
    if not gt_balls or not pred_balls:
        return []
    cost, ok = admissible_costs(gt_balls, pred_balls, mode, gate, iou_threshold)
    return assign(cost, ok)
