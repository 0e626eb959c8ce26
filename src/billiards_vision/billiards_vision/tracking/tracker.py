# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Multi-ball tracker in the `table` frame: identities, velocities, states and events. No ROS.

Per detection frame (any rate: the time step comes from the stamps):
1. every track is predicted to the frame's stamp (filter.py: sliding and rolling slow-down,
   cushion reflections, pocket mouths); when balls move, all of them also run together
   through the simulator's physics, and those it sees collide take its result;
2. detections are assigned by the Hungarian method in two rounds. The first uses
   gates that grow with the ball's speed and the time since it was last seen,
   costs from the gate-normalised distance plus a penalty when the detection's type
   or number contradicts the track's fused label; a detection that reads the number
   a track has carried all along may match it outside the gate (a break). The second round offers the
   tracks left over (a ball just struck, a collision the prediction did not
   foresee, a ball missed for several frames) the detections left over within the
   distance a ball can travel at `max_ball_speed`; this is what keeps a struck
   ball's identity instead of leaving a ghost behind and starting a new track;
3. tracks start tentative and are confirmed on their `confirm_hits`-th detection
   at rest (a still ball within 3 frames; something that appears moving is a hand
   or the stick until it comes to rest, unless it reads the number of a track dropped
   in the last REVIVE_S: it is that ball, with its id); a tentative track missed once is dropped, a
   coasting track that overlaps a seen one is dropped (no ghosts), a moving track
   unseen for `coast_moving_s` is dropped, a ball last seen rolling into a pocket
   mouth is pocketed;
4. states and events: see events.py.
"""
from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..sim.physics import PhysicsParams, TablePhysics
from ..table_geometry import BALL_RADIUS_M, TableGeometry
from .filter import CUSHION_RESTITUTION, ROLLING_DECELERATION, BallFilter, Cushions, drift
from .identity import ClassVotes, assign_numbers
from .motion import fit_stop_time

MOVING, STATIONARY, OCCLUDED, POCKETED = 'moving', 'stationary', 'occluded', 'pocketed'
_FORBIDDEN = 1e6
BALL_RESTITUTION = PhysicsParams().ball_restitution
YOUNG_SPEED = 4.0    # reach of a track not yet established [m/s]
NUMBER_BONUS = 3.0   # association cost taken off when a detection reads the number a track has carried
JUMP_COST = 2.0      # association cost of such a match outside the gate
TOUCHING_M = 2 * BALL_RADIUS_M + 0.005   # centres closer than this: two balls touch (5 mm for measurement noise)
# A ball stopped by a collision may roll on with the spin it kept (held-out break/6 at 10 Hz: the 10, at rest for
# 0.2 s after it hit the 15, rolled off at up to 0.4 m/s).
SPIN_S = 1.0
REVIVE_S = 3.0       # how long a dropped track's id waits for its number read on a new rolling track [s]
BLUR_SPEED = 2.0     # above this speed [m/s] a ball is smeared and its type and number are often misread
# Positions a stop is fitted to: the last 0.8 s (a slow collision the filter did not notice, further back, would
# bias the fit late).
STOP_FIT_S = 0.8
SHORT_TRAVEL_M = 0.009   # positions that moved less than this (3 sigma of the detections) do not fit a stop
LEAVE_COST = 2.5     # association cost of leaving a track, or a detection, unmatched (each)
# Share of predictions that are off (a collision or bounce not foreseen): a detection where a prediction put it,
# within the filter's uncertainty, is that ball's by the likelihood ratio against one anywhere in the gate.
OFF_PREDICTION = 0.1
# Longest gap between detections the balls are run through the physics together for: the physics' cost
# grows with the gap (a starved detector once gave gaps of seconds and a callback of over 5 s, so the
# node missed its stop signal), and over a longer gap its collisions are guesses anyway.
JOINT_PHYSICS_MAX_S = 0.5
JOINT_SLICE_S = 0.01
JOINT_MAX_EVENTS = 60   # collisions and cushion hits in one frame's joint prediction
JOINT_BUDGET_S = 0.2    # CPU-time safety valve of one frame's joint prediction [s]
JOINT_GROUP_MIN_SPEED = 1.0   # a group at rest is simulated whole only when a ball this fast moves [m/s]
# Longest gap since a rack ball was seen over which its association may wait a frame (_defer_break): over a longer
# one (10 Hz) the balls are spread far beyond the rack's spacing by the next frame, the spots decide nothing, and
# waiting lost ids (break seeds 9 and 28 at 10 Hz: 0 -> 10 and 8 switches).
DEFER_MAX_S = 0.05
# How long a ball's speed counts for what it can set moving (_deviation_bound): a rack takes a frame to show
# what the cue ball gave it, and the cue ball's speed after the impact is a fraction of it (break/60 at 30 Hz).
SPEED_MEMORY_S = 0.2
# Velocity uncertainty across its direction, as a share of that along it, of a ball that left its spot: its first
# step gives the direction far better than the speed (it was struck somewhere in the interval), and with the round
# uncertainty a prediction that came true counted for little (break/42 at 10 Hz: two rack balls swapped on a number
# misread on one of them).
START_ACROSS = 0.3
STILL_REACH_S = 0.5    # a ball at rest unseen longer is costed as if unseen this long (_associate, second round)
HEADING_AGREE = np.radians(20.0)   # last step against the velocity at that detection, for a pocket (_pocket_of)
# Detections on a detected cue stick behind its tip (its wrap and butt pass for balls) and around its tip (the
# bridge hand's knuckles; a tip found short ends where the fingers cover the shaft): see session.mark_stick.
SHAFT, BRIDGE = 'shaft', 'bridge'


def _segments_cross(p0, p1, q0, q1) -> bool:
    """The segments p0-p1 and q0-q1 cross (not just touch)."""
    def side(a, b, c):
        return float((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))
    return side(p0, p1, q0) * side(p0, p1, q1) < 0 and side(q0, q1, p0) * side(q0, q1, p1) < 0


def _to_segments(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """[i, j] distance from the point x[i] to the segment a[j]-b[j] (N x 2, M x 2 each) [m]."""
    ab = b - a
    den = np.maximum(np.einsum('jk,jk->j', ab, ab), 1e-18)
    s = np.clip(np.einsum('ijk,jk->ij', x[:, None] - a[None], ab) / den, 0.0, 1.0)
    return np.linalg.norm(a[None] + s[..., None] * ab[None] - x[:, None], axis=2)


def _path_distances(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """[i, j] shortest distance between the segments start[i]-end[i] and start[j]-end[j] (N x 2 each) [m]."""
    ends = np.minimum(_to_segments(start, start, end), _to_segments(end, start, end))
    out = np.minimum(ends, ends.T)

    def side(a, b, c):
        # [i, j]: which side of the line a[i]-b[i] the point c[j] is on
        d = b - a
        return d[:, None, 0] * (c[None, :, 1] - a[:, None, 1]) - d[:, None, 1] * (c[None, :, 0] - a[:, None, 0])
    cross = (side(start, end, start) * side(start, end, end) < 0)
    out[cross & cross.T] = 0.0
    return out


def _recent_speed(tr: 'Track', now: float) -> float:
    """Fastest the track's detections moved between two of them in the last SPEED_MEMORY_S [m/s]."""
    h = [e for e in tr.history if e[0] >= now - SPEED_MEMORY_S]
    return max((np.hypot(b[1] - a[1], b[2] - a[2]) / (b[0] - a[0]) for a, b in zip(h, h[1:]) if b[0] > a[0]),
               default=0.0)


def _speed_bound(tr: 'Track', now: float) -> float:
    """A moving ball's speed with a margin for a ball just struck or slowing unforeseen [m/s] (the filter's
    speed is an estimate; the detections' recent speed shows a strike a frame late)."""
    return 1.1 * max(tr.filter.speed, _recent_speed(tr, now)) + 0.1


