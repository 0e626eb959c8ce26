# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Score the table, ball and cue detectors.

    python -m billiards_vision.tools.eval_detectors [--frames 240] [--every 12] [--data ../shared/data]

Synthetic: every scenario of billiards_vision.sim at 1920x1080 (cloth colour
cycling teal / green / blue, motion blur and the cue on), every `--every`-th of
`--frames` frames, scored with billiards_vision.evaluation (centre-distance
matching); then the owner-table rows: all sixteen balls apart at rest at each of
`--owner-sizes` (default 1280x720, 1920x1080, 3840x2160) and `--owner-lights` (as rendered and
under a warm cast), recall per ball
colour, type and number accuracy and a number confusion table.
Real: the labelled frames under `--data` when that folder exists
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


BALL_COLOURS = {0: 'white (cue)', 1: 'yellow', 2: 'blue', 3: 'red', 4: 'purple', 5: 'orange', 6: 'green',
                7: 'maroon', 8: 'black'}


OWNER_LIGHTS = ('none', 'warm')


def owner_table(sizes, layouts: int, seed: int, lights=('none',)) -> dict:
    """The owner's captures, synthetic: all sixteen balls apart at rest (`spread`), teal / green / blue cloth.

    Per size and light: recall per ball colour (a colour's solid and stripe together), type and number
    accuracy, centre error and a number confusion table (rows: true number, columns: reported).
    Light `warm` is eval_robustness's warm cast (B x0.8, R x1.2: a tungsten lamp on a daylight
    white balance) on the same frames.
    """
    out = {}
    for light in lights:
        for width, height in sizes:
            key = f'{width}x{height}' + ('' if light == 'none' else f' {light}')
            out[key] = _owner_rows(width, height, layouts, seed, light)
    return out


def _owner_rows(width: int, height: int, layouts: int, seed: int, light: str) -> dict:
    from ..evaluation.matching import match_balls
    from ..sim import SyntheticTable
    from .eval_robustness import DEGRADATIONS   # (imports this module: not at the top)
    found = {c: [0, 0] for c in BALL_COLOURS}
    confusion = np.zeros((16, 17), int)         # last column: no number
    types, errors, false, times = [], [], 0, []
    for k, cloth in enumerate(CLOTHS):
        # 2 fps: `spread` holds each layout one second, so every other frame is a new one.
        sim = SyntheticTable('spread', width, height, 2.0, seed=seed + k, cloth=cloth)
        for i in range(2 * layouts):
            image, truth = sim.next_frame()
            if i % 2 == 0:
                continue
            image = DEGRADATIONS[light](image, None)
            t0 = time.perf_counter()
            pred = detect_all(image).to_json()['balls']
            times.append(time.perf_counter() - t0)
            gt = [b for b in truth['balls'] if b['visible']]
            pairs = match_balls(gt, pred, 'distance')
            false += len(pred) - len(pairs)
            got = dict(pairs)
            for gi, g in enumerate(gt):
                colour = g['number'] if g['number'] <= 8 else g['number'] - 8
                found[colour][1] += 1
                if gi not in got:
                    continue
                p = pred[got[gi]]
                found[colour][0] += 1
                types.append(p['type'] == g['type'])
                confusion[g['number'], 16 if p['number'] is None else p['number']] += 1
                errors.append(float(np.hypot(p['x'] - g['x'], p['y'] - g['y'])))
    n_ok = int(np.trace(confusion[:, :16]))
    res = {'balls': int(sum(v[1] for v in found.values())), 'false': false,
           'recall_per_colour': {BALL_COLOURS[c]: v[0] / max(v[1], 1) for c, v in found.items()},
           'type_accuracy': float(np.mean(types)) if types else None,
           'number_accuracy': n_ok / max(int(confusion.sum()), 1),
           'centre_median_px': float(np.median(errors)) if errors else None,
           'centre_p95_px': float(np.percentile(errors, 95)) if errors else None,
           'detect_all_median_ms': 1000 * float(np.median(times)), 'confusion': confusion.tolist()}
    light_name = '' if light == 'none' else f', {light} light'
    print(f'owner table (spread, synthetic{light_name}) {width}x{height}: {len(times)} frames, '
          f'{res["balls"]} balls, {false} false, type accuracy {_fmt(res["type_accuracy"])}, number accuracy '
          f'{_fmt(res["number_accuracy"])}, centre median {_fmt(res["centre_median_px"], 3)} px '
          f'(p95 {_fmt(res["centre_p95_px"], 3)}), detect_all median {res["detect_all_median_ms"]:.0f} ms')
    print('  recall per colour: ' + ', '.join(f'{c} {v:.4f}' for c, v in res['recall_per_colour'].items()))
    print('  number confusion (rows true 0-15, columns reported 0-15 and -):')
    print('      ' + ' '.join(f'{n:>3}' for n in range(16)) + '   -')
    for n in range(16):
        print(f'  {n:>3} ' + ' '.join(f'{v:>3}' if v else '  .' for v in confusion[n]))
    purple = confusion[[4, 12]]
    print(f'  purple 4/12 reported as the cue ball: {int(purple[:, 0].sum())} of {int(purple.sum())}; '
          f'cue ball reported as 4/12: {int(confusion[0, [4, 12]].sum())} of {int(confusion[0].sum())}')
    return res


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
    parser.add_argument('--owner-sizes', nargs='*', default=['1280x720', '1920x1080', '3840x2160'], metavar='WxH',
                        help='sizes of the owner-table rows (all 16 balls apart at rest); none to skip')
    parser.add_argument('--owner-layouts', type=int, default=8, help='ball layouts per cloth for the owner-table rows')
    parser.add_argument('--owner-lights', nargs='+', default=list(OWNER_LIGHTS), choices=OWNER_LIGHTS,
                        help='lights of the owner-table rows: none (as rendered) and/or warm (a tungsten cast)')
    parser.add_argument('--scenarios', nargs='+', metavar='NAME',
                        help='synthetic scenarios to score (default: all); each keeps its cloth and seed')
    args = parser.parse_args(argv)
    if args.frames < 1 or args.every < 1:
        parser.error('--frames and --every must be positive')
    from ..sim.scenarios import SCENARIOS
    unknown = sorted(set(args.scenarios or ()) - set(SCENARIOS))
    if unknown:
        parser.error(f'unknown scenario(s) {unknown}; choose from {sorted(SCENARIOS)}')
    try:
        sizes = [tuple(int(v) for v in s.lower().split('x')) for s in args.owner_sizes]
    except ValueError:
        parser.error('--owner-sizes: sizes look like 1920x1080')
    if any(len(s) != 2 or min(s) < 64 for s in sizes) or args.owner_layouts < 1:
        parser.error('--owner-sizes need WxH of at least 64x64 and --owner-layouts a positive count')
    results = {}
    if not args.no_synthetic:
        results['synthetic'] = synthetic(args.frames, args.every, args.width, args.height, args.seed, args.scenarios)
        if sizes:
            results['owner_table'] = owner_table(sizes, args.owner_layouts, args.seed, args.owner_lights)
    if not args.no_real:
        results['real'] = real(args.data)
    if args.json:
        owner = results.get('synthetic') and results.pop('owner_table', None)

        def strip(m):
            return {k: v for k, v in m.items() if k not in ('per_frame', 'centre_errors_px')}
        dump = {group: {k: strip(v) for k, v in res.items()} for group, res in results.items()}
        if owner:
            dump['owner_table'] = owner
        with open(args.json, 'w', encoding='utf-8') as f:
            json.dump(dump, f, indent=1, default=str)
    return 0


if __name__ == '__main__':
    sys.exit(main())
