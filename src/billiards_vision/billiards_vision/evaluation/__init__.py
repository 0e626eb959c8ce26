# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Evaluation of detections and tracks against ground truth. No ROS imports.

Python API:
- ``load_ground_truth(path)`` -> frames of a synthetic ``ground_truth.jsonl``.
- ``load_predictions(path)`` -> prediction frames (.jsonl, one detection object per line
  with "frame" or "image"); a ground-truth file is converted to predictions.
- ``load_real_dataset(root)`` -> labelled real frames under the shared data root.
- ``score_detections(gt_frames, pred_frames, match='auto'|'distance'|'iou', gate=0.5,
  iou_threshold=0.5, image_root=None)`` -> ball precision / recall / F1, centre / radius
  error, type and number accuracy, marker-dot false positives, AP, table corner / pocket /
  field scores, cue tip / angle error and cue false positives (``metrics.py``).
- ``score_tracking(gt_frames, pred_frames, gate=0.5)`` -> CLEAR-MOT MOTA / MOTP, IDF1,
  id switches, fragmentations, speed error (``tracking.py``).
- ``write_report(metrics, out_dir)`` -> metrics.json, report.md and PNG plots.
- ``format_summary(metrics)`` -> a short aligned text table.

Example::

    from billiards_vision.evaluation import load_real_dataset, score_detections
    gt = load_real_dataset('/path/to/data')
    preds = [{'image': r['image'], **my_detector(r['image'])} for r in gt]
    print(score_detections(gt, preds)['balls'])
"""
from .datasets import (DatasetError, ground_truth_as_predictions, load_ground_truth, load_predictions,
                       load_real_dataset)
from .metrics import score_detections
from .report import format_summary, write_report
from .tracking import score_tracking

__all__ = ['DatasetError', 'format_summary', 'ground_truth_as_predictions', 'load_ground_truth',
           'load_predictions', 'load_real_dataset', 'score_detections', 'score_tracking', 'write_report']
