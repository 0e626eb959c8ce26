# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Shot prediction while the cue aims: the simulator's physics run on the tracked balls. No ROS.

The cue ball is struck along the cue (centre hit) in sim/physics.py with every
tracked ball in place: it slides and rolls, rebounds off cushions (restitution,
spin), the first ball it meets takes the impulse along the line of centres (the
ghost-ball model: the cue ball's centre at contact is the ghost ball, one
diameter behind the object ball on the line to where it goes), and balls fall
into pockets through the mouths. Paths are sampled every 20 ms of simulated
time and thinned to points a centimetre or more apart.

A still cue does not tell how hard the shot will be, and after a cushion that
matters: the ball leaves the cushion sliding and friction bends its path over a
distance that grows with the square of its speed (a rolling ball hitting at 2
m/s along the normal ends up ~6 cm further out than a slow one). So the first
ball is the one hit over most of the plausible speeds (SPEED_RANGE; a shot that
hits no ball at any of them hits none), and the paths
are drawn at the speed nearest the nominal `speed` at which that ball is hit.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from collections import Counter
from typing import Optional, Sequence

import numpy as np

from ..sim.physics import PhysicsParams, TablePhysics
from ..table_geometry import BALL_RADIUS_M, TableGeometry

SAMPLE_S = 0.02
MIN_POINT_STEP_M = 0.01
SPEED_RANGE = (1.5, 4.0)   # plausible cue-ball speeds of a shot [m/s], for the first ball hit
SPEED_SAMPLES = 6    # speeds tried across SPEED_RANGE (0.5 m/s apart for 1.5-4 m/s)


@dataclass
class PredictionParams:
    speed: float = 2.75           # nominal cue-ball speed [m/s], mid 1.5-4 m/s (evaluation/shot_prediction.py)
    horizon_s: float = 4.0        # simulated time at most [s]
    max_tip_gap_m: float = 0.6    # the tip must be within this of the cue ball, behind it [m]
    max_offset: float = 1.2       # ... and the cue line within this many radii of its centre


class _PairPhysics(TablePhysics):
    """The simulator's physics with every impact taken pair by pair: a rack hit while aiming would
    otherwise be solved with Hertz contacts in microsecond steps, far too slow for every frame."""

    def _contact_group(self, i: int, j: int) -> np.ndarray:
        return np.array([i, j])


def _thin(points: list) -> list:
    out = [points[0]]
    for p in points[1:]:
        if math.hypot(p[0] - out[-1][0], p[1] - out[-1][1]) >= MIN_POINT_STEP_M:
            out.append(p)
    if len(points) > 1 and out[-1] is not points[-1]:
        out.append(points[-1])
    return out


def aims_at(cue_ball_xy, tip_xy, angle: float, params: PredictionParams) -> bool:
    """Whether a cue with this tip and direction (butt -> tip, table frame) points at the cue ball."""
    d = np.array([math.cos(angle), math.sin(angle)])
    rel = np.asarray(cue_ball_xy, float) - np.asarray(tip_xy, float)
    along = float(rel @ d)
    offset = abs(float(rel[0] * d[1] - rel[1] * d[0]))
    return -BALL_RADIUS_M <= along <= params.max_tip_gap_m and offset <= params.max_offset * BALL_RADIUS_M


def _table(slots_xy: list, geometry: TableGeometry) -> TablePhysics:
    # Collisions are found exactly inside a sub-step; longer sub-steps only coarsen friction.
    physics = _PairPhysics(geometry, PhysicsParams(max_step_travel=BALL_RADIUS_M))
    limit = physics._half - BALL_RADIUS_M - 1e-6
    for slot, xy in enumerate(slots_xy):
        physics.place(slot, np.clip(xy, -limit, limit))
    return physics


def _first_hit(slots_xy: list, direction: np.ndarray, speed: float, geometry: TableGeometry,
               horizon_s: float) -> tuple[int, int]:
    """(slot of the first ball the cue ball, slot 0, touches at this speed, -1 none; cushions before it)."""
    physics = _table(slots_xy, geometry)
    physics.strike(0, direction * speed)
    t, cushions = 0.0, 0
    while t < horizon_s and not physics.at_rest():
        physics.advance(SAMPLE_S)
        t += SAMPLE_S
        for _, kind, i, j in physics.events:
            if kind == 'ball' and 0 in (i, j):
                return (j if i == 0 else i), cushions
            cushions += kind == 'cushion' and i == 0
        physics.events.clear()
    return -1, cushions


def _robust_speed(slots_xy: list, direction: np.ndarray, geometry: TableGeometry, speed: float,
                  speed_range: tuple, horizon_s: float) -> float:
    """The speed to draw: nearest `speed` among those that hit the ball hit at most plausible speeds."""
    first, cushions = _first_hit(slots_xy, direction, speed, geometry, horizon_s)
    if first >= 0 and cushions == 0:
        # Before any cushion a centre-hit ball runs along the cue whatever its speed.
        return float(speed)
    lo, hi = min(speed_range[0], speed), max(speed_range[1], speed)
    hits = [(v, _first_hit(slots_xy, direction, v, geometry, horizon_s)[0])
            for v in np.linspace(lo, hi, SPEED_SAMPLES).tolist() if v != speed] + [(float(speed), first)]
    votes = Counter(h for _, h in hits if h >= 0)
    if not votes:
        return float(speed)
    top = max(votes.values())
    # A tie goes to the ball hit nearest the nominal speed.
    return min((abs(v - speed), v) for v, h in hits if votes.get(h) == top)[1]