def _assign(cost: np.ndarray) -> list[tuple[int, int]]:
    """Hungarian assignment in which a track or a detection may also stay unmatched (at LEAVE_COST each).

    Without that option the solver matches as many pairs as it can before it looks at their costs: a track
    whose ball was missed takes its neighbour's detection, which pushes the neighbour onto the next one.
    """
    n_t, n_o = cost.shape
    big = np.full((n_t + n_o, n_o + n_t), _FORBIDDEN)
    big[:n_t, :n_o] = cost
    big[np.arange(n_t), n_o + np.arange(n_t)] = LEAVE_COST
    big[n_t + np.arange(n_o), np.arange(n_o)] = LEAVE_COST
    big[n_t:, n_o:] = 0.0
    rows, cols = linear_sum_assignment(big)
    return [(i, j) for i, j in zip(rows, cols) if i < n_t and j < n_o]


@dataclass
class Observation:
    """One detected ball: table position [m], image position [px], class."""

    x_m: float
    y_m: float
    x_px: float = 0.0
    y_px: float = 0.0
    radius_px: float = 0.0
    type: str = 'unknown'
    number: Optional[int] = None
    type_confidence: float = 0.0
    confidence: float = 1.0
    near_cue: str = ''          # SHAFT / BRIDGE (where a detected cue stick lies, session.mark_stick) or ''


@dataclass
class TrackerParams:
    measurement_sigma_m: float = 0.003      # detection position noise [m]
    accel_sigma_moving: float = 0.2         # process noise of a rolling ball [m/s^2]
    accel_sigma_still: float = 0.02         # process noise of a ball at rest [m/s^2]
    gate_m: float = 0.6 * BALL_RADIUS_M     # gate of a ball at rest seen in the last frame [m]
    gate_speed_share: float = 1.0           # gate grows by this share of the distance travelled [-]
    gate_accel: float = 2.0                 # ... and by a/2 dt^2 of unforeseen acceleration [m/s^2]
    max_ball_speed: float = 14.0            # second-round gate: fastest ball (a break) [m/s]
    class_cost: float = 2.0                 # cost of a detection contradicting the track's label
    confirm_hits: int = 2                   # detections that confirm a track
    start_distance_m: float = 0.012         # a ball at rest further than this from its spot moves [m]
    still_speed: float = 0.03               # below this a track without a stop fit is at rest [m/s]
    coast_moving_s: float = 0.4             # a moving ball unseen this long is dropped [s]
    coast_still_s: float = 10.0             # a ball at rest unseen this long is dropped [s]
    manoeuvre_nis: float = 30.0             # innovation (chi^2, 2 dof) that restarts the velocity
    rolling_deceleration: float = ROLLING_DECELERATION   # [m/s^2]
    pocketed_keep_s: float = 3.0            # pocketed tracks are still reported this long [s]
    trail_length: int = 20                  # image positions kept per track for drawing


@dataclass
class Track:
    id: int
    filter: BallFilter
    t_first: float
    t_last: float                 # last detection [s]
    t_pred: float                 # time the filter state refers to [s]
    obs: Observation
    votes: ClassVotes = field(default_factory=ClassVotes)
    hits: int = 1
    confirmed: bool = False
    moving: bool = False
    state: str = STATIONARY
    rest_pos: Optional[np.ndarray] = None
    rest_n: int = 1
    t_manoeuvre: float = 0.0
    t_stop: Optional[float] = None      # when the last stop happened [s]
    history: deque = field(default_factory=lambda: deque(maxlen=64))   # (t, x, y) detections
    trail: deque = field(default_factory=lambda: deque(maxlen=20))     # (x_px, y_px)
    pocket: int = -1
    pocket_hint: tuple = (-1, 0.0)     # (pocket, time) when the prediction went through a mouth
    t_pocketed: float = 0.0
    last_matched: bool = True
    bounced: list = field(default_factory=list)
    manoeuvred: bool = False
    started: Optional[float] = None     # set when the track started moving in this frame
    px: tuple = (0.0, 0.0)
    struck: bool = False                # predicted to be hit by a moving ball in this frame
    fitted_stop: Optional[float] = None   # the last stop time fitted with a good residual [s]
    bounce_stop: tuple = (None, 0.0)    # (t_manoeuvre of a soft cushion bounce, stop time it leaves) [s]
    deferred: int = -1                  # detection frame whose association was deferred (see _defer_break)
    guessed: bool = False               # this frame's prediction is a foreseen collision's (uncertain)
    before: tuple = (None, None, 0.0, None)   # (position, velocity, dt, spin) before this frame's prediction
    seen_vel: np.ndarray = field(default_factory=lambda: np.zeros(2))   # velocity at the last detection [m/s]
    pending_start: Optional[tuple] = None   # (last time seen on its spot [s], distance off it [m]): once off (_correct)
    shown: Optional[int] = None         # the number reported (Tracker._show_numbers: no number on two tracks)

    @property
    def pos(self) -> np.ndarray:
        return self.filter.pos

    @property
    def velocity(self) -> np.ndarray:
        return self.filter.vel.copy() if self.moving else np.zeros(2)

    @property
    def type(self) -> str:
        return self.votes.type()

    @property
    def number(self) -> Optional[int]:
        return self.shown

    @property
    def type_confidence(self) -> float:
        return self.votes.share(self.type)


def _after_impact(f: BallFilter, var_v: float, since: float) -> None:
    """Uncertainty of a predicted collision's outcome `since` [s] before the frame: a velocity off by var_v
    [m^2/s^2] has moved the ball off by since times as much, so a position error corrects the velocity (with the
    velocity's variance alone, a collision foreseen wrongly kept its velocity against the detections - break/14)."""
    r = max(float(since), 0.0)
    f.P += var_v * np.kron(np.array([[r * r, r], [r, 1.0]]), np.eye(2))


def _apart(pos: np.ndarray, limit: np.ndarray, passes: int = 4) -> np.ndarray:
    """Positions moved apart to at least a diameter: tracked balls at rest in a cluster overlap by
    their measurement noise, and the physics would solve each overlap as a long contact (seconds
    of microsecond steps per frame). Every position stays within +-limit (the playing surface: a
    ball against a cushion pushed past it is refused by the physics)."""
    pos = np.clip(pos, -limit, limit)
    need = 2 * BALL_RADIUS_M + 1e-4
    for _ in range(passes):
        d = pos[:, None] - pos[None]
        dist = np.hypot(d[..., 0], d[..., 1])
        np.fill_diagonal(dist, np.inf)
        i, j = np.nonzero(np.triu(dist < need, 1))
        if len(i) == 0:
            break
        for a, b in zip(i, j):
            gap = pos[b] - pos[a]
            norm = float(np.hypot(*gap))
            n = gap / norm if norm > 1e-9 else np.array([1.0, 0.0])
            push = 0.5 * (need - norm) * n
            pos[a] -= push
            pos[b] += push
        np.clip(pos, -limit, limit, out=pos)
    return pos


