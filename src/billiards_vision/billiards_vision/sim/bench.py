# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Render-speed benchmark: `python -m billiards_vision.sim.bench [--frames N] [--scenario NAME]`.

Prints the per-frame time (physics + rendering + noise + JPEG round trip) at
1280x720 and 1920x1080, median and 95th percentile, and the one-off
background build time.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from . import SCENARIOS, SyntheticTable


def bench(width: int, height: int, frames: int, scenario: str, seed: int = 0) -> dict:
    t0 = time.perf_counter()
    table = SyntheticTable(scenario, width=width, height=height, seed=seed)
    setup = time.perf_counter() - t0
    times = []
    for _ in range(frames):
        t = time.perf_counter()
        table.next_frame()
        times.append(time.perf_counter() - t)
    ms = np.array(times) * 1000.0
    return {'setup_s': setup, 'median_ms': float(np.median(ms)), 'p95_ms': float(np.percentile(ms, 95)),
            'max_ms': float(ms.max())}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--frames', type=int, default=300)
    parser.add_argument('--scenario', default='demo', choices=sorted(SCENARIOS))
    args = parser.parse_args(argv)
    for w, h in ((1280, 720), (1920, 1080)):
        r = bench(w, h, args.frames, args.scenario)
        print(f'{w}x{h} {args.scenario}: {args.frames} frames, median {r["median_ms"]:.1f} ms, '
              f'p95 {r["p95_ms"]:.1f} ms, max {r["max_ms"]:.1f} ms (background build {r["setup_s"]:.1f} s)')


if __name__ == '__main__':
    main()
