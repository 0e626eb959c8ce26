# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""The shot prediction off the tracker's path: a thread that predicts for the newest frame only. No ROS.

A prediction while the cue aims runs several simulations (a few hundred ms on
a busy core); computed in the tracker's own callback it held up every track
message behind it and frames queued. The tracker node publishes tracks first
and hands the frame here: a request that arrives while one is computed
replaces any still waiting (only the newest aim matters), results come out in
request order, each with the token (the balls header) it was computed for.

The simulations are Python and hold the GIL, so the worker also keeps to a
CPU share: after a prediction that cost c seconds of its thread's CPU time it
simulates again only c * (1 - share) / share later. A request without a cue
(nothing to predict: the prediction is cleared) never waits.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional

import numpy as np

from ..table_geometry import TableGeometry


@dataclass(frozen=True)
class TrackView:
    """What the predictor reads of a track, copied: the tracker changes its tracks in place."""
    id: int
    pos: np.ndarray
    state: str
    type: str
    moving: bool


def snapshot(tracks) -> list[TrackView]:
    return [TrackView(t.id, np.array(t.pos, dtype=float), t.state, t.type, bool(t.moving)) for t in tracks]


@dataclass
class PredictionRequest:
    token: Any                      # handed back with the result (the node: the balls header)
    tracks: list[TrackView]
    cue: Optional[dict]
    geometry: Optional[TableGeometry]


class PredictionWorker:
    """Runs `predict(tracks, cue, geometry)` on a thread for the newest request; `deliver(token, result)`
    gets each result (on that thread). `on_error(exc)` reports a failed prediction (delivered as None)."""

    def __init__(self, predict: Callable, deliver: Callable[[Any, Optional[dict]], None],
                 on_error: Callable[[Exception], None], cpu_share: float = 0.3, niceness: int = 0):
        if not 0.0 < cpu_share <= 1.0:
            raise ValueError(f'cpu_share must be in (0, 1], got {cpu_share}')
        self._predict, self._deliver, self._on_error = predict, deliver, on_error
        self.cpu_share = float(cpu_share)
        self._niceness = int(niceness)
        self._cond = threading.Condition()
        self._pending: Optional[PredictionRequest] = None
        self._not_before = 0.0            # monotonic time before which no simulation starts
        self._stopped = False
        self.computed = 0                 # requests predicted
        self.replaced = 0                 # requests dropped for a newer one before they were predicted
        self._thread = threading.Thread(target=self._run, name='shot_prediction', daemon=True)
        self._thread.start()

    def submit(self, request: PredictionRequest) -> None:
        with self._cond:
            if self._pending is not None:
                self.replaced += 1
            self._pending = request
            self._cond.notify()

    def idle(self) -> bool:
        """Nothing waiting (a prediction may still be running)."""
        with self._cond:
            return self._pending is None

    def stop(self, timeout: float = 5.0) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()
        self._thread.join(timeout=timeout)

    def _next(self) -> Optional[PredictionRequest]:
        with self._cond:
            while not self._stopped:
                if self._pending is not None:
                    wait = self._not_before - time.monotonic() if self._pending.cue is not None else 0.0
                    if wait <= 0.0:
                        request, self._pending = self._pending, None
                        return request
                    self._cond.wait(wait)
                else:
                    self._cond.wait()
            return None

    def _run(self) -> None:
        if self._niceness > 0:
            os.nice(self._niceness)       # per thread on Linux: the tracks callback keeps its priority
        while (request := self._next()) is not None:
            cpu0 = time.thread_time()
            try:
                result = self._predict(request.tracks, request.cue, request.geometry)
            except Exception as exc:      # a bad frame must not end the predictions; it is reported
                self._on_error(exc)
                result = None
            cost = time.thread_time() - cpu0
            self.computed += 1
            with self._cond:
                self._not_before = time.monotonic() + cost * (1.0 - self.cpu_share) / self.cpu_share
            self._deliver(request.token, result)
