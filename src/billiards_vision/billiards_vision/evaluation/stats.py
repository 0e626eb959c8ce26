# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Small summary statistics shared by the metric modules (None when there is no sample)."""
from __future__ import annotations

import numpy as np


def summary(values) -> dict | None:
    """{n, mean, median, p95, min, max} of a sample, or None for an empty one."""
    v = np.asarray(list(values), dtype=np.float64)
    if v.size == 0:
        return None
    return {'n': int(v.size), 'mean': float(v.mean()), 'median': float(np.median(v)),
            'p95': float(np.percentile(v, 95)), 'min': float(v.min()), 'max': float(v.max())}


def ratio(num: float, den: float) -> float | None:
    return float(num) / float(den) if den else None


def angle_diff_deg(a: float, b: float) -> float:
    """Absolute difference of two directions in degrees, in [0, 180] (359 vs 1 -> 2)."""
    return abs((float(a) - float(b) + 180.0) % 360.0 - 180.0)
