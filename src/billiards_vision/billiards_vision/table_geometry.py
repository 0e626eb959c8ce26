# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Pool table dimensions and the `table` frame. No ROS imports.

The `table` frame: origin at the centre of the playing surface, x along the
long side, y along the short side, z up towards the camera. Units are metres.
Corners and pockets are listed in the order documented in Table.msg: seen from
the camera with the long side horizontal, top-left, top-right, bottom-right,
bottom-left (clockwise on screen), i.e. (-L/2,+W/2), (+L/2,+W/2), (+L/2,-W/2),
(-L/2,-W/2); pockets clockwise from the top-left corner pocket.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BALL_DIAMETER_M = 0.05715
BALL_RADIUS_M = BALL_DIAMETER_M / 2.0
CORNER_POCKET_MOUTH_M = 0.114
SIDE_POCKET_MOUTH_M = 0.127

# Playing surface between cushion noses (length, width) [m].
TABLE_PRESETS = {
    '7ft': (1.981, 0.991),
    '8ft': (2.337, 1.168),
    '9ft': (2.540, 1.270),
}

POCKET_CORNER = 'corner'
POCKET_SIDE = 'side'

# Ball numbering: 0 cue, 1-7 solids, 8 eight, 9-15 stripes.
BALL_TYPES = ('unknown', 'cue', 'eight', 'solid', 'stripe')  # index = Ball.msg TYPE_*


def ball_type_of_number(number: int) -> str:
    """The type name of a ball number (0 = cue)."""
    if number == 0:
        return 'cue'
    if number == 8:
        return 'eight'
    if 1 <= number <= 7:
        return 'solid'
    if 9 <= number <= 15:
        return 'stripe'
    return 'unknown'


@dataclass(frozen=True)
class TableGeometry:
    """Playing-surface size and derived corner / pocket positions in the table frame."""

    length: float = TABLE_PRESETS['9ft'][0]
    width: float = TABLE_PRESETS['9ft'][1]

    @classmethod
    def from_preset(cls, name: str) -> 'TableGeometry':
        try:
            return cls(*TABLE_PRESETS[name])
        except KeyError:
            raise ValueError(f'unknown table size {name!r}; allowed: {", ".join(TABLE_PRESETS)}') from None

    def corners(self) -> np.ndarray:
        """4x2 corners in Table.msg order."""
        hl, hw = self.length / 2.0, self.width / 2.0
        return np.array([[-hl, hw], [hl, hw], [hl, -hw], [-hl, -hw]], dtype=np.float64)

    def pockets(self) -> list[tuple[str, np.ndarray]]:
        """Six (kind, xy) pocket mouth centres, clockwise on screen from top-left.

        Mouth centres sit on the cushion-nose line: corners at the corners,
        side pockets at the middle of the long cushions.
        """
        hl, hw = self.length / 2.0, self.width / 2.0
        pts = [(POCKET_CORNER, (-hl, hw)), (POCKET_SIDE, (0.0, hw)), (POCKET_CORNER, (hl, hw)),
               (POCKET_CORNER, (hl, -hw)), (POCKET_SIDE, (0.0, -hw)), (POCKET_CORNER, (-hl, -hw))]
        return [(kind, np.array(xy, dtype=np.float64)) for kind, xy in pts]

    def pocket_mouth(self, kind: str) -> float:
        return CORNER_POCKET_MOUTH_M if kind == POCKET_CORNER else SIDE_POCKET_MOUTH_M


def apply_homography(h: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Map Nx2 points through a 3x3 homography."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    ph = np.hstack([pts, np.ones((len(pts), 1))]) @ np.asarray(h, dtype=np.float64).T
    return ph[:, :2] / ph[:, 2:3]
