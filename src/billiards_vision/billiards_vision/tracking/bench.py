# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Cost of the tracker per detection frame with 16 balls (`make bench`).

    python -m billiards_vision.tracking.bench [--frames 300]

The `break` scenario (16 balls: rack at rest, the break, balls rolling, stopping) as
detections from the ground truth with realistic faults, fed to the tracker at 30 Hz;
reported: ms per frame (median, p95, max) for tracking alone and with the shot
prediction while the cue aims (`cue_aiming`, recomputed only when the aim or the balls change),
in the same call as the tracker node did before, and as it does now: tracks out first, the
prediction on its worker thread (prediction_worker.py) while the frames come at 30 Hz; there
the time is until the tracks are out (the worker holds the GIL part of the time) and the
predictions made are counted.
"""
from __future__ import annotations

import argparse
import math
import time

import numpy as np

from ..evaluation.synthetic_detections import observations_from_truth
from ..sim import SyntheticTable
from ..table_geometry import TableGeometry
from .prediction_worker import PredictionRequest, PredictionWorker, snapshot
from .session import TrackingSession


def _frames(scenario: str, n: int) -> list[dict]:
    table = SyntheticTable(scenario, width=1280, height=720, fps=30.0, seed=0)
    return [table.next_truth() for _ in range(n)]


def _run(frames, with_cue: bool, worker: bool = False) -> tuple[np.ndarray, str]:
    rng = np.random.default_rng(0)
    session = TrackingSession()
    session.set_table(TableGeometry(*frames[0]['table']['size_m']))
    inputs = [observations_from_truth(g, rng) for g in frames]
    costs, errors = [], []
    predictions = PredictionWorker(session.predictor.predict, lambda token, result: None, errors.append) \
        if worker else None
    start = time.perf_counter()
    for k, (g, obs) in enumerate(zip(frames, inputs)):
        cue = None
        if with_cue and g.get('cue'):
            tip = g['cue']['tip_m']
            ball = next(b for b in g['balls'] if b['id'] == 0)['position_m']
            cue = {'tip_m': tip, 'angle': math.atan2(ball[1] - tip[1], ball[0] - tip[0])}
        if predictions is not None:              # frames at 30 Hz, as the detectors deliver them
            time.sleep(max(0.0, start + k / 30.0 - time.perf_counter()))
        t0 = time.perf_counter()
        if predictions is None:
            session.step(g['frame'], g['t'], obs, cue)
            costs.append(time.perf_counter() - t0)
        else:
            session.track(g['frame'], g['t'], obs, cue)
            costs.append(time.perf_counter() - t0)
            predictions.submit(PredictionRequest(g['frame'], snapshot(session.tracker.confirmed()), cue,
                                                 session.geometry))
    note = ''
    if predictions is not None:
        predictions.stop()
        failed = f', {len(errors)} failed' if errors else ''
        note = f'{predictions.computed} predictions for {len(frames)} frames{failed}'
    return np.array(costs) * 1e3, note


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog='tracking.bench', description=__doc__.split('\n')[0])
    p.add_argument('--frames', type=int, default=300)
    args = p.parse_args(argv)
    aiming = _frames('cue_aiming', args.frames)
    rows = [('break, 16 balls, tracking', _run(_frames('break', args.frames), False)),
            ('cue_aiming, 5 balls, tracking + shot prediction', _run(aiming, True)),
            ('cue_aiming, tracks out, prediction on its thread', _run(aiming, True, worker=True))]
    print(f'tracker cost per detection frame ({args.frames} frames at 30 Hz, ms)')
    print(f'{"case":50s} {"median":>8s} {"p95":>8s} {"max":>8s}')
    for name, (ms, note) in rows:
        print(f'{name:50s} {np.median(ms):8.2f} {np.percentile(ms, 95):8.2f} {ms.max():8.2f}  {note}')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
