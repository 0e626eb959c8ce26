# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Score detector / tracker predictions against ground truth and write a report.

  evaluate --gt ground_truth.jsonl --pred predictions.jsonl --out DIR [--tracking]
  evaluate --real /path/to/data --pred predictions.jsonl --out DIR

Predictions are one detection object per line keyed by "frame" (synthetic) or "image"
(real; absolute or relative to the data root). A ground_truth.jsonl given as --pred is
converted to predictions (perfect scores expected). Writes DIR/metrics.json, DIR/report.md
and PNG plots; prints a summary. Exit status 2 on missing or malformed input.
"""
from __future__ import annotations

import argparse
import sys

from billiards_vision.evaluation import (DatasetError, format_summary, load_ground_truth, load_predictions,
                                         load_real_dataset, score_detections, score_tracking, write_report)
from billiards_vision.evaluation.matching import DEFAULT_DISTANCE_GATE, DEFAULT_IOU_THRESHOLD, MATCH_MODES


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f'must be > 0, got {text}')
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='evaluate', description=__doc__.split('\n')[0])
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument('--gt', help='synthetic ground_truth.jsonl')
    src.add_argument('--real', metavar='DATA_ROOT', help='shared real data root (holds README.md and real/)')
    parser.add_argument('--pred', required=True, help='predictions .jsonl (or a ground_truth.jsonl)')
    parser.add_argument('--out', required=True, help='output folder for metrics.json, report.md, plots')
    parser.add_argument('--tracking', action='store_true', help='also score tracks (needs --gt and track_id)')
    parser.add_argument('--match', choices=MATCH_MODES, default='auto',
                        help='ball matching: centre distance, box IoU, or auto (IoU where boxes are '
                             'labelled)')
    parser.add_argument('--gate', type=_positive, default=DEFAULT_DISTANCE_GATE,
                        help='distance gate as a fraction of the ground-truth radius (default %(default)s)')
    parser.add_argument('--iou', type=_positive, default=DEFAULT_IOU_THRESHOLD,
                        help='box IoU threshold (default %(default)s)')
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.tracking and args.real:
        print('evaluate: error: --tracking needs --gt (the real frames carry no ball ids)', file=sys.stderr)
        return 2
    try:
        gt = load_ground_truth(args.gt) if args.gt else load_real_dataset(args.real)
        preds = load_predictions(args.pred)
        metrics = score_detections(gt, preds, match=args.match, gate=args.gate, iou_threshold=args.iou,
                                   image_root=args.real)
        if args.tracking:
            metrics['tracking'] = score_tracking(gt, preds, gate=args.gate, match=args.match,
                                                 iou_threshold=args.iou, image_root=args.real)
        written = write_report(metrics, args.out)
    except (DatasetError, OSError) as exc:
        print(f'evaluate: error: {exc}', file=sys.stderr)
        return 2
    print(format_summary(metrics))
    if metrics['frames']['n_unused_pred']:
        print(f'note: {metrics["frames"]["n_unused_pred"]} prediction frame(s) not in the ground truth, e.g. '
              f'{metrics["frames"]["unused_pred"][0]}', file=sys.stderr)
    print(f'wrote {", ".join(str(p) for p in written)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