def predict_shot(balls: Sequence[tuple], cue_ball_id: int, angle: float, geometry: TableGeometry,
                 speed: float = 2.75, horizon_s: float = 4.0, speed_range: Optional[tuple] = (1.5, 4.0)) -> dict:
    """Simulate the cue ball `cue_ball_id` struck towards `angle` [rad] with the other `balls`.

    balls: (id, (x, y)) on the table [m]. speed_range: (min, max) plausible speeds [m/s] that decide
    the first ball hit (module doc); None: only `speed`. Returns {"valid", "cue_ball_id", "paths":
    [{"ball_id", "points": [[x, y], ...], "pocketed", "pocket"}] (cue ball first, then each ball set
    moving), "first_contact_id" (-1 none), "first_contact" [x, y] or None, "speed" (the one drawn)}.
    """
    ids = [i for i, _ in balls]
    if cue_ball_id not in ids:
        return {'valid': False, 'cue_ball_id': int(cue_ball_id), 'paths': [], 'first_contact_id': -1,
                'first_contact': None, 'speed': float(speed)}
    cue_xy = np.asarray(dict(balls)[cue_ball_id], float)
    others = sorted(((i, np.asarray(xy, float)) for i, xy in balls if i != cue_ball_id),
                    key=lambda b: np.linalg.norm(b[1] - cue_xy))[:TablePhysics.N_BALLS - 1]
    slot_id = [cue_ball_id] + [i for i, _ in others]
    slots_xy = [cue_xy] + [xy for _, xy in others]
    direction = np.array([math.cos(angle), math.sin(angle)])
    if speed_range is not None:
        speed = _robust_speed(slots_xy, direction, geometry, speed, speed_range, horizon_s)
    physics = _table(slots_xy, geometry)
    start = physics.pos.copy()
    physics.strike(0, direction * speed)
    paths = {0: [start[0].tolist()]}
    first, first_xy = -1, None
    t = 0.0
    while t < horizon_s and not physics.at_rest():
        physics.advance(SAMPLE_S)
        t += SAMPLE_S
        for slot in np.flatnonzero(physics.on_table | physics.pocketed):
            if slot not in paths and np.linalg.norm(physics.pos[slot] - start[slot]) > 1e-4:
                paths[slot] = [start[slot].tolist()]
            if slot in paths:
                paths[slot].append(physics.pos[slot].tolist())
        if first < 0:
            for _, kind, i, j in physics.events:
                if kind == 'ball' and 0 in (i, j):
                    first = j if i == 0 else i
                    u = physics.pos[first] - start[first]
                    u = u / max(np.linalg.norm(u), 1e-9)
                    first_xy = (start[first] - 2 * BALL_RADIUS_M * u).tolist()   # the ghost ball
                    break
    out_paths = []
    for slot, pts in sorted(paths.items(), key=lambda kv: (kv[0] != 0, kv[0] != first, kv[0])):
        pocketed = bool(physics.pocketed[slot])
        out_paths.append({'ball_id': int(slot_id[slot]), 'points': _thin(pts), 'pocketed': pocketed,
                          'pocket': int(physics.pocket_of[slot]) if pocketed else -1})
    return {'valid': True, 'cue_ball_id': int(cue_ball_id), 'paths': out_paths,
            'first_contact_id': int(slot_id[first]) if first >= 0 else -1, 'first_contact': first_xy,
            'speed': float(speed)}


class ShotPredictor:
    """Predictions from the tracker's tracks and a cue; recomputed only when the aim changes."""

    def __init__(self, params: PredictionParams | None = None):
        self.params = params or PredictionParams()
        self._key = None
        self._last: Optional[dict] = None

    def predict(self, tracks, cue: Optional[dict], geometry: Optional[TableGeometry]) -> Optional[dict]:
        """cue: {"tip_m": [x, y], "angle": rad} or None; tracks: Tracker.confirmed()."""
        if cue is None or geometry is None or cue.get('tip_m') is None:
            self._key = self._last = None
            return None
        on_table = [t for t in tracks if t.state != 'pocketed']
        cue_balls = [t for t in on_table if t.type == 'cue' and not t.moving]
        if not cue_balls:
            return None
        tip = np.asarray(cue['tip_m'], float)
        ball = min(cue_balls, key=lambda t: np.linalg.norm(t.pos - tip))
        if not aims_at(ball.pos, tip, cue['angle'], self.params):
            return None
        # Same balls (to a millimetre) and aim (to 0.05 deg): the previous result still holds.
        key = (round(cue['angle'] / math.radians(0.05)),
               tuple(sorted((t.id, round(t.pos[0] * 1e3), round(t.pos[1] * 1e3)) for t in on_table)))
        if key != self._key:
            self._key = key
            self._last = predict_shot([(t.id, t.pos.copy()) for t in on_table], ball.id, cue['angle'], geometry,
                                      self.params.speed, self.params.horizon_s, SPEED_RANGE)
        return self._last
