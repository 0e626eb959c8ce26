# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""The cue ball alone up to its first ball, in closed form, for many strokes at once. No ROS.

Until it touches a ball only the cue ball moves, and under sim/physics.py's friction model it
moves with a constant acceleration in each phase: sliding (against the slip, mu_s g) until the
slip is gone, then rolling (against the velocity, mu_r g) until it stops; a cushion (same
restitution and spin loss as the simulator) starts a new phase. So each phase is a parabola,
cut at the earliest cushion (solved exactly per axis) and tested against every still ball as
a polyline of chords (exact while straight, within SAG_M of a bend). All strokes (speed, follow, direction) step through
their phases together as arrays: a vote over dozens of strokes costs about one simulation's
time-stepping, not dozens.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..sim.physics import GRAVITY, TablePhysics

MAX_PHASES = 10      # slide/roll phases and cushions followed before giving up (no ball hit)
SAG_M = 5e-4         # a curved slide is tested as chords that stray at most this far from it [m]
MAX_CHORDS = 64


@dataclass
class FirstContacts:
    """Per stroke: index of the ball hit first (into the `balls` given, -1 none), cushions before it,
    and the cue ball's centre (the ghost ball), velocity and spin state where it stopped (at that contact),
    when, and the pocket of a scratch."""
    first: np.ndarray        # (K,) int
    cushions: np.ndarray     # (K,) int
    pos: np.ndarray          # (K, 2)
    vel: np.ndarray          # (K, 2)
    spin: np.ndarray         # (K, 2)
    time: np.ndarray         # (K,) [s] after the stroke
    pocket: np.ndarray       # (K,) pocket the cue ball fell into before any ball (TablePhysics numbering), -1
    _phases: list            # (strokes, chord points, points kept) per phase, for path()

    def path(self, stroke: int) -> np.ndarray:
        """The cue ball's path of one stroke up to its contact (or stop) as (n, 2) points."""
        out = []
        for idx, pts, kept in self._phases:
            n = np.flatnonzero(idx == stroke)
            if len(n):
                out.append(pts[n[0], :kept[n[0]]])
        out.append(self.pos[stroke][None])
        return np.vstack(out)


