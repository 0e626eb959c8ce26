# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""When a rolling ball stops, from its recent positions. No ROS.

A rolling ball slows at the constant rolling deceleration a (sim/physics.py), so
along its line the distance still to go is a/2 (t_stop - t)^2 until it stops. A
least-squares fit of that curve over the last second of positions gives t_stop to
a fraction of a frame even though the last millimetres are far below the
measurement noise; a speed threshold would call the ball stopped many frames early
or late.
"""
from __future__ import annotations

import numpy as np

GRID_STEP_S = 0.004


def fit_stop_time(times, points, decel: float, horizon_s: float = 3.0):
    """(t_stop, rms residual [m]) of positions `points` (Nx2) at `times` of a ball rolling straight.

    None when there are too few points to fit. The line is the points' principal axis.
    """
    t = np.asarray(times, float)
    p = np.asarray(points, float)
    if len(t) < 4 or t[-1] - t[0] < 0.15:
        return None
    centred = p - p.mean(axis=0)
    u = np.linalg.svd(centred, full_matrices=False)[2][0]
    if np.dot(p[-1] - p[0], u) < 0:
        u = -u
    s = (p - p[0]) @ u
    candidates = np.arange(t[0], t[-1] + horizon_s, GRID_STEP_S)
    lag = np.maximum(candidates[:, None] - t[None, :], 0.0)
    g = s[None, :] + 0.5 * decel * lag * lag           # each point moved on to the stop position
    resid = g - g.mean(axis=1, keepdims=True)
    cost = np.sum(resid * resid, axis=1)
    k = int(np.argmin(cost))
    return float(candidates[k]), float(np.sqrt(cost[k] / len(t)))
