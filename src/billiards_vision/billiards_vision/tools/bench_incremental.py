# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Incremental ball detection against a full search on every frame, side by side.

    python -m billiards_vision.tools.bench_incremental [--frames 150] [--size 1280x720] [--scenarios ...]

Every frame of each synthetic scenario (30 fps, motion blur, the cue and the
player's hand on) goes through both paths in turn: the incremental detector
(detection.incremental, as ball_detector runs it) and detect_balls on the whole
table. Reported per scenario: ms per frame of each (median, p95; measured in
the same loop, so load from other processes hits both alike), the share of
frames the incremental path searched in full, and ball precision / recall /
centre error / type accuracy of both against the ground truth (every
`--every`-th frame).
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from ..detection.balls import detect_balls
from ..detection.incremental import IncrementalBallDetector, IncrementalParams
from ..detection.params import DetectorParams
from ..detection.table import detect_table
from ..evaluation import score_detections
from .simulate import parse_resolution

CLOTHS = ('teal', 'green', 'blue')
SCENARIOS = ('rack', 'break', 'single_shot', 'cluster', 'cue_aiming', 'random')


def _pred(table, balls) -> dict:
    return {'table': table.to_json(), 'balls': [b.to_json() for b in balls], 'cue': None}


def run(scenario: str, k: int, frames: int, every: int, size: tuple, seed: int, inc: IncrementalParams) -> dict:
    from ..sim import SyntheticTable
    sim = SyntheticTable(scenario, size[0], size[1], 30.0, seed=seed + k, cloth=CLOTHS[k % 3])
    params = DetectorParams()
    detector = IncrementalBallDetector(params.balls, inc)
    table = None
    ms = {'incremental': [], 'full': []}
    gts, preds = [], {'incremental': [], 'full': []}
    full_frames = 0
    for i in range(frames):
        image, truth = sim.next_frame()
        if table is None:
            table = detect_table(image, params.table)
            if table is None:
                raise RuntimeError(f'{scenario}: no table found')
        out = {}
        # Alternate the order so neither path always finds the other's data in the caches.
        for mode in (('incremental', 'full') if i % 2 else ('full', 'incremental')):
            t0 = time.perf_counter()
            if mode == 'incremental':
                out[mode] = detector.detect(image, table, truth['t'])
            else:
                out[mode] = detect_balls(image, table, params.balls)
            ms[mode].append(1000.0 * (time.perf_counter() - t0))
        full_frames += detector.last['mode'] == 'full'
        if i % every == every // 2:
            truth['frame'] = len(gts)
            gts.append(truth)
            for mode in out:
                pred = _pred(table, out[mode])
                pred['frame'] = truth['frame']
                preds[mode].append(pred)
    result = {'scenario': scenario, 'cloth': CLOTHS[k % 3], 'frames': frames, 'full_share': full_frames / frames}
    for mode in ms:
        m = score_detections(gts, preds[mode], match='distance')
        b = m['balls']
        result[mode] = {'ms_median': float(np.median(ms[mode])), 'ms_p95': float(np.percentile(ms[mode], 95)),
                        'ms_mean': float(np.mean(ms[mode])), 'precision': b['precision'], 'recall': b['recall'],
                        'centre_median_px': (b.get('centre_error_px') or {}).get('median'),
                        'type_accuracy': m['types'].get('accuracy'), 'balls': b['n_gt']}
    return result


def _f(v, d=3):
    return '-' if v is None else f'{v:.{d}f}'


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog='bench_incremental', description=__doc__.split('\n')[0])
    parser.add_argument('--frames', type=int, default=150, help='frames per scenario')
    parser.add_argument('--every', type=int, default=3, help='score every n-th frame')
    parser.add_argument('--size', type=parse_resolution, default=(1280, 720), metavar='WxH')
    parser.add_argument('--seed', type=int, default=11)
    parser.add_argument('--scenarios', nargs='+', default=list(SCENARIOS), choices=SCENARIOS)
    parser.add_argument('--json', help='write the results to this file')
    args = parser.parse_args(argv)
    if args.frames < 2 or args.every < 1:
        parser.error('--frames must be at least 2 and --every positive')
    size = args.size
    inc = IncrementalParams()
    results = [run(s, k, args.frames, args.every, size, args.seed, inc) for k, s in enumerate(args.scenarios)]
    print(f'balls, incremental vs full search on every frame, {size[0]}x{size[1]}, {args.frames} frames a scenario '
          f'(ms measured side by side in one loop)')
    print(f'{"scenario":22s} {"ms inc med/p95/mean":>20s} {"ms full med/p95/mean":>21s} {"full%":>6s}  '
          f'{"prec inc/full":>13s} {"recall inc/full":>15s} {"ctr px inc/full":>15s} {"type inc/full":>13s}')
    for r in results:
        a, b = r['incremental'], r['full']
        print(f'{r["scenario"] + " (" + r["cloth"] + ")":22s} '
              f'{a["ms_median"]:6.1f}/{a["ms_p95"]:6.1f}/{a["ms_mean"]:6.1f} '
              f'{b["ms_median"]:7.1f}/{b["ms_p95"]:6.1f}/{b["ms_mean"]:6.1f} {100 * r["full_share"]:5.0f}%  '
              f'{_f(a["precision"])}/{_f(b["precision"])} {_f(a["recall"]):>7s}/{_f(b["recall"])} '
              f'{_f(a["centre_median_px"], 2):>7s}/{_f(b["centre_median_px"], 2)} '
              f'{_f(a["type_accuracy"]):>6s}/{_f(b["type_accuracy"])}')
    mean = {m: float(np.mean([r[m]['ms_mean'] for r in results])) for m in ('incremental', 'full')}
    print(f'mean ms per frame over all scenarios: incremental {mean["incremental"]:.1f}, full {mean["full"]:.1f} '
          f'(x{mean["full"] / max(mean["incremental"], 1e-9):.1f})')
    if args.json:
        with open(args.json, 'w', encoding='utf-8') as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
