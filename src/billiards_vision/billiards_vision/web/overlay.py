# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Draw what the graph found onto the camera picture. No ROS imports.

rviz's Image display cannot overlay markers, so the usual answer is an
annotated image topic; this is what the browser viewer shows next to the raw
camera.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

import cv2
import numpy as np

# Display colours (BGR) by ball number; 0 = cue. Solids and stripes share a colour.
NUMBER_BGR = {0: (245, 245, 245), 1: (0, 210, 255), 2: (200, 80, 0), 3: (0, 0, 220), 4: (130, 0, 110),
              5: (0, 130, 255), 6: (40, 150, 0), 7: (20, 20, 130), 8: (30, 30, 30)}
TYPE_BGR = {'cue': (245, 245, 245), 'eight': (30, 30, 30), 'solid': (0, 200, 255), 'stripe': (255, 200, 0),
            'unknown': (160, 160, 160)}
TABLE_BGR = (0, 255, 255)
POCKET_BGR = (255, 0, 255)
CUE_BGR = (0, 140, 255)


def ball_colour(number: int, kind: str) -> tuple:
    if 0 <= number <= 15:
        return NUMBER_BGR[number if number <= 8 else number - 8]
    return TYPE_BGR.get(kind, TYPE_BGR['unknown'])


@dataclass
class BallMark:
    x: float
    y: float
    radius: float
    kind: str = 'unknown'
    number: int = -1
    label: str = ''


def label_from_tracks(balls: Sequence[BallMark], tracks: Sequence[tuple]) -> None:
    """Each ball shows the number of the track on it (the tracker's, fused over time and each number on one
    ball) instead of this frame's read: `tracks` are (x, y, kind, number) in px, number -1 when the tracker has
    none. A ball with no track within its radius, or whose track has no number, keeps its own read."""
    if not balls or not tracks:
        return
    at = np.array([(t[0], t[1]) for t in tracks], np.float64)
    for b in balls:
        d = np.hypot(at[:, 0] - b.x, at[:, 1] - b.y)
        k = int(np.argmin(d))
        if d[k] <= b.radius and tracks[k][3] >= 0:
            b.kind, b.number = tracks[k][2], int(tracks[k][3])


@dataclass
class TrackMark:
    """A tracked ball: id label, recent image positions, where its velocity points (all px).

    `occluded`: not detected in the newest frame, drawn where the tracker predicts it (greyed, so a
    held track is never mistaken for a seen ball)."""

    x: float
    y: float
    label: str
    trail: Sequence[tuple] = ()
    arrow_to: Optional[tuple] = None
    occluded: bool = False


@dataclass
class Scene:
    """Everything to draw on one frame, in image pixels."""

    corners: Optional[np.ndarray] = None          # 4x2
    pockets: Sequence[tuple] = ()                 # (x, y, radius)
    balls: Sequence[BallMark] = field(default_factory=list)
    cue_tip: Optional[tuple] = None
    cue_butt: Optional[tuple] = None
    text: str = ''
    tracks: Sequence[TrackMark] = field(default_factory=list)
    paths: Sequence[tuple] = field(default_factory=list)   # (polyline [(x, y)], pocketed) of the predicted shot

    def scaled(self, k: float) -> 'Scene':
        """The same scene for an image resized by factor k."""
        if k == 1.0:
            return self
        return Scene(corners=None if self.corners is None else np.asarray(self.corners, np.float64) * k,
                     pockets=[(x * k, y * k, r * k) for x, y, r in self.pockets],
                     balls=[BallMark(b.x * k, b.y * k, b.radius * k, b.kind, b.number, b.label) for b in self.balls],
                     cue_tip=None if self.cue_tip is None else (self.cue_tip[0] * k, self.cue_tip[1] * k),
                     cue_butt=None if self.cue_butt is None else (self.cue_butt[0] * k, self.cue_butt[1] * k),
                     text=self.text,
                     tracks=[TrackMark(t.x * k, t.y * k, t.label, [(x * k, y * k) for x, y in t.trail],
                                       None if t.arrow_to is None else (t.arrow_to[0] * k, t.arrow_to[1] * k),
                                       t.occluded)
                             for t in self.tracks],
                     paths=[([(x * k, y * k) for x, y in line], pocketed) for line, pocketed in self.paths])


