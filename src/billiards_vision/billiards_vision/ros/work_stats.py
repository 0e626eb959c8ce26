# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Where a detector node's time goes, for /diagnostics (no ROS imports).

Per processed frame: how old the frame was when work on it started (capture
stamp -> start: transport plus waiting for the worker), the work's wall and
CPU time, and capture -> result. With the frames the worker replaced before
taking them, this tells a slow result topic's cause: the detector's own cost,
a starved CPU (wall well above CPU), or frames arriving late.
"""
from __future__ import annotations

import collections
import threading
import time
from typing import Optional

import numpy as np


class WorkStats:
    def __init__(self, window_s: float = 5.0):
        self.window_s = float(window_s)
        self.processed = 0
        self.errors = 0
        self._recent: collections.deque = collections.deque()  # (end, age_ms, wall_ms, cpu_ms, latency_ms)
        self._lock = threading.Lock()

    def record(self, stamp_s: Optional[float], start_wall: float, end_wall: float, cpu_s: float,
               end_mono: Optional[float] = None) -> None:
        """One frame: `stamp_s` its capture stamp (epoch s, None if unknown), start/end on the same clock."""
        age = 1000.0 * (start_wall - stamp_s) if stamp_s else float('nan')
        latency = 1000.0 * (end_wall - stamp_s) if stamp_s else float('nan')
        end = time.monotonic() if end_mono is None else end_mono
        with self._lock:
            self.processed += 1
            self._recent.append((end, age, 1000.0 * (end_wall - start_wall), 1000.0 * cpu_s, latency))
            self._trim(end)

    def _trim(self, now: float) -> None:
        while self._recent and now - self._recent[0][0] > self.window_s:
            self._recent.popleft()

    def summary(self, now: Optional[float] = None) -> dict:
        """Rate [Hz] and p50 / p95 of each figure [ms] over the last window_s."""
        with self._lock:
            self._trim(time.monotonic() if now is None else now)
            rows = np.array([r[1:] for r in self._recent], np.float64).reshape(-1, 4)
            ends = [r[0] for r in self._recent]
            out = {'processed': self.processed, 'errors': self.errors}
        out['rate_hz'] = (len(ends) - 1) / (ends[-1] - ends[0]) if len(ends) > 1 and ends[-1] > ends[0] else 0.0
        for k, name in enumerate(('input_age_ms', 'work_ms', 'work_cpu_ms', 'latency_ms')):
            col = rows[:, k][np.isfinite(rows[:, k])]
            p50, p95 = np.percentile(col, [50, 95]) if len(col) else (float('nan'), float('nan'))
            out[name] = (float(p50), float(p95))
        return out
