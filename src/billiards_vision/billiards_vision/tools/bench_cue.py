# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Cue detection every frame against the incremental cue detector, side by side.

    python -m billiards_vision.tools.bench_cue [--frames 90] [--size 1280x720] [--scenarios ...]

Every frame of each synthetic scenario (30 fps, the player's hand on; the balls
from the incremental ball detector, as cue_detector gets them) goes through
`detect_cue_at_width` (what cue_detector did on every frame) and
`IncrementalCueDetector` in turn, the order alternating. Reported per
scenario: CPU ms a frame (`time.process_time`, mean / p95) of both, how the
incremental detector spent its frames, and against the ground truth the cue
detection rate, false sticks, the first frame found, the median tip error and
the angle error median / p95.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from ..detection.cue_incremental import IncrementalCueDetector
from ..detection.downscale import detect_cue_at_width
from ..detection.incremental import IncrementalBallDetector, IncrementalParams
from ..detection.params import DetectorParams
from ..detection.table import detect_table
from ..evaluation.scene import angle_diff_deg
from .simulate import parse_resolution

CLOTHS = ('teal', 'green', 'blue')
SCENARIOS = ('cue_aiming', 'break', 'single_shot')


def run(scenario: str, k: int, frames: int, size: tuple, seed: int, work_width: int) -> dict:
    from ..sim import SyntheticTable
    sim = SyntheticTable(scenario, size[0], size[1], 30.0, seed=seed + k, cloth=CLOTHS[k % 3])
    params = DetectorParams()
    balls_det = IncrementalBallDetector(params.balls, IncrementalParams())
    inc = IncrementalCueDetector(params.cue, work_width=work_width)
    table = None
    out = {m: {'cpu': [], 'found': 0, 'labelled': 0, 'fp': 0, 'first': None, 'tip': [], 'ang': []}
           for m in ('full', 'incremental')}
    modes: dict = {}
    for i in range(frames):
        image, truth = sim.next_frame()
        if table is None:
            table = detect_table(image, params.table)
            if table is None:
                raise RuntimeError(f'{scenario}: no table found')
        balls = balls_det.detect(image, table, truth['t'])
        for mode in (('full', 'incremental') if i % 2 else ('incremental', 'full')):
            t0 = time.process_time()
            if mode == 'full':
                cue = detect_cue_at_width(image, table, balls, params.cue, work_width)
            else:
                cue = inc.detect(image, table, balls)
                modes[inc.last['mode']] = modes.get(inc.last['mode'], 0) + 1
            r = out[mode]
            r['cpu'].append(1000.0 * (time.process_time() - t0))
            gt = truth.get('cue')
            if gt is None:
                r['fp'] += cue is not None
                continue
            r['labelled'] += 1
            if cue is not None:
                r['found'] += 1
                r['first'] = i if r['first'] is None else r['first']
                r['tip'].append(float(np.hypot(*np.subtract(cue.tip_px, gt['tip_px']))))
                r['ang'].append(angle_diff_deg(cue.angle_deg, gt['angle_deg']))
    result = {'scenario': scenario, 'cloth': CLOTHS[k % 3], 'frames': frames, 'modes': modes}
    for mode, r in out.items():
        result[mode] = {'cpu_mean_ms': float(np.mean(r['cpu'])), 'cpu_p95_ms': float(np.percentile(r['cpu'], 95)),
                        'detection_rate': r['found'] / max(1, r['labelled']), 'false_sticks': r['fp'],
                        'first_found': r['first'],
                        'tip_median_px': float(np.median(r['tip'])) if r['tip'] else None,
                        'angle_median_deg': float(np.median(r['ang'])) if r['ang'] else None,
                        'angle_p95_deg': float(np.percentile(r['ang'], 95)) if r['ang'] else None}
    return result


def _f(v, d=2):
    return '-' if v is None else f'{v:.{d}f}'


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog='bench_cue', description=__doc__.split('\n')[0])
    parser.add_argument('--frames', type=int, default=90, help='frames per scenario')
    parser.add_argument('--size', type=parse_resolution, default=(1280, 720), metavar='WxH')
    parser.add_argument('--seed', type=int, default=11)
    parser.add_argument('--work-width', type=int, default=1280, help="cue_detector's work_width_px")
    parser.add_argument('--scenarios', nargs='+', default=list(SCENARIOS))
    args = parser.parse_args(argv)
    size = args.size
    print(f'cue, every frame (full) vs incremental, {size[0]}x{size[1]}, {args.frames} frames a scenario '
          '(CPU ms measured side by side in one loop)')
    print(f'{"scenario":22s} {"cpu full mean/p95":>18s} {"cpu inc mean/p95":>17s}  {"det full/inc":>12s} '
          f'{"fp":>5s} {"first":>7s} {"tip px full/inc":>15s} {"angle med/p95 full | inc":>26s}  modes')
    for k, scenario in enumerate(args.scenarios):
        r = run(scenario, k, args.frames, size, args.seed, args.work_width)
        a, b = r['full'], r['incremental']
        print(f'{scenario + " (" + r["cloth"] + ")":22s} {_f(a["cpu_mean_ms"], 1):>8s} / {_f(a["cpu_p95_ms"], 1):>6s} '
              f'{_f(b["cpu_mean_ms"], 1):>7s} / {_f(b["cpu_p95_ms"], 1):>6s}  '
              f'{_f(a["detection_rate"], 3)}/{_f(b["detection_rate"], 3)} '
              f'{a["false_sticks"]:>2d}/{b["false_sticks"]:<2d} '
              f'{str(a["first_found"]):>3s}/{str(b["first_found"]):<3s} '
              f'{_f(a["tip_median_px"])}/{_f(b["tip_median_px"]):>6s} '
              f'{_f(a["angle_median_deg"], 3)}/{_f(a["angle_p95_deg"], 3)} | '
              f'{_f(b["angle_median_deg"], 3)}/{_f(b["angle_p95_deg"], 3)}  {r["modes"]}', flush=True)
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
