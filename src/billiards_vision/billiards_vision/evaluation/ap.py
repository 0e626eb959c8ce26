# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Average precision of ball detection (PASCAL VOC all-point interpolation).

Predictions of all frames are ranked by "confidence" (1.0 when absent); each in turn takes
the best still-free admissible ground-truth ball of its frame (same criterion as
``matching.py``: centre within gate x radius, or box IoU >= threshold), else it is a false
positive. ``ball_ap`` ignores types. Per-type AP (prediction type must equal ground-truth
type) uses only frames whose ground-truth balls all have a known type; ``map`` is the mean
over the types present there, comparable to a per-class mAP@0.5 on the broadcast frames.
"""
from __future__ import annotations

import numpy as np

from .matching import admissible_costs

TYPES = ('cue', 'eight', 'solid', 'stripe')


def _ap_from_ranked(is_tp: list[bool], n_gt: int) -> float | None:
    if n_gt == 0:
        return None
    if not is_tp:
        return 0.0
    tp = np.cumsum(is_tp)
    recall = np.concatenate([[0.0], tp / n_gt, [1.0]])
    precision = np.concatenate([[0.0], tp / np.arange(1, len(is_tp) + 1), [0.0]])
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    steps = np.nonzero(recall[1:] != recall[:-1])[0]
    return float(np.sum((recall[steps + 1] - recall[steps]) * precision[steps + 1]))


def _ranked_matches(frames, gate, iou_threshold) -> tuple[list[bool], int]:
    """Greedy confidence-ranked matching over (gt_balls, pred_balls, mode) frames."""
    ranked, tables, n_gt = [], [], 0
    for f, (gt_balls, pred_balls, mode) in enumerate(frames):
        n_gt += len(gt_balls)
        if gt_balls and pred_balls:
            tables.append(admissible_costs(gt_balls, pred_balls, mode, gate, iou_threshold))
        else:
            tables.append(None)
        ranked += [(-float(b.get('confidence', 1.0)), f, j) for j, b in enumerate(pred_balls)]
    taken = [set() for _ in frames]
    is_tp = []
    for _, f, j in sorted(ranked):
        hit = False
        if tables[f] is not None:
            cost, ok = tables[f]
            free = [g for g in np.nonzero(ok[:, j])[0] if g not in taken[f]]
            if free:
                taken[f].add(min(free, key=lambda g: cost[g, j]))
                hit = True
        is_tp.append(hit)
    return is_tp, n_gt


def average_precision(frames, gate, iou_threshold) -> dict:
    """{"ball_ap", "per_type_ap", "map", "n_typed_frames"} for (gt_balls, pred_balls, mode) frames."""
    is_tp, n_gt = _ranked_matches(frames, gate, iou_threshold)
    typed = [f for f in frames if f[0] and all(b.get('type', 'unknown') in TYPES for b in f[0])]
    per_type = {}
    for t in TYPES:
        subset = [([b for b in g if b.get('type') == t], [b for b in p if b.get('type') == t], mode)
                  for g, p, mode in typed]
        per_type[t] = _ap_from_ranked(*_ranked_matches(subset, gate, iou_threshold))
    present = [v for v in per_type.values() if v is not None]
    return {'ball_ap': _ap_from_ranked(is_tp, n_gt), 'per_type_ap': per_type,
            'map': float(np.mean(present)) if present else None, 'n_typed_frames': len(typed)}
