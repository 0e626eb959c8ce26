# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Lamps over the table: where balls and the cue cast shadows and where balls shine.

Each ball casts one soft shadow per lamp, pointing away from it, and takes
its highlight from the nearer lamp.
"""
from __future__ import annotations

import numpy as np

from ..table_geometry import TableGeometry

LAMP_HEIGHT_M = 1.5


class Lamps:
    def __init__(self, geometry: TableGeometry):
        # (x, y, z) above the cloth and relative strength. Fitted to the target table's
        # reference frames: a strong light off the right end (in the image) and a weak one
        # over the left half, so the cloth brightens towards the right and shadows fall to
        # the left of the balls.
        L, W = geometry.length, geometry.width
        self.positions = np.array([[-0.25 * L, 0.1 * W, LAMP_HEIGHT_M], [0.6 * L, -0.15 * W, LAMP_HEIGHT_M]])
        self.strength = np.array([0.2, 1.0])

    def shadow_shifts(self, xy, height: float) -> list[tuple[np.ndarray, float]]:
        """Horizontal shift [m] of the shadow of a point at `height` above xy, and its weight, per lamp."""
        xy = np.asarray(xy, float)
        out = []
        for lamp, w in zip(self.positions, self.strength):
            out.append(((xy - lamp[:2]) * height / (lamp[2] - height), float(w / self.strength.sum())))
        return out

    def nearest(self, xy) -> np.ndarray:
        d = np.linalg.norm(self.positions[:, :2] - np.asarray(xy, float)[None], axis=1)
        return self.positions[int(np.argmin(d))]

    def light_view(self, xyz) -> np.ndarray:
        """Unit direction to the nearer lamp in view coordinates (x right, y down, z to the camera)."""
        d = self.nearest(xyz[:2]) - np.asarray(xyz, float)
        d /= np.linalg.norm(d)
        return np.array([d[0], -d[1], d[2]])
