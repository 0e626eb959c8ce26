# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Shot prediction while the cue aims: the simulator's physics run on the tracked balls. No ROS.

The cue ball is struck along the cue with every tracked ball in place: it slides and rolls,
rebounds off cushions (restitution, spin), the first ball it meets takes the impulse along
the line of centres (the ghost-ball model: the cue ball's centre at contact is the ghost ball,
one diameter behind the object ball on the line to where it goes), and balls fall into pockets
through the mouths.

A still cue tells neither how hard nor where on the ball the shot will be struck, and after a
cushion both matter: the ball leaves the cushion sliding and friction bends its path over a
distance that grows with the square of its speed (a rolling ball hitting at 2 m/s along the
normal ends up ~6 cm further out than a slow one), and follow or draw changes the slip that
bends it. The detected cue angle is itself off by about AIM_SIGMA_DEG. So the first ball is the
one hit by most of a grid of plausible strokes - SPEED_SAMPLES speeds over SPEED_RANGE, the
follows FOLLOWS, the aim turned by 0 and +-AIM_SIGMA_DEG (weighted by a normal density) - and
none when no stroke hits a ball. The grid's 54 strokes run together up to their first contact
in closed form (first_contact.py, a few milliseconds); the simulator then runs once, from the
contact of the drawn stroke (of the strokes along the cue that hit that ball, the one whose ghost
ball is the medoid of theirs), for the paths after it. Paths are sampled every 20 ms of simulated
time while a ball slides (its path bends), a radius of travel apart once all roll straight,
and thinned to points a centimetre or more apart.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from ..sim.physics import PhysicsParams, TablePhysics
from ..table_geometry import BALL_RADIUS_M, TableGeometry
from .first_contact import first_contacts

SAMPLE_S = 0.02       # path samples while a ball slides [s]
MAX_SAMPLE_S = 0.1    # ... and at most this far apart once every ball rolls straight
MIN_POINT_STEP_M = 0.01
SPEED_RANGE = (1.5, 4.0)     # plausible cue-ball speeds of a shot [m/s]
SPEED_SAMPLES = 6            # speeds tried across SPEED_RANGE (0.5 m/s apart)
FOLLOWS = (-0.3, 0.1, 0.5)   # follow/draw tried (TablePhysics.strike): a little draw to some follow
AIM_SIGMA_DEG = 0.2          # the cue detector's angle error (median 0.13, p95 0.30 deg on synthetic cues)
HOLD_TURN_DEG = 0.05         # ShotPredictor keeps its prediction while the cue turns less than this ...
HOLD_MOVE_M = 0.001          # ... and no ball moves more than this


@dataclass
class PredictionParams:
    speed: float = 2.75           # nominal cue-ball speed [m/s], mid 1.5-4 m/s (evaluation/shot_prediction.py)
    horizon_s: float = 4.0        # simulated time at most [s]
    max_tip_gap_m: float = 0.6    # the tip must be within this of the cue ball, behind it [m]
    max_offset: float = 1.2       # ... and the cue line within this many radii of its centre


class _PairPhysics(TablePhysics):
    """The simulator's physics with every impact taken pair by pair (a rack hit while aiming would
    otherwise be solved with Hertz contacts in microsecond steps, far too slow for every frame), and
    no ball orientations (only the rendering needs them)."""

    def _contact_group(self, i: int, j: int) -> np.ndarray:
        return np.array([i, j])

    def _rotate(self, omega: np.ndarray, dt: float) -> None:
        pass


def _thin(points: list) -> list:
    out = [points[0]]
    for p in points[1:]:
        if math.hypot(p[0] - out[-1][0], p[1] - out[-1][1]) >= MIN_POINT_STEP_M:
            out.append(p)
    if len(points) > 1 and out[-1] is not points[-1]:
        out.append(points[-1])
    return out


def _sample_step(physics: TablePhysics) -> float:
    """SAMPLE_S while a ball slides (its path bends); once all roll straight, as long as the fastest
    moves a radius (one sub-step of _table's physics), up to MAX_SAMPLE_S."""
    on = physics.on_table
    if np.any(np.hypot(*(physics.vel[on] - physics.spin[on]).T) > 1e-9):
        return SAMPLE_S
    vmax = float(np.max(np.hypot(*physics.vel[on].T), initial=0.0))
    return float(np.clip(BALL_RADIUS_M / max(vmax, 1e-9), SAMPLE_S, MAX_SAMPLE_S))


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


