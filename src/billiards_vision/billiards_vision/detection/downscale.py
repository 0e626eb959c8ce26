# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Run a detector on a smaller copy of the picture: the table and balls scaled with it.

The cue stick is long and straight: its angle comes from edges over its whole
length, so at 1280 px wide it is found about as well as at 1920 (a short shaft
piece beyond the bridge hand still passes; at 960 px it does not) for less
than half the work.
"""
from __future__ import annotations

import copy
from typing import Optional, Sequence

import cv2
import numpy as np

from .cue import CueDetection, detect_cue
from .params import CueParams
from .table import TableDetection


def scale_table(table: TableDetection, s: float) -> TableDetection:
    return TableDetection(table.corners_px * s, table.geometry, table.long_side_horizontal, table.cloth,
                          table.confidence, table.manual)


def detect_cue_at_width(image_bgr: np.ndarray, table: TableDetection, balls: Sequence, params: CueParams,
                        work_width: int, window=None) -> Optional[CueDetection]:
    """detect_cue on a copy at most `work_width` px wide (0: full size); results in full-size pixels.
    `window` (x0, y0, x1, y1, full-size pixels): search only there (see detect_cue)."""
    w = image_bgr.shape[1]
    if work_width <= 0 or w <= work_width:
        return detect_cue(image_bgr, table, balls, params, window=window)
    s = work_width / float(w)
    small = cv2.resize(image_bgr, (work_width, max(1, int(round(image_bgr.shape[0] * s)))),
                       interpolation=cv2.INTER_AREA)
    small_window = None if window is None else tuple(v * s for v in window)
    scaled = []
    for b in balls:
        b = copy.copy(b)
        b.x, b.y, b.radius = b.x * s, b.y * s, b.radius * s
        scaled.append(b)
    cue = detect_cue(small, scale_table(table, s), scaled, params, window=small_window)
    if cue is not None:
        # A uniform scale keeps the angle, the table position and the target ball index.
        cue.tip_px = (cue.tip_px[0] / s, cue.tip_px[1] / s)
        cue.butt_px = (cue.butt_px[0] / s, cue.butt_px[1] / s)
    return cue