class Tracker:
    def __init__(self, params: TrackerParams | None = None, geometry: TableGeometry | None = None):
        self.params = params or TrackerParams()
        self.cushions = Cushions(geometry) if geometry is not None else None
        self.tracks: list[Track] = []
        self.graveyard: list[Track] = []     # pocketed tracks, for reporting and ball in hand
        self.next_id = 1
        self.frames = 0                      # detection frames taken
        self.t: Optional[float] = None
        self.to_image: Optional[Callable] = None   # table [m] Nx2 -> image [px] Nx2
        self._on_spot: set = set()           # ids of balls at rest seen on their spots this frame
        self.lost: list[Track] = []          # confirmed tracks dropped while their ball was unseen (_revive)
        self.events = None
        from .events import EventDetector   # events.py imports this module's constants
        self.events = EventDetector(self)

    # ------------------------------------------------------------------ setup
    def set_table(self, geometry: TableGeometry | None, to_image: Optional[Callable] = None) -> None:
        self.cushions = Cushions(geometry) if geometry is not None else None
        self.to_image = to_image

    def reset(self) -> None:
        self.tracks.clear()
        self.graveyard.clear()
        self.lost.clear()
        self.t = None
        self.events.reset()

    # ----------------------------------------------------------------- update
    def update(self, stamp: float, observations: list[Observation]) -> list[dict]:
        """Take one detection frame stamped `stamp` [s]; returns the events it produced.

        A stamp older than the previous one is refused with ValueError (the frame is dropped).
        """
        if self.t is not None and stamp < self.t - 1e-9:
            raise ValueError(f'detection stamp {stamp:.6f} is older than the previous one ({self.t:.6f})')
        self.t = stamp
        self.frames += 1
        p = self.params
        fresh = not self.tracks and not self.graveyard
        for tr in self.tracks:
            self._predict(tr, stamp)
        if not self._predict_collisions():
            self._predict_impacts(stamp)
        matches, free_tracks, free_obs = self._associate(stamp, observations)
        # Balls at rest seen on their spots in this frame (_may_be_hit).
        self._on_spot = {id(tr) for tr, ob, jump in matches if not (tr.moving or jump or self._off_spot(tr, ob)[1])}
        for tr, ob, jump in matches:
            self._correct(tr, ob, stamp, jump)
        for tr in free_tracks:
            tr.last_matched = False
        for k in free_obs:
            if observations[k].near_cue != SHAFT:
                self._birth(observations[k], stamp)
        if fresh:
            # The first balls on a table the tracker knows nothing of (start, reset) are reported at once: nothing
            # else can claim them. One not seen in the next frame is tentative again (_prune), so a false detection
            # shows for one frame.
            for tr in self.tracks:
                tr.confirmed = True
        self._prune(stamp)
        for tr in self.tracks:
            # A new track is confirmed at rest only: balls do not appear out of nowhere rolling, while false
            # detections on a moving hand or stick do (a ball that came into view rolling is taken once it stops).
            # Nor by the tip of a stick: the bridge hand rests there (random/0: its knuckles, read as the 5 and
            # the 13, stayed a track 1.9 s without a ball and took the 4 when it was struck).
            if not tr.confirmed and tr.hits >= p.confirm_hits and not tr.moving and tr.obs.near_cue != BRIDGE:
                tr.confirmed = True
                self._drop_ghosts_under(tr)
            elif not tr.confirmed and tr.moving and tr.hits >= p.confirm_hits + 2 and tr.obs.near_cue != BRIDGE:
                self._revive(tr)
            self._update_state(tr, stamp)
        self._show_numbers()
        return self.events.step(stamp)

    def _show_numbers(self) -> None:
        """Numbers of the reported tracks (pocketed ones still reported included) given together, each once;
        a track not reported shows what its own votes say."""
        reported = self.confirmed()
        for tr, n in zip(reported, assign_numbers([t.votes for t in reported], [t.shown for t in reported])):
            tr.shown = n
        mine = {id(t) for t in reported}
        for tr in self.tracks:
            if id(tr) not in mine:
                tr.shown = tr.votes.number()

    # ---------------------------------------------------------------- predict
    def _predict(self, tr: Track, stamp: float) -> None:
        p = self.params
        dt = stamp - tr.t_pred
        tr.bounced, tr.manoeuvred, tr.started, tr.struck, tr.guessed = [], False, None, False, False
        tr.before = (tr.filter.x[:2].copy(), tr.filter.x[2:].copy(), max(dt, 0.0), tr.filter.spin())
        if dt <= 0:
            return
        if not tr.moving:
            # At rest the position only drifts by noise; velocity stays near zero.
            tr.filter.x[2:] = 0.0
            tr.filter.predict(dt, p.accel_sigma_still, None)
        else:
            bounced, pocket = tr.filter.predict(dt, p.accel_sigma_moving, self.cushions)
            tr.bounced = bounced
            if pocket >= 0 and tr.pocket_hint[0] < 0:
                tr.pocket_hint = (pocket, stamp)
        tr.t_pred = stamp

    def _predict_collisions(self) -> bool:
        """All confirmed balls run together through the simulator's physics over the frame's time step, so
        collisions between moving balls and chains of them (a break at 10 Hz: a ball may hit two others
        between detections) are foreseen. Balls that took part in an impact take the physics' position and
        velocity (with a wider velocity uncertainty); the others keep their own prediction. A ball at rest in
        a rack or cluster keeps its spot: how an impact spreads through a group is not foreseeable from the
        tracks (the striker, e.g. the cue ball at the break, is still stopped at the group).
        False when there is no table geometry or the gap is over JOINT_PHYSICS_MAX_S (then _predict_impacts)."""
        if self.cushions is None:
            return False
        on = [t for t in self.tracks if t.confirmed and t.before[2] > 0]
        movers = [t for t in on if t.moving and np.any(t.before[1])]
        if not movers:
            return True
        resting = [t for t in on if not t.moving]
        packed = {id(t) for t in resting if any(o is not t and np.linalg.norm(o.before[0] - t.before[0])
                                                < TOUCHING_M for o in resting)}
        if max(float(np.hypot(*t.before[1])) for t in movers) < JOINT_GROUP_MIN_SPEED:
            # Only a fast ball spreads an impact through a group at rest (a break); a slow track pressed
            # into one made the physics solve soft contact after soft contact, seconds of one frame (the
            # node then missed its stop signal). Its group is met as one ball per touching cluster.
            kept = [t for t in resting if id(t) not in packed]
            for t in resting:
                if id(t) in packed and all(np.linalg.norm(o.before[0] - t.before[0]) >= TOUCHING_M
                                           for o in kept):
                    kept.append(t)
            resting = kept
        members = (sorted(movers, key=lambda t: -float(np.hypot(*t.before[1]))) + resting)[:TablePhysics.N_BALLS]
        if len(members) < 2:
            return True
        horizon = max(t.before[2] for t in members)
        if horizon > JOINT_PHYSICS_MAX_S:
            return False
        physics = TablePhysics(self.cushions.geometry, PhysicsParams(max_step_travel=BALL_RADIUS_M))
        limit = physics._half - BALL_RADIUS_M - 1e-6
        start = _apart(np.array([t.before[0] for t in members]), limit)
        for k, t in enumerate(members):
            physics.place(k, start[k])
            if t.moving:
                physics.vel[k] = t.before[1]
                physics.spin[k] = t.before[3]     # rolling, or still sliding after a stun (filter.stun)
        # In slices, with bounds on the collisions and on the time spent: a moving track pressed into a
        # group at rest makes the physics solve soft contact after soft contact (once over 5 s of one
        # callback, and the node missed its stop signal); past a bound the per-track prediction
        # (_predict_impacts) takes over. The time bound is a safety valve far above the usual cost
        # (`tracking.bench`: break p95 ~5 ms), so results do not depend on the CPU in normal play.
        slices = max(1, int(np.ceil(horizon / JOINT_SLICE_S)))
        deadline = time.process_time() + JOINT_BUDGET_S
        for _ in range(slices):
            physics.advance(horizon / slices)
            if len(physics.events) > JOINT_MAX_EVENTS or time.process_time() > deadline:
                return False
        hit = {}
        for when, kind, i, j in physics.events:
            if kind == 'ball':
                hit[i] = hit[j] = when
        v0 = max(float(np.hypot(*t.before[1])) for t in movers)
        for k, when in hit.items():
            t = members[k]
            if not physics.on_table[k] or id(t) in packed:
                continue
            t.filter.x[:2], t.filter.x[2:] = physics.pos[k], physics.vel[k]
            t.filter.slide(float(np.hypot(*(physics.vel[k] - physics.spin[k]))))
            _after_impact(t.filter, 0.25 * v0 * v0, horizon - when)
            t.guessed = True
            if not t.moving:
                t.struck = True
        return True

    def _predict_impacts(self, stamp: float) -> None:
        """A moving ball whose predicted path runs into a ball at rest hits it (equal masses, the
        simulator's restitution): the struck ball is predicted to leave along the line of centres and
        the striker to go on with what is left, so neither identity is lost to the other."""
        movers = [t for t in self.tracks if t.moving and t.confirmed]
        resting = [t for t in self.tracks if not t.moving and t.confirmed]
        for a in sorted(movers, key=lambda t: -t.filter.speed):
            p0, v, dt, _ = a.before
            if dt <= 0 or not np.any(v):
                continue
            best = None
            for b in resting:
                if b.struck:
                    continue
                d = p0 - b.pos
                qa, qb, qc = v @ v, 2 * d @ v, d @ d - (2 * BALL_RADIUS_M) ** 2
                disc = qb * qb - 4 * qa * qc
                if qb >= 0 or disc < 0:
                    continue
                t_hit = max((-qb - np.sqrt(disc)) / (2 * qa), 0.0)
                if t_hit < dt and (best is None or t_hit < best[0]):
                    best = (t_hit, b)
            if best is None:
                continue
            t_hit, b = best
            if any(o is not b and np.linalg.norm(o.pos - b.pos) < TOUCHING_M for o in resting):
                continue   # a rack or cluster spreads the impact over many balls: not foreseeable here
            contact = p0 + v * t_hit
            n = (b.pos - contact) / max(np.linalg.norm(b.pos - contact), 1e-9)
            push = 0.5 * (1.0 + BALL_RESTITUTION) * float(v @ n) * n
            rest = dt - t_hit
            a.filter.x[:2], a.filter.x[2:] = contact + (v - push) * rest, v - push
            _after_impact(a.filter, 0.25 * float(v @ v), rest)
            b.filter.x[:2], b.filter.x[2:] = b.pos + push * rest, push
            b.filter.slide(float(np.hypot(*push)), rest)      # struck without spin: all its speed slips
            _after_impact(b.filter, 0.25 * float(v @ v), rest)
            b.struck = a.guessed = b.guessed = True

    # -------------------------------------------------------------- associate
    def _gate(self, tr: Track, stamp: float) -> float:
        p = self.params
        since = max(stamp - tr.t_last, 0.0)
        speed = tr.filter.speed if tr.moving or tr.struck else 0.0
        return p.gate_m + p.gate_speed_share * speed * since + min(0.5 * p.gate_accel * since * since,
                                                                   4 * BALL_RADIUS_M)

    def _associate(self, stamp: float, obs: list[Observation]):
        p = self.params
        tracks = self.tracks
        matches, used_t, used_o = [], set(), set()
        if tracks and obs:
            z = np.array([[o.x_m, o.y_m] for o in obs])
            pred = np.array([t.pos for t in tracks])
            dist = np.linalg.norm(pred[:, None] - z[None], axis=2)
            gates = np.array([self._gate(t, stamp) for t in tracks])
            mismatch = np.array([[t.votes.mismatch(o.type, o.number) for o in obs] for t in tracks])
            # Confirmed tracks first: a tentative one (often a misclassified detection) must not take over.
            young = np.array([0.0 if t.confirmed else 1.0 for t in tracks])[:, None]
            cost = (dist / gates[:, None]) ** 2 + p.class_cost * mismatch + young - self._fit_bonus(z, gates)
            # A detection showing the number a track has carried all along is that ball even outside the gate
            # (a break: every ball far from where a prediction without the collisions put it), within the reach
            # of the fastest ball from where it was last seen.
            same = self._same_number(tracks, obs)
            last = np.array([t.history[-1][1:] if t.history else t.pos for t in tracks])
            d_last = np.linalg.norm(last[:, None] - z[None], axis=2)
            since = np.array([max(stamp - t.t_last, 1e-3) for t in tracks])
            reach = p.gate_m + p.max_ball_speed * since
            # ... but not onto a detection on the spot of another ball at rest (a wrong number read on a ball in place).
            inside = dist <= gates[:, None]
            still = inside & np.array([not (t.moving or t.struck) for t in tracks])[:, None]
            held = (still.sum(axis=0)[None, :] - still) > 0
            # A track predicted into a pocket, or a ball at rest hidden under a hand, takes no far ball that shows
            # its number misread.
            # A ball at rest the joint physics saw struck is neither (a rack ball missed in the first frame after the
            # break, real detectors: it must still take its number read far away).
            # A rack ball whose association was deferred in the last frame (_defer_break) is neither.
            gone = np.array([t.pocket_hint[0] >= 0 or not (t.moving or t.last_matched or t.struck
                                                           or t.deferred == self.frames - 1)
                             for t in tracks])[:, None]
            # Nor does a moving ball followed in the last frame that has a detection of its kind where it was
            # predicted: the far one is another ball with the number misread.
            # On a fast (blurred) ball the real detectors read the type wrong too (break through the video, over
            # 4 m/s: 6 of 29 types and 15 of 29 numbers wrong), so for a fast track any detection there will do.
            fast = np.array([t.moving and t.filter.speed > BLUR_SPEED for t in tracks])[:, None]
            locked = np.array([t.moving and t.last_matched and t.hits > 2 for t in tracks]) & \
                ((dist < 2 * BALL_RADIUS_M) & ((mismatch == 0) | fast)).any(axis=1)
            # Nor a ball at rest seen there in the last frame that has a detection of its kind in its gate (break/29
            # at 10 Hz: the 12 barely moved, and a far ball with 12 misread took its track).
            locked |= np.array([not (t.moving or t.struck) and t.last_matched and t.confirmed for t in tracks]) & \
                (inside & (mismatch == 0)).any(axis=1)
            # Nor a ball at rest that nothing can have moved: not struck in the joint prediction and touching no other
            # ball (in a rack or cluster an impact spreads unforeseen). Its number read far away is misread on another
            # ball (break/31 at 10 Hz: the 7, missed once, took the 3 rolling past with 7 misread on it); a ball
            # moved by the stick or a hand is still offered in the second round.
            gap = np.linalg.norm(pred[:, None] - pred[None], axis=2)
            np.fill_diagonal(gap, np.inf)
            touching = (gap < TOUCHING_M).any(axis=1)
            idle = np.array([not (t.moving or t.struck) for t in tracks]) & ~touching
            # Balls of a rack or cluster at rest (what _defer_break and _uncross are about).
            rack = np.array([t.confirmed and not (t.moving or t.struck) for t in tracks]) & touching
            gone = gone | idle[:, None]
            # Nor any ball onto a detection further from its prediction than a collision with the fastest ball that
            # can have touched it could have sent it (break/48 at 30 Hz: the 4, rolling at 0.17 m/s and missed,
            # took the 6 with 4 misread on it 0.35 m away).
            if same.any():      # only a number read needs it (a jump, a claim)
                gone = gone | (dist > self._deviation_bound(last, pred, since, gates)[:, None])
            jump = same & ~inside & ~held & ~gone & ~locked[:, None] & (d_last <= reach[:, None])
            cost = np.where(jump, JUMP_COST + d_last / reach[:, None] + p.class_cost * mismatch, cost) \
                - NUMBER_BONUS * same
            cost[~inside & ~jump] = _FORBIDDEN
            # A detection on the stick's shaft is a ball only for a track rolling there (the cue ball after the shot
            # runs along the stick, or back under it after a cushion: random/0 at 10 Hz, its track missed it and, its
            # gate grown, took the 14 at rest read as the cue ball).
            shaft = np.array([o.near_cue == SHAFT for o in obs])
            if shaft.any():
                rolls = np.array([t.confirmed and t.moving for t in tracks])[:, None]
                cost[:, shaft] = np.where(rolls & inside[:, shaft], cost[:, shaft], _FORBIDDEN)
            # A detection more than a ball away from a track's prediction and against its label is left to the
            # second round when another confirmed track of that type, with nothing of its kind in its gate, could
            # have it (its prediction went wrong, e.g. through an unseen bounce, while this track's ball was missed).
            kinds = np.array([[t.type in ('unknown', o.type) or o.type == 'unknown' for o in obs]
                              for t in tracks]).reshape(len(tracks), len(obs))
            lost = np.array([t.confirmed for t in tracks]) & ~(inside & (mismatch < 0.5)).any(axis=1)
            # So is one that reads the number another track has carried all along (break/8: a ball hit unforeseen
            # took its striker's detection, number read, and left its own for the striker).
            claim = (lost[:, None] & kinds | same & ~gone) & (d_last <= reach[:, None])
            doubtful = (mismatch >= 0.5) & (dist > 2 * BALL_RADIUS_M) & ~jump
            cost[doubtful & ((claim.sum(axis=0)[None, :] - claim) > 0)] = _FORBIDDEN
            first = [(i, j) for i, j in _assign(cost) if cost[i, j] < _FORBIDDEN]
            for i, k, j in self._defer_break(first, jump, dist, rack):
                tracks[i].deferred = tracks[k].deferred = self.frames
                used_o.add(j)
                # The jumping track i waits for that detection only: its ball, seen elsewhere within reach, is
                # still its own in the second round (break/24 at 30 Hz: the 2's track waited for the 6 read as 2,
                # and the 8's track, its ball missed, took the 2 rolling off 0.26 m away).
                used_t.add(k)
            for i, j in first:
                if i not in used_t and j not in used_o:
                    matches.append((tracks[i], obs[j], bool(dist[i, j] > gates[i])))
                    used_t.add(i)
                    used_o.add(j)
            # Second round: what is left, within the reach of the fastest ball.
            rest_t = [i for i in range(len(tracks)) if i not in used_t]
            rest_o = [j for j in range(len(obs)) if j not in used_o]
            if rest_t and rest_o:
                d2 = d_last[np.ix_(rest_t, rest_o)]
                since = since[rest_t]
                # Young tracks reach less far (a ball that came into view rolling) and never onto a detection
                # beside another track: a new ball next to a fresh false detection stays two tracks.
                young = np.array([tracks[i].hits < p.confirm_hits + 2 for i in rest_t])
                # A ball predicted into a pocket and not seen there went in, unless it is within twice its own
                # speed (its velocity was off): a far detection is another ball's (break/17: a pocketed ball took the
                # cue ball, detected with a wrong type, 0.9 m away).
                top = np.array([2 * tracks[i].filter.speed if tracks[i].pocket_hint[0] >= 0 else p.max_ball_speed
                                for i in rest_t])
                reach = p.gate_m + np.where(young, np.minimum(YOUNG_SPEED, top), top) * since
                mm = mismatch[np.ix_(rest_t, rest_o)]
                near = dist[:, rest_o] < 2 * BALL_RADIUS_M + p.gate_m
                crowded = (near.sum(axis=0)[None, :] - near[rest_t]) > 0      # near a track other than itself
                # ... nor onto a detection of another type than the little it has seen.
                differs = np.array([[tracks[i].type not in ('unknown', obs[j].type) and obs[j].type != 'unknown'
                                     for j in rest_o] for i in rest_t]).reshape(len(rest_t), len(rest_o))
                confirmed = ~(young[:, None] & (crowded | differs))
                # A ball at rest is struck once: its cost is taken over what it can roll in STILL_REACH_S, not over a
                # reach that grows without bound while it is hidden (random/5 at 10 Hz: the 12, hidden at rest 2 s,
                # took the 15 rolling 1.3 m away, its track's speed short after a collision).
                still_t = np.array([not tracks[i].moving for i in rest_t])
                scale = np.where(still_t, p.gate_m + top * np.minimum(since, STILL_REACH_S), reach)
                cost2 = dist[np.ix_(rest_t, rest_o)] / scale[:, None] + p.class_cost * mm
                # A detection on the spot of another ball at rest is that ball's, not a far jump.
                held = np.zeros((len(rest_t), len(rest_o)), bool)
                on_spot = (dist <= gates[:, None]) & np.array([not t.moving for t in tracks])[:, None]
                for a, i in enumerate(rest_t):
                    held[a] = np.delete(on_spot, i, axis=0)[:, rest_o].any(axis=0)
                # A ball at rest that nothing can have moved but a hand (idle, no moving ball near enough to have hit
                # it, not the cue ball the stick strikes) takes no detection of another type than its own two balls
                # away or more (a ball hit unforeseen, type misread, is within, random/3 at 10 Hz): a false one at a
                # pocket or on the hand (random/9: the 8, missed a frame, took a "solid" at a corner pocket
                # and was reported pocketed; the 14, under a hand, took a "solid" on it 0.55 m away and stayed there
                # 2.4 s without a ball).
                other_kind = np.zeros((len(rest_t), len(rest_o)), bool)
                for a, (i, s) in enumerate(zip(rest_t, since)):
                    kind = tracks[i].votes.confident_type()
                    if kind is not None and kind != 'cue' and idle[i] and not self._may_be_hit(tracks[i], s):
                        other_kind[a] = [obs[j].type not in ('unknown', kind) for j in rest_o] & \
                            (d2[a] > 4 * BALL_RADIUS_M)
                cost2[(d2 > reach[:, None]) | ~confirmed | held | shaft[rest_o][None, :] | other_kind] = _FORBIDDEN
                for a, b in _assign(cost2):
                    if cost2[a, b] < _FORBIDDEN:
                        i, j = rest_t[a], rest_o[b]
                        matches.append((tracks[i], obs[j], True))
                        used_t.add(i)
                        used_o.add(j)
            matches = self._uncross(matches, {id(t) for t, r in zip(tracks, rack) if r})
            matches = self._unswap(matches, dict(zip(map(id, tracks), gates)))
        free_t = [t for i, t in enumerate(tracks) if i not in used_t]
        free_o = [j for j in range(len(obs)) if j not in used_o]
        return matches, free_t, free_o

    @staticmethod
    def _uncross(matches: list, rack: set) -> list:
        """Two balls of a rack at rest that left their spots along crossing paths have traded detections: touching
        balls burst apart, neither passes through the other's spot. Swapped back when that is shorter and at most
        one of the two detections reads its track's number (break/29 at 10 Hz: the 13 read as 11, the 11 unread,
        and the 11's track jumped across the 13's spot). The swap that shortens the paths most goes first, and
        again until none is left: a crossing of two guesses must not be undone through a third ball's path first
        (break/53 at 10 Hz: the 2, read, lost its ball to the 7 whose own guess crossed the 14's)."""
        out = list(matches)
        racked = [k for k, (t, _, _) in enumerate(out) if id(t) in rack]

        def gain(a, b):
            (ta, oa, _), (tb, ob, _) = out[a], out[b]
            pa, pb = ta.pos, tb.pos
            za, zb = np.array([oa.x_m, oa.y_m]), np.array([ob.x_m, ob.y_m])
            if min(np.linalg.norm(za - pa), np.linalg.norm(zb - pb)) < 2 * BALL_RADIUS_M:
                return 0.0
            if not _segments_cross(pa, za, pb, zb):
                return 0.0
            na, nb = ta.votes.carried_number(), tb.votes.carried_number()
            if na is not None and nb is not None and oa.number == na and ob.number == nb:
                return 0.0   # both read: the numbers decide
            return float(np.linalg.norm(za - pa) + np.linalg.norm(zb - pb)
                         - np.linalg.norm(zb - pa) - np.linalg.norm(za - pb))
        for _ in range(len(racked) ** 2):
            best = max(((gain(a, b), a, b) for i, a in enumerate(racked) for b in racked[i + 1:]), default=None)
            if best is None or best[0] <= 0.0:
                break
            _, a, b = best
            (ta, oa, _), (tb, ob, _) = out[a], out[b]
            out[a], out[b] = (ta, ob, True), (tb, oa, True)
        return out

    @staticmethod
    def _unswap(matches: list, gates: dict) -> list:
        """Two slow touching balls that traded detections, one taken outside its gate on the other's spot while
        each detection lies inside the other's gate (under a radius): swapped back whatever numbers were read.
        Touching balls do not pass through each other in a frame; two balls of near colours both misread as the
        other is what happened (random/3 at 30 Hz: the 11 rolling slowly into the 15, read 15 and 11 in the frame
        they touched, and the two tracks traded balls for two frames)."""
        out = list(matches)
        for a in range(len(out)):
            for b in range(a + 1, len(out)):
                (ta, oa, ja), (tb, ob, jb) = out[a], out[b]
                ga, gb = gates[id(ta)], gates[id(tb)]
                if not (ta.confirmed and tb.confirmed and (ja or jb)) or max(ga, gb) > BALL_RADIUS_M or \
                        np.linalg.norm(ta.pos - tb.pos) > TOUCHING_M + ga + gb:
                    continue
                za, zb = np.array([oa.x_m, oa.y_m]), np.array([ob.x_m, ob.y_m])
                if np.linalg.norm(zb - ta.pos) <= ga and np.linalg.norm(za - tb.pos) <= gb:
                    out[a], out[b] = (ta, ob, False), (tb, oa, False)
        return out

    def _deviation_bound(self, start: np.ndarray, end: np.ndarray, since: np.ndarray,
                         gates: np.ndarray) -> np.ndarray:
        """Per track, the farthest its ball can be from its prediction [m]. A ball leaves its predicted path when
        another hits it, and then by at most the sum of their speeds times the time since it was seen (equal
        masses). Balls whose paths since they were seen come within touching (gates included) may have collided; a
        chain of them (a rack) shares its fastest speed. The cue ball at rest may be struck by the stick at any
        moment, at up to `max_ball_speed`; without a confirmed cue ball track, or for a tentative track, there is
        no bound. `start`: where each was last seen, `end`: its prediction, `since`: time since it was seen [s]."""
        p = self.params
        tracks = self.tracks
        n = len(tracks)
        out = np.full(n, np.inf)
        on = [i for i, t in enumerate(tracks) if t.confirmed]
        if not any(tracks[i].type == 'cue' for i in on):
            return out
        stamp = self.t
        speed = np.zeros(n)
        reach = gates.astype(float)
        for i in on:
            t = tracks[i]
            if t.moving or t.struck:
                speed[i] = _speed_bound(t, stamp)
            elif t.type == 'cue':
                speed[i] = p.max_ball_speed
                reach[i] += speed[i] * since[i]
        linked = _path_distances(start[on], end[on]) <= 2 * BALL_RADIUS_M + reach[on][:, None] + reach[on][None]
        np.fill_diagonal(linked, True)
        for _ in range(int(np.ceil(np.log2(max(len(on), 2))))):    # chains: the transitive closure
            linked = (linked.astype(np.int32) @ linked.astype(np.int32)) > 0
        fastest = np.max(np.where(linked, speed[on][None], 0.0), axis=1)
        out[on] = 2 * BALL_RADIUS_M + (speed[on] + fastest) * since[on]
        return out

    def _defer_break(self, first, jump, dist, rack) -> list[tuple[int, int, int]]:
        """First-round matches of a rack or cluster ball at rest by its number read far from its spot, on a detection
        nearer the spot of another such ball that found no detection of its own in that round: in the frame a group
        breaks, one misread number would decide between two balls against their positions (break/24 at 30 Hz: the
        6 read as 2, and the 2's track took it 0.23 m away, 3 cm from the 6's spot; the 6's track took the 2 far
        away). The detection and the other ball's track wait for the next frame (the track coasts at its spot, the
        detection starts no track); there a number read again or the positions decide. The jumping track waits for
        that detection only (it may take another in the second round). `rack`: per track, a confirmed ball at
        rest touching another. Returns (jumping track, other ball's track, detection) triples."""
        tracks = self.tracks
        settled = {i for i, _ in first}
        out = []
        for i, j in first:
            if not (jump[i, j] and rack[i]) or self.t - tracks[i].t_last > DEFER_MAX_S:
                continue
            near = [k for k in range(len(tracks))
                    if k != i and rack[k] and k not in settled and dist[k, j] < dist[i, j]]
            if near:
                out.append((i, min(near, key=lambda k: dist[k, j]), j))
        return out

    def _fit_bonus(self, z: np.ndarray, gates: np.ndarray) -> np.ndarray:
        """[track, detection] log-likelihood ratio that the detection is the ball where the track's filter
        predicted it (Gaussian innovation) rather than anywhere in its gate (a prediction that was off).

        Near zero beyond a few sigma, so only a confident prediction that came true counts: a ball rolling on as
        predicted keeps its detection against a number misread on it or on a neighbour, or a far track's jump.
        Not for tentative tracks nor predictions of foreseen collisions (their position is a guess). Tried: for
        those, the fit to where the ball would be had it hit nothing. It fixed break/24 at 10 Hz but broke
        held-out break/46 and /57 (after a head-on collision the striker stops where the struck ball would have
        rolled on to).
        """
        p = self.params
        out = np.zeros((len(self.tracks), len(z)))
        for i, t in enumerate(self.tracks):
            if not t.confirmed or t.guessed:
                continue
            S = t.filter.P[:2, :2] + np.eye(2) * p.measurement_sigma_m ** 2
            r = z - t.pos[None]
            m2 = np.einsum('ij,jk,ik->i', r, np.linalg.inv(S), r)
            density = np.exp(-0.5 * m2) / (2 * np.pi * np.sqrt(np.linalg.det(S)))
            out[i] = np.log1p((1 - OFF_PREDICTION) / OFF_PREDICTION * density * np.pi * gates[i] ** 2)
        return out

    @staticmethod
    def _same_number(tracks: list[Track], obs: list[Observation]) -> np.ndarray:
        """[track, detection]: the detection reads the number the confirmed track has carried (fused)."""
        nums = [t.votes.carried_number() if t.confirmed else None for t in tracks]
        # A number read on two detections of one frame is misread on one of them: evidence for neither.
        read = [o.number for o in obs if o.number is not None]
        nums = [n if read.count(n) == 1 else None for n in nums]
        return np.array([[n is not None and o.number == n for o in obs] for n in nums], bool).reshape(
            len(tracks), len(obs))

    # ---------------------------------------------------------------- correct
    def _correct(self, tr: Track, ob: Observation, stamp: float, jump: bool) -> None:
        p = self.params
        z = np.array([ob.x_m, ob.y_m])
        f = tr.filter
        last = np.array(tr.history[-1][1:]) if tr.history else f.pos.copy()
        since = max(stamp - tr.t_last, 1e-3)
        was_moving = tr.moving
        if not tr.moving:
            off, moved = self._off_spot(tr, ob)
            pending, tr.pending_start = tr.pending_start, None
            # Time since it was last seen on its spot.
            left = stamp - pending[0] if pending is not None else since
            # Taken outside its gate it left at once, unless nothing can have moved it (the stick can the cue ball):
            # then as a detection off its spot below, but twice in a row is enough (a ball put down elsewhere).
            moved = moved or jump
            if moved and (tr.struck or jump and (not tr.confirmed or tr.type == 'cue' or pending is not None)
                          or tr.confirmed and self._may_be_hit(tr, since, at_start=True)):
                self._start(tr, z, stamp, left)
            elif moved and tr.confirmed and pending is not None and \
                    off - pending[1] >= 0.5 * pending[1] * since / max(left - since, 1e-3):
                # Off its spot twice, the second time further by about as much again (a rolling ball barely slows
                # in a frame): it left when it was last seen at rest.
                self._start(tr, z, stamp, left)
            elif moved and tr.confirmed and pending is None:
                # Once off its spot within the gate, with nothing near that can have hit it, may be the detector's: a
                # stripe showing mostly white had its centre found up to a third of a radius off, frame by frame
                # (random/1: 4 false shot starts). The spot is kept until the next detection. (A ball that can have
                # been hit starts at once: a rack ball held a frame on its spot lost its identity, break/7, /39.)
                tr.pending_start = (stamp - since, off)
            else:
                # At rest (a detection off its spot that did not go on is noise, or the spot was off: it joins it).
                # Still: the spot is the running mean of the detections.
                tr.rest_n = min(tr.rest_n + 1, 30)
                tr.rest_pos = tr.rest_pos + (z - tr.rest_pos) / tr.rest_n
                f.x[:2] = tr.rest_pos
                f.x[2:] = 0.0
        if was_moving:
            if not jump:
                saved = f.x.copy(), f.P.copy()
                nis = f.update(z, p.measurement_sigma_m)
                if nis > p.manoeuvre_nis:
                    # Collision or strike the model did not foresee: forget the old velocity.
                    f.x, f.P = saved
                    f.P[2:, 2:] += np.eye(2) * 4.0
                    f.update(z, p.measurement_sigma_m)
                    tr.manoeuvred = True
            # A jump, or a velocity past any ball's speed (once 44 m/s: a collision foreseen just before the frame
            # makes a position error nearly all velocity error, _after_impact): the detections' displacement decides.
            if jump or f.speed > p.max_ball_speed:
                f.restart(z, (z - last) / since, p.measurement_sigma_m, 1.0)
                tr.manoeuvred = True
            if tr.manoeuvred or tr.bounced:
                tr.t_manoeuvre = stamp
            if tr.manoeuvred:
                tr.fitted_stop = None           # fitted to the speed before a collision
            elif tr.bounced and tr.fitted_stop is not None:
                # A ball the fit had stopping soon bounced off a cushion: it loses the cushion's restitution and stops
                # that much earlier than fitted (its positions since move less than their noise; see _check_stop).
                t_b = stamp - 0.5 * tr.before[2]
                if tr.fitted_stop > t_b:
                    tr.bounce_stop = (stamp, t_b + CUSHION_RESTITUTION * (tr.fitted_stop - t_b))
        tr.votes.add(ob.type, ob.number, ob.type_confidence)
        tr.hits += 1
        tr.t_last = stamp
        tr.t_pred = stamp
        tr.obs = ob
        tr.last_matched = True
        tr.pocket_hint = (-1, 0.0)
        tr.history.append((stamp, ob.x_m, ob.y_m))
        tr.seen_vel = tr.filter.vel.copy()
        tr.px = (ob.x_px, ob.y_px)
        tr.trail.append(tr.px)

    def _off_spot(self, tr: Track, ob: Observation) -> tuple[float, bool]:
        """How far the detection `ob` is from the spot of the ball at rest `tr` [m], and whether that is off it
        (beyond `start_distance_m` and the measurement noise)."""
        p = self.params
        off = float(np.linalg.norm(np.array([ob.x_m, ob.y_m]) - tr.rest_pos))
        return off, off > max(p.start_distance_m, 4 * p.measurement_sigma_m)

    def _may_be_hit(self, tr: Track, since: float, at_start: bool = False) -> bool:
        """A ball touches the ball at rest `tr` while another rolls (an impact runs through a rack unforeseen), or a
        moving one passed near enough to have hit it in the `since` seconds it was last seen (its path through its
        detections to its prediction, with a margin for its speed: a ball just struck has its filter's speed short,
        random/3 at 10 Hz: 0.87 m/s for 3 m/s). Balls at rest do not move each other: with nothing rolling and the
        cue ball at rest elsewhere, a rack ball found off its spot is the detector's (held-out break/6: the 14 in
        the middle of the rack fitted 8 px off, read 10, four false shot starts).

        at_start (a detection off its spot, _correct): also when it stopped less than SPIN_S ago, or the cue ball,
        at rest and not seen on its spot in this frame, can have reached it or a ball touching it (a chain of them)
        struck by the stick (held-out break/6 at 10 Hz: the cue ball, struck and missed in the frame, broke the
        rack)."""
        p = self.params
        if at_start and tr.t_stop is not None and self.t - tr.t_stop < SPIN_S:
            return True
        others = [o for o in self.tracks if o is not tr and o.confirmed]
        rolling = [o for o in others if o.moving]
        for o in rolling:
            path = np.array([e[1:] for e in o.history if e[0] >= self.t - since - 1e-9] + [o.pos])
            near = 2 * BALL_RADIUS_M + p.gate_m + _speed_bound(o, self.t) * max(self.t - o.t_last, 0.0)
            ends = (path[:-1], path[1:]) if len(path) > 1 else (path, path)
            if _to_segments(tr.rest_pos[None], *ends).min() < near:
                return True
        cues = [o for o in others if o.type == 'cue']
        if rolling or not cues or tr.type == 'cue':
            # Without a cue ball seen at rest the stick may have struck anything (the tests' two-ball racks).
            return any(np.linalg.norm(o.pos - tr.rest_pos) < TOUCHING_M for o in others)
        strikers = [o for o in cues if at_start and id(o) not in self._on_spot]
        if not strikers:
            return False
        group, left = [tr.rest_pos], [o for o in others if o.type != 'cue']
        k = 0
        while k < len(group):
            near = [o for o in left if np.linalg.norm(o.pos - group[k]) < TOUCHING_M]
            group += [o.pos for o in near]
            left = [o for o in left if all(o is not n for n in near)]
            k += 1
        group = np.array(group)
        for o in strikers:
            reach = 2 * BALL_RADIUS_M + p.gate_m + p.max_ball_speed * max(since, self.t - o.t_last)
            if np.linalg.norm(group - o.pos, axis=1).min() < reach:
                return True
        return False

    def _start(self, tr: Track, z, stamp: float, since: float) -> None:
        """A ball at rest was found away from its spot: it was struck since the last frame."""
        p = self.params
        v = (z - tr.rest_pos) / since
        sigma = max(1.0, float(np.hypot(*v)))
        tr.filter.restart(z, v, p.measurement_sigma_m, sigma, START_ACROSS * sigma)
        # Struck somewhere in the interval: half of it is the best guess of how long it has slid.
        tr.filter.stun(0.5 * since)
        tr.moving = True
        tr.t_manoeuvre = stamp
        tr.fitted_stop = None
        # It started somewhere in the interval since it was last seen at rest.
        tr.started = stamp - since
        tr.history.clear()
        tr.history.append((stamp - since, *tr.rest_pos))

    # ------------------------------------------------------------------ birth
    def _birth(self, ob: Observation, stamp: float) -> None:
        p = self.params
        z = np.array([ob.x_m, ob.y_m])
        # A second detection of a ball already tracked (a split blob) makes no new track.
        for tr in self.tracks:
            if tr.last_matched and np.linalg.norm(tr.pos - z) < BALL_RADIUS_M:
                return
        revived = self._ball_in_hand(ob, z)
        if revived is not None:
            tr = revived
            tr.filter = BallFilter(z, p.measurement_sigma_m)
            tr.hits, tr.confirmed = p.confirm_hits, True
        else:
            tr = Track(self.next_id, BallFilter(z, p.measurement_sigma_m), stamp, stamp, stamp, ob)
            tr.trail = deque(maxlen=p.trail_length)
            self.next_id += 1
            tr.votes.add(ob.type, ob.number, ob.type_confidence)
        tr.t_last = tr.t_pred = stamp
        tr.obs, tr.moving, tr.state = ob, False, STATIONARY
        tr.rest_pos, tr.rest_n = z.copy(), 1
        tr.pocket, tr.pocket_hint, tr.last_matched = -1, (-1, 0.0), True
        tr.history.clear()
        tr.history.append((stamp, ob.x_m, ob.y_m))
        tr.px = (ob.x_px, ob.y_px)
        tr.trail.append(tr.px)
        self.tracks.append(tr)

    def _ball_in_hand(self, ob: Observation, z) -> Optional[Track]:
        """The pocketed track of the same ball put back on the table (the cue ball after a scratch)."""
        if ob.type_confidence < 0.5:
            return None
        for tr in sorted(self.graveyard, key=lambda t: -t.t_pocketed):
            same = (ob.type == 'cue' and tr.type == 'cue') or \
                (ob.number is not None and ob.number == tr.votes.carried_number())
            if same:
                self.graveyard.remove(tr)
                return tr
        return None

    # ------------------------------------------------------------------ prune
    def _revive(self, tr: Track) -> None:
        """A new track rolling with the number of a ball whose track was dropped unseen in the last REVIVE_S, read
        consistently, and carried by no confirmed track, is that ball: it takes the dropped track's id and is
        confirmed while it rolls (held-out break/7, incremental: the 6's track took the 9 read as 1 in the break
        frame and was dropped as its ghost; the 6, read 6 in every frame from then on, went unreported for 90
        frames until it stopped)."""
        n = tr.votes.carried_number()
        if n is None or any(t.confirmed and t.votes.carried_number() == n for t in self.tracks):
            return
        gone = [t for t in self.lost if t.votes.carried_number() == n]
        if not gone:
            return
        old = max(gone, key=lambda t: t.t_last)
        self.lost = [t for t in self.lost if t is not old]
        tr.id, tr.confirmed = old.id, True
        tr.votes.merge(old.votes)

    def _prune(self, stamp: float) -> None:
        p = self.params
        keep = []
        seen = [t for t in self.tracks if t.last_matched and t.confirmed]
        for tr in self.tracks:
            if tr.last_matched:
                keep.append(tr)
                continue
            if not tr.confirmed:
                continue                       # a tentative track missed once was noise
            if tr.hits < p.confirm_hits:
                # Reported at once on a fresh table, missed in its second frame: tentative again, not shown; one
                # more miss drops it, a detection confirms it with its id.
                tr.confirmed = False
                keep.append(tr)
                continue
            since = stamp - tr.t_last
            pocket = self._pocket_of(tr, stamp)
            if pocket >= 0:
                self._pocketed(tr, pocket, stamp)
                continue
            # A coasting track sitting on a ball that is seen is a ghost. A ball at rest only when the seen one's
            # centre is on it: a neighbour pushed closer than touching (a break) means this ball was struck and
            # moved, and the track is kept for its detection in the next frame (break/11: the rack's 7 ball missed
            # once, its id lost, and a neighbour's track took its detections).
            near = 1.5 * BALL_RADIUS_M if tr.moving else BALL_RADIUS_M
            if any(np.linalg.norm(o.pos - tr.pos) < near for o in seen):
                self.lost.append(tr)
                continue
            if since > (p.coast_moving_s if tr.moving else p.coast_still_s):
                if tr.moving:
                    self.events.lost(tr)
                self.lost.append(tr)
                continue
            keep.append(tr)
        self.tracks = keep
        self.lost = [t for t in self.lost if stamp - t.t_last <= REVIVE_S]
        self.graveyard = [t for t in self.graveyard if stamp - t.t_pocketed <= max(p.pocketed_keep_s, 600.0)]

    def _drop_ghosts_under(self, new: Track) -> None:
        """A track just confirmed where a confirmed one coasts: the coasting one lost its ball."""
        keep = []
        for t in self.tracks:
            if t is new or t.last_matched or not t.confirmed or np.linalg.norm(t.pos - new.pos) >= 1.5 * BALL_RADIUS_M:
                keep.append(t)
            elif t.moving:
                self.events.lost(t)
        self.tracks = keep

    def _pocket_of(self, tr: Track, stamp: float) -> int:
        if self.cushions is None:
            return -1
        if tr.pocket_hint[0] >= 0:
            return tr.pocket_hint[0]
        if not tr.moving or not tr.history:
            return -1
        # Last seen rolling in a pocket's mouth and not seen since.
        last = np.array(tr.history[-1][1:])
        k, d = self.cushions.nearest_pocket(last)
        mouth = self.cushions.geometry.pocket_mouth('corner' if k not in (1, 4) else 'side')
        # Heading as last seen (the prediction since may have reflected it off the jaw).
        heading = last - np.array(tr.history[-2][1:]) if len(tr.history) > 1 else tr.filter.vel
        toward = np.dot(heading, np.sign(self.cushions.pockets[k])) > 0      # out through that mouth
        if toward and k in (1, 4):
            # A side pocket: only if its line as last seen meets the cushion line within the mouth. A ball missed
            # once as it rolls on past the mouth along the cushion is not in (break/27: the 5 was pocketed by one
            # miss and came back as a new track).
            side = np.sign(self.cushions.pockets[k][1])
            ahead = max(self.cushions.limit[1] - side * last[1], 0.0) / abs(heading[1])
            toward = abs(last[0] + heading[0] * ahead - self.cushions.pockets[k][0]) < mouth / 2 + BALL_RADIUS_M
        if d < mouth / 2 + 1.5 * BALL_RADIUS_M and toward:
            return k
        if len(tr.history) < 2:
            return -1
        # The prediction lags a ball whose path bends (it slides after a collision): its last step, carried on
        # since it was last seen, through a mouth (break/10 at 10 Hz: the 2 passed 15 mm inside the prediction
        # and went into the side pocket).
        # Only when it agrees with the velocity at that detection to within HEADING_AGREE: a last step across a
        # cushion bounce points anywhere (break/47: the 11 off the end cushion beside a corner, 'pocketed' by its
        # step into the side cushion).
        v = tr.seen_vel
        if float(np.dot(heading, v)) < np.cos(HEADING_AGREE) * float(np.hypot(*heading)) * float(np.hypot(*v)):
            return -1
        t0, t1 = tr.history[-2][0], tr.history[-1][0]
        return drift(last, heading / max(t1 - t0, 1e-3), stamp - t1, self.cushions)[3]

    def _pocketed(self, tr: Track, pocket: int, stamp: float) -> None:
        tr.state, tr.pocket, tr.moving = POCKETED, pocket, False
        tr.t_pocketed = tr.pocket_hint[1] if tr.pocket_hint[0] >= 0 else stamp
        tr.t_pocketed = min(max(tr.t_pocketed, tr.t_last), stamp)
        tr.filter.x[:2] = self.cushions.pockets[pocket]
        tr.filter.x[2:] = 0.0
        self.graveyard.append(tr)
        self.events.pocketed(tr)

    # ------------------------------------------------------------------ state
    def _update_state(self, tr: Track, stamp: float) -> None:
        if tr.moving and tr.last_matched:
            self._check_stop(tr, stamp)
        elif tr.moving and stamp - tr.t_last > 0 and tr.filter.speed < 1e-6:
            self._stop(tr, stamp)
        if not tr.last_matched:
            tr.state = OCCLUDED
        else:
            tr.state = MOVING if tr.moving else STATIONARY
        if not tr.last_matched and tr.history:
            tr.px = self._image_of(tr)

    def _check_stop(self, tr: Track, stamp: float) -> None:
        p = self.params
        speed = tr.filter.speed
        if speed > 0.4 or stamp - tr.t_manoeuvre < 0.1:
            return
        pts = [h for h in tr.history if h[0] >= tr.t_manoeuvre and h[0] >= stamp - STOP_FIT_S]
        fit = None
        if len(pts) >= 4:
            arr = np.array(pts)
            fit = fit_stop_time(arr[:, 0], arr[:, 1:], p.rolling_deceleration)
        ok = fit is not None and fit[1] < 3 * p.measurement_sigma_m
        if ok:
            tr.fitted_stop = fit[0]
        # A soft bounce off a cushion shortly before the ball stops (break/5: the 1 at 0.03 m/s, 0.25 s before it
        # stopped): its positions since move less than their noise, a stop fitted to them came 2.3 frames late and
        # its speed under still_speed called it stopped 4 frames early (it still rolls speed/deceleration, 0.3 s
        # at 0.03 m/s). The stop the fit before the bounce foresaw, less the restitution, decides.
        travel = np.linalg.norm(np.subtract(pts[-1][1:], pts[0][1:])) if pts else 0.0
        if tr.bounce_stop[0] == tr.t_manoeuvre and travel < SHORT_TRAVEL_M:
            if tr.bounce_stop[1] <= stamp:
                self._stop(tr, max(tr.bounce_stop[1], tr.t_manoeuvre))
        elif ok:
            if fit[0] <= stamp:
                self._stop(tr, max(fit[0], tr.t_manoeuvre))
        elif speed < p.still_speed:
            self._stop(tr, stamp)

    def _stop(self, tr: Track, when: float) -> None:
        tr.moving = False
        tr.t_stop = when
        tr.rest_pos = tr.filter.pos.copy()
        tr.rest_n = 1
        tr.filter.x[2:] = 0.0
        self.events.stopped(tr)

    def _image_of(self, tr: Track) -> tuple:
        if self.to_image is None:
            return tr.px
        px = np.asarray(self.to_image(tr.pos[None]), float).reshape(-1, 2)[0]
        return float(px[0]), float(px[1])

    # ---------------------------------------------------------------- results
    def confirmed(self) -> list[Track]:
        """Confirmed tracks on the table (seen or coasting), then recently pocketed ones."""
        on = [t for t in self.tracks if t.confirmed]
        keep = self.params.pocketed_keep_s
        gone = [t for t in self.graveyard if self.t is not None and self.t - t.t_pocketed <= keep]
        return on + gone