def _strokes(angle: float, speed: float, speed_range: Optional[tuple]):
    """(angles, speeds, follows, weights) of the strokes that vote; the nominal stroke is the last one
    and votes only when there is no grid (speed_range None)."""
    nominal = [(0.0, float(speed), 0.0, 0.0 if speed_range is not None else 1.0)]
    grid = []
    if speed_range is not None:
        lo, hi = min(speed_range[0], speed), max(speed_range[1], speed)
        turns = (-AIM_SIGMA_DEG, 0.0, AIM_SIGMA_DEG)
        grid = [(t, v, f, math.exp(-0.5 * (t / AIM_SIGMA_DEG) ** 2))
                for t, v, f in itertools.product(turns, np.linspace(lo, hi, SPEED_SAMPLES).tolist(), FOLLOWS)]
    turn, speeds, follows, weights = (np.array(c) for c in zip(*(grid + nominal)))
    return angle + np.radians(turn), speeds, follows, weights


def _drawn_stroke(hits, winner: int, angles, speeds, follows, angle: float, speed: float) -> int:
    """The stroke to draw among those hitting `winner` along the cue as seen: the most typical one (the
    medoid of their ghost balls; its bend after a cushion is nearest the others'). When only a turned aim
    hits it, the one with the aim nearest the cue's, then speed and follow nearest the nominal centre hit."""
    cand = np.flatnonzero((hits.first == winner) & (np.abs(angles - angle) < 1e-12))
    if len(cand):
        ghosts = hits.pos[cand]
        return int(cand[np.argmin(np.linalg.norm(ghosts[:, None] - ghosts[None], axis=2).sum(axis=1))])
    cand = np.flatnonzero(hits.first == winner)
    key = np.abs(angles[cand] - angle) * 1e6 + np.abs(speeds[cand] - speed) / 2.5 + np.abs(follows[cand]) / 0.8
    return int(cand[np.argmin(key)])


def predict_shot(balls: Sequence[tuple], cue_ball_id: int, angle: float, geometry: TableGeometry,
                 speed: float = 2.75, horizon_s: float = 4.0, speed_range: Optional[tuple] = SPEED_RANGE) -> dict:
    """Simulate the cue ball `cue_ball_id` struck towards `angle` [rad] with the other `balls`.

    balls: (id, (x, y)) on the table [m]. speed_range: (min, max) plausible speeds [m/s] of the strokes
    that decide the first ball hit (module doc); None: only the nominal centre hit at `speed`. Returns
    {"valid", "cue_ball_id", "paths": [{"ball_id", "points": [[x, y], ...], "pocketed", "pocket"}] (cue
    ball first, then each ball set moving), "first_contact_id" (-1 none), "first_contact" [x, y] or
    None, "speed" (of the stroke drawn)}.
    """
    ids = [i for i, _ in balls]
    if cue_ball_id not in ids:
        return {'valid': False, 'cue_ball_id': int(cue_ball_id), 'paths': [], 'first_contact_id': -1,
                'first_contact': None, 'speed': float(speed)}
    cue_xy = np.asarray(dict(balls)[cue_ball_id], float)
    others = sorted(((i, np.asarray(xy, float)) for i, xy in balls if i != cue_ball_id),
                    key=lambda b: np.linalg.norm(b[1] - cue_xy))[:TablePhysics.N_BALLS - 1]
    slot_id = [cue_ball_id] + [i for i, _ in others]
    physics = _table([cue_xy] + [xy for _, xy in others], geometry)
    start = physics.pos.copy()
    n = len(slot_id)
    angles, speeds, follows, weights = _strokes(angle, speed, speed_range)
    hits = first_contacts(physics, start[0], start[1:n], np.stack([np.cos(angles), np.sin(angles)], 1),
                          speeds, follows, horizon_s)
    votes = np.bincount(hits.first[hits.first >= 0], weights[hits.first >= 0], minlength=n)
    # A tie goes to the ball the nominal stroke hits, else to the lowest slot (the nearest ball).
    winner = -1
    if votes.max() > 0:
        top = np.flatnonzero(votes >= votes.max() - 1e-9)
        nominal = hits.first[-1]
        winner = int(nominal if nominal in top else top[0])
    k = _drawn_stroke(hits, winner, angles, speeds, follows, angle, speed) if winner >= 0 \
        else len(speeds) - 1
    first = winner + 1 if winner >= 0 else -1
    cue_path = hits.path(k).tolist()
    if first < 0:
        # No ball hit: the cue ball alone, as its closed form says (stopped, or in a pocket).
        pocket = hits.pocket[k]
        out_paths = [{'ball_id': int(cue_ball_id), 'points': _thin(cue_path), 'pocketed': bool(pocket >= 0),
                      'pocket': int(pocket)}]
        return {'valid': True, 'cue_ball_id': int(cue_ball_id), 'paths': out_paths, 'first_contact_id': -1,
                'first_contact': None, 'speed': float(speeds[k])}
    # From the contact on, the simulator: the impact, then every ball it sets moving.
    physics.pos[0], physics.vel[0], physics.spin[0] = hits.pos[k], hits.vel[k], hits.spin[k]
    paths = {0: cue_path}
    t = hits.time[k]
    while t < horizon_s and not physics.at_rest():
        step = min(_sample_step(physics), horizon_s - t)
        physics.advance(step)
        t += step
        for slot in np.flatnonzero(physics.on_table | physics.pocketed):
            if slot not in paths and np.linalg.norm(physics.pos[slot] - start[slot]) > 1e-4:
                paths[slot] = [start[slot].tolist()]
            if slot in paths:
                paths[slot].append(physics.pos[slot].tolist())
    out_paths = []
    for slot, pts in sorted(paths.items(), key=lambda kv: (kv[0] != 0, kv[0] != first, kv[0])):
        pocketed = bool(physics.pocketed[slot])
        out_paths.append({'ball_id': int(slot_id[slot]), 'points': _thin(pts), 'pocketed': pocketed,
                          'pocket': int(physics.pocket_of[slot]) if pocketed else -1})
    return {'valid': True, 'cue_ball_id': int(cue_ball_id), 'paths': out_paths,
            'first_contact_id': int(slot_id[first]), 'first_contact': hits.pos[k].tolist(), 'speed': float(speeds[k])}


