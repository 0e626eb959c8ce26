# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""The cue stick (and the player's bridge hand and forearm): state and drawing."""
from __future__ import annotations

from dataclasses import dataclass
import math

import numpy as np

from ..table_geometry import BALL_RADIUS_M
from .camera import OverheadCamera
from .lighting import Lamps
from .render import fill_polygon_alpha

CUE_LENGTH_M = 1.47
TIP_DIAMETER_M = 0.013
BUTT_DIAMETER_M = 0.030
# (start, end) distance from the tip [m] and colour (BGR) of each section.
CUE_SECTIONS = [
    (0.000, 0.011, (150, 105, 60)),     # chalked leather tip
    (0.011, 0.036, (228, 236, 238)),    # ferrule
    (0.036, 0.74, (150, 196, 222)),     # maple shaft
    (0.74, 0.77, (185, 185, 190)),      # joint
    (0.77, 1.12, (30, 48, 88)),         # forearm of the butt
    (1.12, 1.40, (28, 26, 26)),         # wrap
    (1.40, CUE_LENGTH_M, (24, 34, 60)),  # butt sleeve
]
SKIN_BGR = (125, 155, 205)
SLEEVE_BGR = (96, 64, 44)


@dataclass
class CueState:
    tip: np.ndarray            # tip position on the table [m] (x, y)
    direction: np.ndarray      # unit vector butt -> tip (table frame)
    elevation_deg: float = 4.0
    bridge: np.ndarray | None = None   # bridge-hand position [m], None = no hand
    hand_side: float = 1.0             # +1: forearm to the left of the cue, -1 right

    def point(self, s: float) -> np.ndarray:
        """3D point at distance s from the tip along the stick."""
        e = math.radians(self.elevation_deg)
        xy = self.tip - self.direction * s * math.cos(e)
        return np.array([xy[0], xy[1], BALL_RADIUS_M + s * math.sin(e)])

    def diameter(self, s: float) -> float:
        return TIP_DIAMETER_M + (BUTT_DIAMETER_M - TIP_DIAMETER_M) * s / CUE_LENGTH_M


def _quad(camera: OverheadCamera, a3: np.ndarray, b3: np.ndarray, wa: float, wb: float) -> np.ndarray:
    """Image quad of a tapered segment a->b with widths wa, wb [m]."""
    d = b3[:2] - a3[:2]
    n = np.array([-d[1], d[0]]) / max(np.linalg.norm(d), 1e-9)
    pts = np.array([
        [*(a3[:2] + n * wa / 2), a3[2]], [*(b3[:2] + n * wb / 2), b3[2]],
        [*(b3[:2] - n * wb / 2), b3[2]], [*(a3[:2] - n * wa / 2), a3[2]],
    ])
    return camera.project(pts)


def _shadow_of(points3: np.ndarray, lamp: np.ndarray) -> np.ndarray:
    """Project 3D points onto the cloth away from a point lamp."""
    out = points3.copy()
    z = points3[:, 2:3]
    out[:, :2] += (points3[:, :2] - lamp[None, :2]) * z / (lamp[2] - z)
    out[:, 2] = 0.0
    return out


def _hand_polygons(cue: CueState) -> list[tuple[np.ndarray, tuple]]:
    """3D polygons (palm, fingers, forearm, sleeve) of the bridge hand."""
    d = cue.direction
    n = np.array([-d[1], d[0]]) * cue.hand_side
    b = cue.bridge
    polys = []

    def ellipse(c, ax_a, ax_b, z, u):
        v = np.array([-u[1], u[0]])
        t = np.linspace(0, 2 * np.pi, 14, endpoint=False)
        pts = c[None] + np.outer(np.cos(t) * ax_a, u) + np.outer(np.sin(t) * ax_b, v)
        return np.column_stack([pts, np.full(len(pts), z)])

    polys.append((ellipse(b - d * 0.02 + n * 0.015, 0.055, 0.045, 0.045, d), SKIN_BGR))
    for k, off in enumerate((-0.035, -0.012, 0.012, 0.035)):
        c = b + d * (0.045 - 0.01 * abs(k - 1.5)) + np.array([-d[1], d[0]]) * off
        polys.append((ellipse(c, 0.03, 0.011, 0.025, d), SKIN_BGR))
    arm_dir = -d * math.cos(math.radians(40)) + n * math.sin(math.radians(40))
    start = b - d * 0.05 + n * 0.02
    # Wrist and forearm (skin), then the sleeve; each a capsule rising away from the cloth,
    # with a lighter strip along its top where it catches the light.
    for (s0, s1, w0, w1, colour) in ((0.0, 0.2, 0.065, 0.08, SKIN_BGR), (0.17, 0.6, 0.095, 0.11, SLEEVE_BGR)):
        p0, p1 = start + arm_dir * s0, start + arm_dir * s1
        z0, z1 = 0.06 + 0.4 * s0, 0.06 + 0.4 * s1
        polys.append((_capsule(p0, p1, w0, w1, z0, z1), colour))
        polys.append((_capsule(p0, p1, w0 * 0.45, w1 * 0.45, z0 + 0.01, z1 + 0.01),
                      tuple(min(255, int(c * 1.25) + 12) for c in colour)))
    return polys