def draw(image: np.ndarray, scene: Scene, in_place: bool = False) -> np.ndarray:
    """A copy of `image` with the scene drawn on it (`in_place`: drawn on `image` itself, a BGR
    array, and returned); line widths scale with the image."""
    if image.ndim == 3:
        out = image if in_place else image.copy()
    else:
        out = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    scale = max(1, round(out.shape[1] / 960))
    if scene.corners is not None:
        pts = np.round(np.asarray(scene.corners, np.float64).reshape(-1, 1, 2) * 16).astype(np.int32)
        cv2.polylines(out, [pts], True, TABLE_BGR, scale, cv2.LINE_AA, shift=4)
    for x, y, r in scene.pockets:
        cv2.circle(out, (round(x), round(y)), max(2, round(r)), POCKET_BGR, scale, cv2.LINE_AA)
    for ball in scene.balls:
        centre = (round(ball.x * 16), round(ball.y * 16))
        colour = ball_colour(ball.number, ball.kind)
        cv2.circle(out, centre, round((ball.radius + 2 * scale) * 16), (0, 0, 0), 3 * scale, cv2.LINE_AA, shift=4)
        cv2.circle(out, centre, round((ball.radius + 2 * scale) * 16), colour, scale, cv2.LINE_AA, shift=4)
        label = ball.label or (str(ball.number) if ball.number >= 0 else ball.kind[:1].upper())
        origin = (round(ball.x + ball.radius + 2 * scale), round(ball.y - ball.radius))
        cv2.putText(out, label, origin, cv2.FONT_HERSHEY_SIMPLEX, 0.45 * scale, (0, 0, 0), 3 * scale, cv2.LINE_AA)
        cv2.putText(out, label, origin, cv2.FONT_HERSHEY_SIMPLEX, 0.45 * scale, colour, scale, cv2.LINE_AA)
    if scene.cue_tip is not None and scene.cue_butt is not None:
        tip = tuple(round(v) for v in scene.cue_tip[:2])
        butt = tuple(round(v) for v in scene.cue_butt[:2])
        cv2.line(out, butt, tip, CUE_BGR, 2 * scale, cv2.LINE_AA)
        cv2.circle(out, tip, 4 * scale, CUE_BGR, -1, cv2.LINE_AA)
    draw_tracks(out, scene, scale)
    if scene.text:
        cv2.putText(out, scene.text, (10 * scale, 24 * scale), cv2.FONT_HERSHEY_SIMPLEX, 0.6 * scale, (0, 0, 0),
                    4 * scale, cv2.LINE_AA)
        cv2.putText(out, scene.text, (10 * scale, 24 * scale), cv2.FONT_HERSHEY_SIMPLEX, 0.6 * scale,
                    (255, 255, 255), scale, cv2.LINE_AA)
    return out


def results_text(balls: Optional[int], age_s: Optional[float], stale_after: float, table: bool) -> str:
    """The corner line of the annotated picture: what the ball detector last reported and how old it is.

    `balls` is the newest BallArray's count (None before the first), `age_s` the image stamp minus the
    results' stamp. The count is never replaced by 0 because results are late: it says how late they are."""
    if balls is None:
        text = 'no ball results yet'
    else:
        text = f'{balls} ball{"s" if balls != 1 else ""}, results {max(age_s or 0.0, 0.0):.1f} s old'
        if age_s is not None and age_s > stale_after:
            text += ' (STALE)'
    return text if table else text + ' - no table'


class NewestResults:
    """Newest result message per kind, kept by header stamp so that a late or out-of-order message never
    replaces a newer one (a restarted detector starts from its own newest frame anyway)."""

    def __init__(self):
        self.messages: dict = {}

    def update(self, kind: str, stamp: float, msg) -> bool:
        held = self.messages.get(kind)
        if held is not None and stamp < held[0]:
            return False
        self.messages[kind] = (stamp, msg)
        return True

    def get(self, kind: str):
        """(stamp, message) or (None, None)."""
        return self.messages.get(kind, (None, None))


TRACK_BGR = (80, 255, 80)
OCCLUDED_BGR = (160, 160, 160)
PATH_BGR = (255, 255, 0)
POTTED_BGR = (0, 255, 0)


def draw_tracks(out: np.ndarray, scene: Scene, scale: int) -> None:
    """Predicted shot paths (dashed where a ball ends in a pocket), track trails, velocity arrows, ids."""
    for line, pocketed in scene.paths:
        pts = np.round(np.asarray(line, np.float64).reshape(-1, 1, 2) * 16).astype(np.int32)
        if len(pts) >= 2:
            cv2.polylines(out, [pts], False, POTTED_BGR if pocketed else PATH_BGR, scale, cv2.LINE_AA, shift=4)
    for t in scene.tracks:
        colour = OCCLUDED_BGR if t.occluded else TRACK_BGR
        if len(t.trail) >= 2:
            pts = np.round(np.asarray(t.trail, np.float64).reshape(-1, 1, 2)).astype(np.int32)
            cv2.polylines(out, [pts], False, colour, scale, cv2.LINE_AA)
        if t.arrow_to is not None:
            cv2.arrowedLine(out, (round(t.x), round(t.y)), tuple(round(v) for v in t.arrow_to), colour,
                            scale, cv2.LINE_AA, tipLength=0.25)
        label = t.label + ('?' if t.occluded else '')
        origin = (round(t.x) - 8 * scale, round(t.y) + 18 * scale)
        cv2.putText(out, label, origin, cv2.FONT_HERSHEY_SIMPLEX, 0.4 * scale, (0, 0, 0), 3 * scale, cv2.LINE_AA)
        cv2.putText(out, label, origin, cv2.FONT_HERSHEY_SIMPLEX, 0.4 * scale, colour, scale, cv2.LINE_AA)