class ShotPredictor:
    """Predictions from the tracker's tracks and a cue; recomputed only when the aim changes.

    The last prediction holds while the same balls are within HOLD_MOVE_M of where they were when it
    was computed and the cue within HOLD_TURN_DEG of its angle then (measured from that moment, not
    from the last frame, so a slow drift is not held forever): detection noise alone then does not
    recompute it every frame, and the vote already allows for aim errors four times larger.
    """

    def __init__(self, params: PredictionParams | None = None):
        self.params = params or PredictionParams()
        self._anchor = None      # (cue ball id, ids, positions (n, 2), angle, geometry) of _last
        self._last: Optional[dict] = None

    def predict(self, tracks, cue: Optional[dict], geometry: Optional[TableGeometry]) -> Optional[dict]:
        """cue: {"tip_m": [x, y], "angle": rad} or None; tracks: Tracker.confirmed()."""
        if cue is None or geometry is None or cue.get('tip_m') is None:
            self._anchor = self._last = None
            return None
        on_table = sorted((t for t in tracks if t.state != 'pocketed'), key=lambda t: t.id)
        cue_balls = [t for t in on_table if t.type == 'cue' and not t.moving]
        if not cue_balls:
            return None
        tip = np.asarray(cue['tip_m'], float)
        ball = min(cue_balls, key=lambda t: np.linalg.norm(t.pos - tip))
        if not aims_at(ball.pos, tip, cue['angle'], self.params):
            return None
        ids = [t.id for t in on_table]
        xy = np.array([t.pos for t in on_table], float)
        if not self._holds(ball.id, ids, xy, cue['angle'], geometry):
            self._anchor = (ball.id, ids, xy, cue['angle'], geometry)
            self._last = predict_shot(list(zip(ids, xy)), ball.id, cue['angle'], geometry,
                                      self.params.speed, self.params.horizon_s, SPEED_RANGE)
        return self._last

    def _holds(self, cue_id: int, ids: list, xy: np.ndarray, angle: float, geometry: TableGeometry) -> bool:
        if self._anchor is None:
            return False
        a_cue, a_ids, a_xy, a_angle, a_geometry = self._anchor
        return (cue_id == a_cue and ids == a_ids and geometry == a_geometry
                and abs(math.remainder(angle - a_angle, 2 * math.pi)) <= math.radians(HOLD_TURN_DEG)
                and float(np.max(np.abs(xy - a_xy), initial=0.0)) <= HOLD_MOVE_M)
