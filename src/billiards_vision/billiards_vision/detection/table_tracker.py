# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Keeps the table between full searches: the table does not move, the camera rarely does.

A full search runs at start, every `redetect_interval_s`, and when a cheap check
says the picture changed: the cloth mask of a small copy of the frame is compared
with the one of the last search (share of the table area that differs). New
corners close to the current ones are blended in (exponential smoothing); a
large jump is taken only when two searches in a row agree, so a player leaning
over the table cannot drag the table away.
"""
from __future__ import annotations

from typing import Optional

import cv2
import numpy as np

from .colors import cloth_mask
from .params import TableParams
from .table import TableDetection, detect_table, table_from_corners

THUMB_WIDTH = 160


class TableTracker:
    def __init__(self, params: TableParams, redetect_interval_s: float = 10.0,
                 change_threshold: float = 0.05, smoothing: float = 0.3, jump_fraction: float = 0.01):
        self.params = params
        self.redetect_interval_s = redetect_interval_s
        self.change_threshold = change_threshold
        self.smoothing = smoothing
        self.jump_fraction = jump_fraction
        self.table: Optional[TableDetection] = None
        self._last_search_t: Optional[float] = None
        self._ref_mask: Optional[np.ndarray] = None
        self._pending: Optional[np.ndarray] = None

    def _thumb_mask(self, image_bgr: np.ndarray) -> Optional[np.ndarray]:
        if self.table is None or self.table.cloth is None:
            return None
        h, w = image_bgr.shape[:2]
        small = cv2.resize(image_bgr, (THUMB_WIDTH, max(1, int(round(h * THUMB_WIDTH / w)))),
                           interpolation=cv2.INTER_AREA)
        hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
        return cloth_mask(hsv, self.table.cloth, self.params.cloth_hue_tolerance_deg,
                          self.params.cloth_min_saturation) > 0

    def picture_change(self, image_bgr: np.ndarray) -> float:
        """Share of the table area whose cloth / not-cloth state changed since the last search."""
        mask = self._thumb_mask(image_bgr)
        if mask is None or self._ref_mask is None or mask.shape != self._ref_mask.shape:
            return 1.0
        return float(np.logical_xor(mask, self._ref_mask).sum()) / max(1.0, float(self._ref_mask.sum()))

    def update(self, image_bgr: np.ndarray, t: float) -> tuple[Optional[TableDetection], bool]:
        """(current table, whether it changed) for a frame taken at time t [s]."""
        if self.params.manual_corners:
            if self.table is None:
                self.table = detect_table(image_bgr, self.params)
                return self.table, True
            return self.table, False
        due = (self._last_search_t is None or t - self._last_search_t >= self.redetect_interval_s
               or t < self._last_search_t)
        if not due and self.picture_change(image_bgr) < self.change_threshold:
            return self.table, False
        self._last_search_t = t
        found = detect_table(image_bgr, self.params)
        if found is None:
            return self.table, False
        if self.table is None:
            return self._accept(found, image_bgr), True
        diag = float(np.hypot(*image_bgr.shape[:2]))
        jump = float(np.abs(found.corners_px - self.table.corners_px).max())
        if jump <= self.jump_fraction * diag:
            corners = (1 - self.smoothing) * self.table.corners_px + self.smoothing * found.corners_px
            moved = float(np.abs(corners - self.table.corners_px).max()) > 0.05
            smoothed = table_from_corners(corners, self.params, manual=False, cloth=found.cloth,
                                          horizontal=found.long_side_horizontal)
            smoothed.confidence = found.confidence
            self._pending = None
            self._accept(smoothed, image_bgr)
            return self.table, moved
        if self._pending is not None and np.abs(found.corners_px - self._pending).max() <= self.jump_fraction * diag:
            self._pending = None
            return self._accept(found, image_bgr), True
        self._pending = found.corners_px
        return self.table, False

    def _accept(self, table: TableDetection, image_bgr: np.ndarray) -> TableDetection:
        self.table = table
        self._ref_mask = self._thumb_mask(image_bgr)
        return table
