# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Per-frame table, pocket, playing-field and cue scores.

- Table corners are compared in the order given (top-left, top-right, bottom-right,
  bottom-left on screen), so a detector that lists them in another order is penalised.
- Pockets are compared in the documented order when six are predicted; with another count
  they are paired by Hungarian nearest assignment and the frame is flagged.
- Field IoU: the predicted corner quadrilateral against the labelled playing-field mask
  (classes 1-5 of the broadcast masks, balls lie on the field) or the ground-truth corner
  quadrilateral.
- Cue: tip distance (px) and direction difference (deg, 360 wrap) on frames with a cue;
  frames labelled with no cue ("cue": null) count a reported cue as a false positive. With a
  labelled table the frames are also split by where the tip is: over the cloth, or still over
  a cushion or rail (the stick not yet reaching over the playing surface).
"""
from __future__ import annotations

import cv2
import numpy as np
from scipy.optimize import linear_sum_assignment

from .datasets import DatasetError
from .stats import angle_diff_deg


def _points(value) -> np.ndarray:
    return np.asarray(value, dtype=np.float64).reshape(-1, 2)


def _polygon_mask(corners, size_wh) -> np.ndarray:
    mask = np.zeros((int(size_wh[1]), int(size_wh[0])), dtype=np.uint8)
    cv2.fillPoly(mask, [np.round(_points(corners)).astype(np.int32)], 1)
    return mask.astype(bool)


def _field_region(gt: dict):
    """Boolean playing-field mask of a ground-truth frame, or None when not labelled."""
    if gt.get('field_mask'):
        labels = cv2.imread(str(gt['field_mask']), cv2.IMREAD_GRAYSCALE)
        if labels is None:
            raise DatasetError(f'{gt["field_mask"]}: cannot read field mask')
        return (labels >= 1) & (labels <= 5)
    table = gt.get('table')
    if table and table.get('corners_px') is not None and gt.get('image_size'):
        return _polygon_mask(table['corners_px'], gt['image_size'])
    return None


def score_table(gt: dict, pred: dict | None) -> dict:
    """Table results of one frame (empty when the frame has no table label)."""
    out = {}
    gt_table = gt.get('table')
    pred_table = (pred or {}).get('table')
    pred_corners = None if not pred_table else pred_table.get('corners_px')
    if gt_table and gt_table.get('corners_px') is not None:
        out['table_labelled'] = True
        out['table_detected'] = pred_corners is not None
        if pred_corners is not None:
            err = np.linalg.norm(_points(pred_corners) - _points(gt_table['corners_px']), axis=1)
            out['corner_errors_px'] = err.tolist()
        gt_pockets = gt_table.get('pockets_px')
        if gt_pockets:
            out.update(_score_pockets(_points(gt_pockets), pred_table))
    field = _field_region(gt)
    if field is not None:
        out['field_labelled'] = True
        if pred_corners is not None:
            pred_region = _polygon_mask(pred_corners, (field.shape[1], field.shape[0]))
            union = np.count_nonzero(field | pred_region)
            out['field_iou'] = float(np.count_nonzero(field & pred_region) / union) if union else 0.0
    return out


def _score_pockets(gt_pockets: np.ndarray, pred_table: dict | None) -> dict:
    pred_pockets = _points((pred_table or {}).get('pockets_px') or [])
    out = {'pockets_labelled': len(gt_pockets), 'pockets_predicted': len(pred_pockets)}
    if len(pred_pockets) == 0:
        return out
    if len(pred_pockets) == len(gt_pockets):
        out['pocket_errors_px'] = np.linalg.norm(pred_pockets - gt_pockets, axis=1).tolist()
    else:
        dist = np.linalg.norm(gt_pockets[:, None] - pred_pockets[None], axis=2)
        rows, cols = linear_sum_assignment(dist)
        out['pocket_errors_px'] = dist[rows, cols].tolist()
        out['pocket_count_mismatch'] = True
    return out


def score_cue(gt: dict, pred: dict | None) -> dict:
    """Cue results of one frame (empty when the frame has no cue label)."""
    if 'cue' not in gt:
        return {}
    pred_cue = (pred or {}).get('cue')
    if gt['cue'] is None:
        return {'cue_labelled': False, 'cue_false_positive': pred_cue is not None}
    out = {'cue_labelled': True, 'cue_detected': pred_cue is not None}
    corners = (gt.get('table') or {}).get('corners_px')
    if corners is not None:
        # Tip over the cloth (inside the cushion noses), or still over a cushion or rail.
        poly = _points(corners).astype(np.float32)
        out['cue_tip_on_cloth'] = cv2.pointPolygonTest(poly, tuple(map(float, gt['cue']['tip_px'])), False) >= 0
    if pred_cue is not None:
        tip = np.subtract(pred_cue['tip_px'], gt['cue']['tip_px'])
        out['cue_tip_error_px'] = float(np.hypot(*tip))
        out['cue_angle_error_deg'] = angle_diff_deg(pred_cue['angle_deg'], gt['cue']['angle_deg'])
    return out
