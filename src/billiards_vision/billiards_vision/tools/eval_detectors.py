# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Score the table, ball and cue detectors.

    python -m billiards_vision.tools.eval_detectors [--frames 240] [--every 12] [--data ../shared/data]

Synthetic: every scenario of billiards_vision.sim at 1920x1080 (cloth colour
cycling teal / green / blue, motion blur and the cue on), every `--every`-th of
`--frames` frames, scored with billiards_vision.evaluation (centre-distance
matching). Real: the labelled frames under `--data` when that folder exists
(target table by centre distance, broadcast frames at IoU 0.5). `--json FILE`
writes all metrics.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import cv2
import numpy as np

from ..detection.pipeline import detect_all
from ..evaluation import DatasetError, load_real_dataset, score_detections

CLOTHS = ('teal', 'green', 'blue')


def _fmt(v, digits=4):
    if v is None:
        return '-'
    return f'{v:.{digits}f}' if isinstance(v, float) else str(v)


def _row(name, m) -> dict:
    b, t, c, tab = m['balls'], m['types'], m['cue'], m['table']
    ce = b.get('centre_error_px') or {}
    corner = (tab.get('corner_error_px') or {}) if tab else {}
    ang = c.get('angle_error_deg') or {}
    return {'set': name, 'balls': b['n_gt'], 'precision': b['precision'], 'recall': b['recall'], 'f1': b['f1'],
            'centre_median_px': ce.get('median'), 'centre_p95_px': ce.get('p95'), 'type_accuracy': t.get('accuracy'),
            'corner_max_px': corner.get('max'), 'cue_detection_rate': c.get('detection_rate'),
            'cue_rate_on_cloth': c.get('detection_rate_tip_on_cloth'),
            'cue_angle_median_deg': ang.get('median'), 'cue_angle_p95_deg': ang.get('p95'),
            'cue_false_positives': c.get('false_positives'), 'marker_fp': b.get('marker_fp')}


def _print(rows) -> None:
    cols = [('set', 22), ('balls', 6), ('precision', 9), ('recall', 9), ('f1', 7), ('centre_median_px', 8),
            ('type_accuracy', 8), ('corner_max_px', 8), ('cue_detection_rate', 8), ('cue_rate_on_cloth', 8),
            ('cue_angle_median_deg', 8), ('cue_angle_p95_deg', 8), ('cue_false_positives', 6), ('marker_fp', 6)]
    heads = ['set', 'balls', 'precision', 'recall', 'F1', 'ctr_med', 'type_acc', 'corner', 'cue_det', 'cue_cloth',
             'cue_ang', 'ang_p95', 'cue_fp', 'mark_fp']
    print(' '.join(h.ljust(w) for h, (_, w) in zip(heads, cols)))
    for r in rows:
        print(' '.join(_fmt(r[k], 3 if k.endswith(('px', 'deg')) else 4).ljust(w) for k, w in cols))


def synthetic(frames: int, every: int, width: int, height: int, seed: int, only=None):
    from ..sim import SyntheticTable
    from ..sim.scenarios import SCENARIOS
    rows, metrics, times = [], {}, []
    all_gt, all_pred = [], []
    for k, scenario in enumerate(SCENARIOS):
        if only and scenario not in only:
            continue
        sim = SyntheticTable(scenario, width, height, 30.0, seed=seed + k, cloth=CLOTHS[k % 3])
        gts, preds = [], []
        for i in range(frames):
            image, truth = sim.next_frame()
            if i % every != every // 2:
                continue
            t0 = time.perf_counter()
            det = detect_all(image)
            times.append(time.perf_counter() - t0)
            pred = det.to_json()
            pred['frame'] = truth['frame'] = len(all_gt)
            gts.append(truth)
            preds.append(pred)
            all_gt.append(truth)
            all_pred.append(pred)
        m = score_detections(gts, preds, match='distance')
        metrics[scenario] = m
        rows.append(_row(f'{scenario} ({CLOTHS[k % 3]})', m))
    m = score_detections(all_gt, all_pred, match='distance')
    metrics['all'] = m
    rows.append(_row('ALL synthetic', m))
    print(f'synthetic {width}x{height}: {len(all_gt)} frames, detect_all median {1000 * np.median(times):.0f} ms')
    _print(rows)
    return metrics


def real(root: str):
    try:
        records = load_real_dataset(root)
    except DatasetError as exc:
        print(f'real data: skipped ({exc})')
        return {}
    preds = []
    for rec in records:
        image = cv2.imread(rec['image'])
        pred = detect_all(image).to_json()
        pred['image'] = rec['image']
        preds.append(pred)
    out, rows = {}, []
    for name, match in (('target_table', 'distance'), ('broadcast', 'iou')):
        sel = [i for i, r in enumerate(records) if r['dataset'] == name]
        if not sel:
            continue
        m = score_detections([records[i] for i in sel], [preds[i] for i in sel], match=match)
        out[name] = m
        rows.append(_row(f'{name} ({match})', m))
        if name == 'target_table':
            cue_ok = [any(b['type'] == 'cue' and np.hypot(b['x'] - g['x'], b['y'] - g['y']) < 0.5 * g['radius']
                          for b in preds[i]['balls']) for i in sel for g in records[i]['balls'] if g['type'] == 'cue']
            tables = [(records[i]['name'], preds[i]['table'] is not None,
                       len(preds[i]['table']['pockets_px']) if preds[i]['table'] else 0) for i in sel]
            print(f'target table: cue ball identified {sum(cue_ok)}/{len(cue_ok)}; table/pockets {tables}')
        if name == 'broadcast' and m.get('ap'):
            print(f'broadcast AP@0.5: {json.dumps(m["ap"])[:200]}')
    _print(rows)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog='eval_detectors', description=__doc__.split('\n')[0])
    parser.add_argument('--frames', type=int, default=240, help='frames simulated per scenario')
    parser.add_argument('--every', type=int, default=12, help='score every n-th frame')
    parser.add_argument('--width', type=int, default=1920)
    parser.add_argument('--height', type=int, default=1080)
    parser.add_argument('--seed', type=int, default=11)
    parser.add_argument('--data', default=os.path.join('..', 'shared', 'data'),
                        help='labelled real data root (skipped when absent)')
    parser.add_argument('--json', help='write all metrics to this file')
    parser.add_argument('--no-synthetic', action='store_true')
    parser.add_argument('--no-real', action='store_true')
    parser.add_argument('--scenarios', nargs='+', metavar='NAME',
                        help='synthetic scenarios to score (default: all); each keeps its cloth and seed')
    args = parser.parse_args(argv)
    if args.frames < 1 or args.every < 1:
        parser.error('--frames and --every must be positive')
    from ..sim.scenarios import SCENARIOS
    unknown = sorted(set(args.scenarios or ()) - set(SCENARIOS))
    if unknown:
        parser.error(f'unknown scenario(s) {unknown}; choose from {sorted(SCENARIOS)}')
    results = {}
    if not args.no_synthetic:
        results['synthetic'] = synthetic(args.frames, args.every, args.width, args.height, args.seed, args.scenarios)
    if not args.no_real:
        results['real'] = real(args.data)
    if args.json:
        def strip(m):
            return {k: v for k, v in m.items() if k not in ('per_frame', 'centre_errors_px')}
        dump = {group: {k: strip(v) for k, v in res.items()} for group, res in results.items()}
        with open(args.json, 'w', encoding='utf-8') as f:
            json.dump(dump, f, indent=1, default=str)
    return 0


if __name__ == '__main__':
    sys.exit(main())