def first_contacts(physics: TablePhysics, cue_xy, balls_xy, directions, speeds, follows,
                   horizon_s: float = 4.0) -> FirstContacts:
    """Strike the cue ball at `cue_xy` K times (unit `directions` (K, 2), `speeds` (K,), `follows` (K,),
    as TablePhysics.strike) among the still `balls_xy` (N, 2); `physics` gives table and friction."""
    prm, r = physics.params, physics.radius
    mu_s, mu_r = prm.sliding_friction * GRAVITY, prm.rolling_resistance * GRAVITY
    lim = physics._half - r
    directions = np.atleast_2d(np.asarray(directions, float))
    k = len(directions)
    speeds = np.broadcast_to(np.asarray(speeds, float), (k,))
    follows = np.clip(np.broadcast_to(np.asarray(follows, float), (k,)), -1.5, 1.5)
    balls = np.asarray(balls_xy, float).reshape(-1, 2)
    p = np.tile(np.asarray(cue_xy, float), (k, 1))
    v = directions * speeds[:, None]
    w = v * follows[:, None]
    t = np.zeros(k)
    first = np.full(k, -1)
    pocket = np.full(k, -1)
    cushions = np.zeros(k, int)
    active = speeds > 0
    phases = []
    for _ in range(MAX_PHASES):
        idx = np.flatnonzero(active)
        if len(idx) == 0:
            break
        p0, v0, w0 = p[idx], v[idx], w[idx]
        slip = v0 - w0
        s = np.hypot(*slip.T)
        sliding = s > 1e-9
        speed = np.hypot(*v0.T)
        unit = np.where(sliding[:, None], slip / np.where(sliding, s, 1)[:, None],
                        v0 / np.maximum(speed, 1e-12)[:, None])
        acc = -np.where(sliding, mu_s, mu_r)[:, None] * unit
        slide_end = s / (3.5 * mu_s)
        duration = np.minimum(np.where(sliding, slide_end, speed / mu_r), horizon_s - t[idx])
        t_wall, axis = _cushion_times(p0, v0, acc, lim, duration)
        t_end = np.minimum(duration, t_wall)
        # Straight when the acceleration is along the velocity (after the stroke, rolling): one chord is
        # exact. A slide after a cushion bends: chords short enough that the bend between two samples
        # (a_perp dt^2 / 8) stays under SAG_M.
        a_perp = np.abs(v0[:, 0] * acc[:, 1] - v0[:, 1] * acc[:, 0]) / np.maximum(speed, 1e-9)
        chords = int(np.clip(np.ceil(np.max(t_end * np.sqrt(a_perp / (8 * SAG_M)))), 1, MAX_CHORDS))
        tau = t_end[:, None] * np.linspace(0.0, 1.0, chords + 1)[None]
        pts = p0[:, None] + v0[:, None] * tau[..., None] + 0.5 * acc[:, None] * tau[..., None] ** 2
        chord, u, ball = _first_chord_contact(pts, balls, 2 * r)
        hit = chord >= 0
        t_stop = t_end.copy()
        p_new = p0 + v0 * t_end[:, None] + 0.5 * acc * t_end[:, None] ** 2
        if hit.any():
            h = np.flatnonzero(hit)
            a_pt, b_pt = pts[h, chord[h]], pts[h, chord[h] + 1]
            p_new[h] = a_pt + u[h, None] * (b_pt - a_pt)
            t_stop[h] = _time_at(p0[h], v0[h], acc[h], a_pt, p_new[h], tau[h, chord[h]], tau[h, chord[h] + 1])
        phases.append((idx, pts, np.where(hit, chord + 1, chords + 1)))
        v_new = v0 + acc * t_stop[:, None]
        # dw/dt = +5/2 mu_s g s_hat = -5/2 acc while sliding; rolling keeps w = v.
        w_new = np.where(sliding[:, None], w0 - 2.5 * acc * t_stop[:, None], v_new)
        at_wall = ~hit & (t_wall <= duration)
        slid_out = sliding & ~hit & ~at_wall & (t_stop >= slide_end - 1e-12)
        w_new[slid_out] = v_new[slid_out] = (5 * v_new[slid_out] + 2 * w_new[slid_out]) / 7
        p[idx], v[idx], w[idx], t[idx] = p_new, v_new, w_new, t[idx] + t_stop
        first[idx[hit]] = ball[hit]
        done = hit | (~at_wall & ~slid_out)
        # A cushion: reflect with the simulator's restitution and loss of spin along the normal; in a jaw
        # gap the ball is pocketed.
        for ax in (0, 1):
            m = at_wall & (axis == ax)
            if not m.any():
                continue
            pocketed = ~physics._cushion_present(ax, p_new[m])
            done[np.flatnonzero(m)[pocketed]] = True
            gone = idx[np.flatnonzero(m)[pocketed]]
            pocket[gone] = [_pocket_index(physics, xy, ax) for xy in p[gone]]
            bounce = idx[np.flatnonzero(m)[~pocketed]]
            v[bounce, ax] *= -prm.cushion_restitution
            w[bounce, ax] = 0.0
            cushions[bounce] += 1
        active[idx[done]] = False
    return FirstContacts(first, cushions, p, v, w, t, pocket, phases)


def _pocket_index(physics: TablePhysics, xy, axis: int) -> int:
    """The pocket of a ball crossing cushion line `axis` at xy through a jaw gap (as TablePhysics._capture)."""
    sx, sy = (1 if c >= 0 else -1 for c in xy)
    if axis == 1 and abs(xy[0]) < physics.side_gap:
        return 1 if sy > 0 else 4
    return {(-1, 1): 0, (1, 1): 2, (1, -1): 3, (-1, -1): 5}[(sx, sy)]


