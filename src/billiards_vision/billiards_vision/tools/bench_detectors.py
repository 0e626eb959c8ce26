# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Per-frame cost of each detector at 1920x1080 (median, p95).

    python -m billiards_vision.tools.bench_detectors [--frames 40] [--width 1920 --height 1080]

Frames come from the synthetic table (a cue-aiming scene: table, 16 balls and
the stick). Timed separately: the full table search, the per-frame table check
the node does between searches (TableTracker.update), ball detection, cue
detection, and everything detect_image does on one picture.
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from ..detection.balls import detect_balls
from ..detection.cue import detect_cue
from ..detection.params import DetectorParams
from ..detection.pipeline import detect_all
from ..detection.table import detect_table
from ..detection.table_tracker import TableTracker


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, (time.perf_counter() - t0) * 1000.0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog='bench_detectors', description=__doc__.split('\n')[0])
    parser.add_argument('--frames', type=int, default=40)
    parser.add_argument('--width', type=int, default=1920)
    parser.add_argument('--height', type=int, default=1080)
    parser.add_argument('--scenario', default='cue_aiming')
    args = parser.parse_args(argv)
    if args.frames < 1:
        parser.error('--frames must be positive')
    from ..sim import SyntheticTable
    sim = SyntheticTable(args.scenario, args.width, args.height, 30.0, seed=5)
    params = DetectorParams()
    images = [sim.next_frame()[0] for _ in range(args.frames)]
    tracker = TableTracker(params.table)
    tracker.update(images[0], 0.0)
    times = {k: [] for k in ('table_search', 'table_track', 'balls', 'cue', 'detect_image (all)')}
    for i, image in enumerate(images):
        table, ms = _timed(lambda: detect_table(image, params.table))
        times['table_search'].append(ms)
        times['table_track'].append(_timed(lambda: tracker.update(image, 1.0 + i / 30.0))[1])
        balls, ms = _timed(lambda: detect_balls(image, table, params.balls))
        times['balls'].append(ms)
        times['cue'].append(_timed(lambda: detect_cue(image, table, balls, params.cue))[1])
        times['detect_image (all)'].append(_timed(lambda: detect_all(image, params))[1])
    print(f'detector cost per frame at {args.width}x{args.height}, {args.frames} frames ({args.scenario}), ms')
    print(f'{"detector":22s} {"median":>8s} {"p95":>8s}')
    for name, values in times.items():
        print(f'{name:22s} {np.median(values):8.1f} {np.percentile(values, 95):8.1f}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
