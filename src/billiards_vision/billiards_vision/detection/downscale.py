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
import math
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
                        work_width: int, window=None, reads=None) -> Optional[CueDetection]:
    """detect_cue on a copy at most `work_width` px wide (0: full size); results in full-size pixels.
    `window` (x0, y0, x1, y1, full-size pixels): search only there (see detect_cue). `reads` (a box
    holding everything that search looks at: the window and the stick's line to the picture's
    border): only that part of the copy is made (`scaled_part`)."""
    w = image_bgr.shape[1]
    if work_width <= 0 or w <= work_width:
        return detect_cue(image_bgr, table, balls, params, window=window)
    s = work_width / float(w)
    size = (work_width, max(1, int(round(image_bgr.shape[0] * s))))
    small = cv2.resize(image_bgr, size, interpolation=cv2.INTER_AREA) if reads is None else \
        scaled_part(image_bgr, size, reads)
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


def scaled_part(image: np.ndarray, size: tuple, box) -> np.ndarray:
    """cv2.resize(image, size, interpolation=cv2.INTER_AREA) where only the pixels over `box`
    (x0, y0, x1, y1 in image pixels) are needed, the rest left 0. The part is scaled on its own,
    cut at whole blocks of the scale ratio (3 source px -> 2 for 1920 -> 1280), so its pixels are
    those of the whole picture scaled (area interpolation only mixes pixels of one block). Scaling
    1080p to 1280 px wide costs about 8 ms CPU; a stick along the table needs a third of it."""
    h, w = image.shape[:2]
    out_w, out_h = size
    gx, gy = math.gcd(w, out_w), math.gcd(h, out_h)
    qx, px, qy, py = w // gx, out_w // gx, h // gy, out_h // gy     # qx source px -> px scaled
    x0, x1 = max(0, int(box[0]) // qx * qx), min(w, -(-int(math.ceil(box[2])) // qx) * qx)
    y0, y1 = max(0, int(box[1]) // qy * qy), min(h, -(-int(math.ceil(box[3])) // qy) * qy)
    if max(qx, qy) > 16 or x1 <= x0 or y1 <= y0 or (x1 - x0) * (y1 - y0) > 0.6 * w * h:
        return cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    out = np.zeros((out_h, out_w) + image.shape[2:], image.dtype)
    part = (x0 // qx * px, y0 // qy * py, x1 // qx * px, y1 // qy * py)
    out[part[1]:part[3], part[0]:part[2]] = cv2.resize(image[y0:y1, x0:x1], (part[2] - part[0], part[3] - part[1]),
                                                       interpolation=cv2.INTER_AREA)
    return out