def _time_at(p0, v0, acc, a_pt, q, t0, t1):
    """The time in [t0, t1] at which p0 + v0 t + acc t^2 / 2 reaches q on the chord from a_pt:
    the root of its projection on the chord's direction (a quadratic in t)."""
    d = q - a_pt
    n = np.hypot(*d.T)
    e = d / np.maximum(n, 1e-12)[:, None]
    qa = 0.5 * np.sum(acc * e, axis=1)
    qb = np.sum(v0 * e, axis=1)
    qc = np.sum((p0 - q) * e, axis=1)
    with np.errstate(divide='ignore', invalid='ignore'):
        sq = np.sqrt(np.maximum(qb * qb - 4 * qa * qc, 0))
        roots = np.stack([(-qb - sq) / (2 * qa), (-qb + sq) / (2 * qa), -qc / qb])
    ok = np.isfinite(roots) & (roots >= t0 - 1e-9) & (roots <= t1 + 1e-9)
    best = np.where(ok, roots, np.inf).min(axis=0)
    return np.where(np.isfinite(best), best, t0)


def _cushion_times(p, v, a, lim, horizon):
    """Earliest time in (0, horizon] each parabola p + v t + a t^2 / 2 reaches a cushion line
    (|x| = lim_x or |y| = lim_y) moving outwards, and its axis; inf where none."""
    # The four lines as columns -x, +x, -y, +y: 0.5 a t^2 + v t + (p - wall) = 0, crossing outwards.
    side = np.array([-1.0, 1.0, -1.0, 1.0])
    ax = np.array([0, 0, 1, 1])
    qa, qb = 0.5 * a[:, ax], v[:, ax]
    qc = p[:, ax] - side * lim[ax]
    with np.errstate(divide='ignore', invalid='ignore'):
        disc = qb * qb - 4 * qa * qc
        sq = np.sqrt(np.maximum(disc, 0))
        quad = np.abs(qa) > 1e-12
        roots = np.stack([np.where(quad, (-qb - sq) / (2 * qa), -qc / qb),
                          np.where(quad, (-qb + sq) / (2 * qa), np.inf)])
        outwards = (qb + 2 * qa * roots) * side > 0
    ok = (disc >= 0) | ~quad
    roots = np.where(ok & outwards & (roots > 1e-12) & (roots <= horizon[:, None]), roots, np.inf).min(axis=0)
    col = np.argmin(roots, axis=1)
    return roots[np.arange(len(p)), col], ax[col]


def _first_chord_contact(pts, balls, dist):
    """For polylines pts (K, M+1, 2): the first chord whose segment comes within `dist` of a ball
    centre while approaching it, the fraction u along it, and the ball; chord -1 where none."""
    k, m1, _ = pts.shape
    none = (np.full(k, -1), np.zeros(k), np.full(k, -1))
    if len(balls) == 0:
        return none
    a0, d = pts[:, :-1], pts[:, 1:] - pts[:, :-1]                 # (K, M, 2)
    rel = a0[:, :, None] - balls[None, None]                     # (K, M, N, 2)
    qa = np.sum(d * d, axis=-1)[..., None]                       # (K, M, 1)
    qb = 2 * np.sum(rel * d[:, :, None], axis=-1)                # (K, M, N)
    qc = np.sum(rel * rel, axis=-1) - dist * dist
    disc = qb * qb - 4 * qa * qc
    with np.errstate(divide='ignore', invalid='ignore'):
        u = np.maximum((-qb - np.sqrt(np.maximum(disc, 0))) / (2 * qa), 0.0)
    touch = (qb < 0) & (disc >= 0) & (qa > 0) & (u <= 1.0)
    u = np.where(touch, u, np.inf)
    # The earliest contact: chord index plus fraction, over balls.
    key = np.arange(m1 - 1)[None, :, None] + u
    flat = key.reshape(k, -1)
    best = np.argmin(flat, axis=1)
    found = np.isfinite(flat[np.arange(k), best])
    chord, ball = np.divmod(best, len(balls))
    frac = np.where(found, flat[np.arange(k), best] - chord, 0.0)
    return np.where(found, chord, -1), frac, np.where(found, ball, -1)
