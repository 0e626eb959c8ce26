# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""CPU time per frame of the incremental ball detector, another version of the code against this one.

    python -m billiards_vision.tools.bench_ball_cpu --old /path/to/other/worktree/src/billiards_vision \\
        [--size 1280x720] [--frames 90] [--scenarios break single_shot cue_aiming random] \\
        [--demo-frames 150 --demo-every 3] [--interval 2.0]

Both detectors run in this process, alternating which goes first, on the same
rendered frames (CPU time, `time.process_time`, so other load on a shared
machine hits both alike), and their balls are compared exactly (x, y, radius,
confidence, type, number, type confidence). `--old` is the `src/billiards_vision`
folder of another checkout (for example a worktree of main); its package is
loaded under another name. The `demo` scenario is taken every `--demo-every`-th
frame, as a detector that keeps up with a third of the camera's frames sees it.
"""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
import time
from pathlib import Path

import numpy as np

from ..sim import SyntheticTable
from .simulate import parse_resolution

CLOTHS = ('teal', 'green', 'blue')


def load_package(src: Path, name: str = 'billiards_vision_old'):
    """The billiards_vision package under `src` imported as `name` (its imports are relative)."""
    pkg = src / 'billiards_vision'
    spec = importlib.util.spec_from_file_location(name, pkg / '__init__.py', submodule_search_locations=[str(pkg)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _key(b):
    return (b.x, b.y, b.radius, b.confidence, b.type, b.number, b.type_confidence)


def frames_of(scenario: str, k: int, size: tuple, n: int, every: int, seed: int):
    sim = SyntheticTable(scenario, size[0], size[1], 30.0, seed=seed + k, cloth=CLOTHS[k % 3])
    out = []
    for i in range(n * every):
        image, truth = sim.next_frame()
        if i % every == 0:
            out.append((image, float(truth['t'])))
    return out


def run(frames, versions: dict, interval: float) -> tuple[dict, int, int]:
    """CPU ms per frame of each version, frames whose balls differ, balls compared."""
    det, tab = {}, {}
    for name, (inc, params, table) in versions.items():
        p = params.DetectorParams()
        tab[name] = table.detect_table(frames[0][0], p.table)
        det[name] = inc.IncrementalBallDetector(p.balls, inc.IncrementalParams(full_search_interval_s=interval))
    ms = {name: [] for name in versions}
    differ = compared = 0
    names = list(versions)
    for i, (image, t) in enumerate(frames):
        out = {}
        for name in (names if i % 2 == 0 else names[::-1]):
            c0 = time.process_time()
            out[name] = det[name].detect(image, tab[name], t)
            ms[name].append(1000.0 * (time.process_time() - c0))
        keys = [sorted(map(_key, out[name])) for name in names]
        compared += len(keys[0])
        differ += any(k != keys[0] for k in keys[1:])
    return ms, differ, compared


def _row(label, ms):
    v = np.asarray(ms)
    return f'{label:24s} {v.mean():7.1f} {np.percentile(v, 95):7.1f} {v.max():7.1f}'


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog='bench_ball_cpu', description=__doc__.split('\n')[0])
    parser.add_argument('--old', type=Path, required=True, help='src/billiards_vision folder of the other code')
    parser.add_argument('--size', type=parse_resolution, default=(1280, 720), metavar='WxH')
    parser.add_argument('--frames', type=int, default=90, help='frames per scenario')
    parser.add_argument('--scenarios', nargs='+', default=['break', 'single_shot', 'cue_aiming', 'random'])
    parser.add_argument('--demo-frames', type=int, default=150, help='frames of the demo loop (0: none)')
    parser.add_argument('--demo-every', type=int, default=3)
    parser.add_argument('--interval', type=float, default=2.0, help='scheduled full search [s] (scenarios)')
    parser.add_argument('--seed', type=int, default=11)
    args = parser.parse_args(argv)
    size = args.size
    old = load_package(args.old)
    versions = {}
    for name, root in (('old', old.__name__), ('new', __package__.rsplit('.', 1)[0])):
        versions[name] = tuple(importlib.import_module(f'{root}.detection.{m}') for m in ('incremental', 'params',
                                                                                          'table'))
    # Warm-up: imports and lazy initialisation of both.
    warm = frames_of('random', 0, size, 2, 1, args.seed)
    run(warm, versions, args.interval)
    cases = [(s, k, args.frames, 1, args.interval) for k, s in enumerate(args.scenarios)]
    if args.demo_frames > 0:
        cases.append(('demo', 0, args.demo_frames, args.demo_every, 5.0))
    print(f'ball detector CPU ms per frame (process_time), {size[0]}x{size[1]}, old = {args.old}, new = this code')
    print(f'{"case":24s} {"mean":>7s} {"p95":>7s} {"max":>7s}')
    total = {name: [] for name in versions}
    for scenario, k, n, every, interval in cases:
        ms, differ, compared = run(frames_of(scenario, k, size, n, every, args.seed), versions, interval)
        label = scenario if every == 1 else f'{scenario} (every {every})'
        for name in versions:
            print(_row(f'{label} {name}', ms[name]))
            total[name] += ms[name] if scenario != 'demo' else []
        print(f'{"":24s} balls differ in {differ} of {len(ms["new"])} frames ({compared} balls compared)')
    for name in versions:
        if total[name]:
            print(_row(f'scenarios {name}', total[name]))
    return 0


if __name__ == '__main__':
    sys.exit(main())