def _capsule(p0, p1, w0: float, w1: float, z0: float, z1: float) -> np.ndarray:
    """Convex 3D outline of a tapered limb from p0 to p1 with rounded ends."""
    u = (p1 - p0) / max(np.linalg.norm(p1 - p0), 1e-9)
    v = np.array([-u[1], u[0]])
    pts = []
    for centre, w, z, a0 in ((p1, w1, z1, -math.pi / 2), (p0, w0, z0, math.pi / 2)):
        for a in np.linspace(a0, a0 + math.pi, 7):
            xy = centre + (u * math.cos(a) + v * math.sin(a)) * w / 2
            pts.append([xy[0], xy[1], z])
    return np.array(pts)


def hand_outlines_px(camera: OverheadCamera, cue: CueState) -> list[np.ndarray]:
    """Image outlines of the bridge hand and arm (what can hide a ball), empty without a hand."""
    if cue.bridge is None:
        return []
    return [camera.project(poly3) for poly3, _ in _hand_polygons(cue)]


def draw_cue_shadow(frame: np.ndarray, camera: OverheadCamera, cue: CueState, lamps: Lamps,
                    soften_px: float, dirty: list | None = None) -> None:
    lamp = lamps.nearest(cue.tip)
    hand = _hand_polygons(cue) if cue.bridge is not None else []
    for poly3, _ in hand:
        fill_polygon_alpha(frame, camera.project(_shadow_of(poly3, lamp)), None, 0.3, soften_px * 2, dirty)
    steps = np.linspace(0.0, CUE_LENGTH_M, 6)
    for s0, s1 in zip(steps[:-1], steps[1:]):
        a3, b3 = _shadow_of(np.array([cue.point(s0), cue.point(s1)]), lamp)
        quad = _quad(camera, a3, b3, cue.diameter(s0) * 1.3, cue.diameter(s1) * 1.3)
        fill_polygon_alpha(frame, quad, None, 0.3, soften_px, dirty)


def draw_cue(frame: np.ndarray, camera: OverheadCamera, cue: CueState, light: float,
             dirty: list | None = None) -> None:
    """Hand below the stick, then the stick section by section with a lit edge."""
    if cue.bridge is not None:
        for poly3, colour in _hand_polygons(cue):
            fill_polygon_alpha(frame, camera.project(poly3), np.array(colour) * light, dirty=dirty)
    for s0, s1, colour in CUE_SECTIONS:
        a3, b3 = cue.point(s0), cue.point(s1)
        body = _quad(camera, a3, b3, cue.diameter(s0), cue.diameter(s1))
        fill_polygon_alpha(frame, body, np.array(colour, np.float32) * 0.8 * light, dirty=dirty)
        # Highlight strip on the lit side of the round stick.
        shift = np.array([-cue.direction[1], cue.direction[0]]) * cue.diameter(s0) * 0.18
        if shift @ np.array([1.0, -0.3]) < 0:
            shift = -shift
        a_h, b_h = a3.copy(), b3.copy()
        a_h[:2] += shift
        b_h[:2] += shift
        hl = _quad(camera, a_h, b_h, cue.diameter(s0) * 0.35, cue.diameter(s1) * 0.35)
        fill_polygon_alpha(frame, hl, np.minimum(np.array(colour, np.float32) * 1.25 * light + 25, 255), 0.8,
                           dirty=dirty)


def cue_truth(camera: OverheadCamera, cue: CueState) -> dict:
    """Ground truth of the stick: tip, far visible end (butt_px), image angle butt -> tip."""
    samples = np.array([cue.point(s) for s in np.linspace(0.0, CUE_LENGTH_M, 60)])
    px = camera.project(samples)
    inside = (px[:, 0] >= 0) & (px[:, 0] < camera.width) & (px[:, 1] >= 0) & (px[:, 1] < camera.height)
    tip_px = px[0]
    # The last sample still in the image along the stick; the full butt if none is.
    butt_px = px[np.flatnonzero(inside)[-1]] if inside.any() else px[-1]
    d = px[0] - px[-1]
    return {'tip_px': [float(tip_px[0]), float(tip_px[1])],
            'butt_px': [float(butt_px[0]), float(butt_px[1])],
            'angle_deg': float(math.degrees(math.atan2(d[1], d[0]))),
            'tip_m': [float(cue.tip[0]), float(cue.tip[1])]}
