# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""2D pool-table physics: sliding and rolling balls, collisions, cushions, pockets.

Pure NumPy, no ROS. Each ball has a position p, a velocity v and a spin state
w = R * (omega x z_hat), the velocity the ball would have if it rolled without
slipping with its current spin. Slip s = v - w is the velocity of the contact
point on the cloth. While |s| > 0 sliding friction acts against s (dv/dt =
-mu g s_hat, dw/dt = +5/2 mu g s_hat, so slip dies at 7/2 mu g); once rolling
(v == w) both decelerate by the rolling resistance.

Time advances in sub-steps short enough that no ball moves more than a quarter
radius; inside each sub-step motion is treated as straight and collisions are
found exactly (time of impact), so nothing tunnels even at break speed.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..table_geometry import (BALL_RADIUS_M, CORNER_POCKET_MOUTH_M, SIDE_POCKET_MOUTH_M,
                              TableGeometry)

GRAVITY = 9.81
BALL_MASS_KG = 0.17
SPIN_INERTIA = 0.4        # I / (m R^2) of a solid sphere
STOP_SPEED = 2e-3         # below this a rolling ball is considered at rest [m/s]
MAX_EVENTS_PER_STEP = 2000
CONTACT_TOLERANCE_M = 1e-3   # balls closer than this take part in a group impact
# Hertz contact of two phenolic-resin balls: k = 4/3 E* sqrt(R/2), E* ~ 2.9 GPa.
HERTZ_K = 4.5e8               # [N / m^1.5]
HERTZ_STEP_S = 2e-6
HERTZ_MAX_STEPS = 20000


@dataclass(frozen=True)
class PhysicsParams:
    sliding_friction: float = 0.2
    rolling_resistance: float = 0.01
    ball_restitution: float = 0.95
    cushion_restitution: float = 0.85
    max_step_travel: float = BALL_RADIUS_M / 4.0   # [m] per sub-step


class TablePhysics:
    """All balls on one table; arrays indexed by ball number (0 cue .. 15)."""

    N_BALLS = 16

    def __init__(self, geometry: TableGeometry | None = None, params: PhysicsParams | None = None):
        self.geometry = geometry or TableGeometry()
        self.params = params or PhysicsParams()
        self.radius = BALL_RADIUS_M
        n = self.N_BALLS
        self.pos = np.zeros((n, 2))
        self.vel = np.zeros((n, 2))
        self.spin = np.zeros((n, 2))
        self.on_table = np.zeros(n, dtype=bool)   # in play (not pocketed, not absent)
        self.pocketed = np.zeros(n, dtype=bool)
        self.pocket_of = np.full(n, -1, dtype=int)
        self.orientation = np.tile(np.eye(3), (n, 1, 1))  # body -> table rotation, for rendering
        self.time = 0.0
        self.events: list[tuple[float, str, int, int]] = []   # (t, kind, ball, other/pocket)
        hl, hw = self.geometry.length / 2.0, self.geometry.width / 2.0
        self._half = np.array([hl, hw])
        # Cushion gaps (jaws): a corner mouth of width m spans m/sqrt(2) along each rail.
        self.corner_gap = CORNER_POCKET_MOUTH_M / np.sqrt(2.0)
        self.side_gap = SIDE_POCKET_MOUTH_M / 2.0
        pockets = self.geometry.pockets()
        # Where a pocketed ball ends up: just behind the mouth centre.
        self.pocket_drop = np.array([xy + np.sign(xy) * np.array([0.03, 0.03]) * (xy != 0)
                                     for _, xy in pockets])

    # ------------------------------------------------------------------ setup
    def clear(self) -> None:
        self.on_table[:] = False
        self.pocketed[:] = False
        self.pocket_of[:] = -1
        self.vel[:] = 0.0
        self.spin[:] = 0.0
        self.events.clear()

    def place(self, number: int, xy, random_orientation: np.random.Generator | None = None) -> None:
        """Put ball `number` at rest at table position xy [m]."""
        if not 0 <= number < self.N_BALLS:
            raise ValueError(f'ball number must be 0..15, got {number}')
        xy = np.asarray(xy, dtype=float)
        limit = self._half - self.radius
        if np.any(np.abs(xy) > limit + 1e-9):
            raise ValueError(f'ball {number} at {xy.tolist()} is outside the playing surface')
        self.pos[number] = xy
        self.vel[number] = 0.0
        self.spin[number] = 0.0
        self.on_table[number] = True
        self.pocketed[number] = False
        self.pocket_of[number] = -1
        if random_orientation is not None:
            q = random_orientation.normal(size=4)
            self.orientation[number] = _quat_to_matrix(q / np.linalg.norm(q))

    def remove(self, number: int) -> None:
        self.on_table[number] = False
        self.pocketed[number] = False
        self.vel[number] = 0.0
        self.spin[number] = 0.0

    def strike(self, number: int, velocity, follow: float = 0.0) -> None:
        """Cue hits ball `number`: linear velocity [m/s]; follow (-1 draw .. +1 follow) sets spin.

        A centre hit leaves no spin (the ball slides first); follow = 1 starts it
        rolling, negative values give backspin.
        """
        if not self.on_table[number]:
            raise ValueError(f'ball {number} is not on the table')
        v = np.asarray(velocity, dtype=float)
        self.vel[number] = v
        self.spin[number] = float(np.clip(follow, -1.5, 1.5)) * v

    # ---------------------------------------------------------------- queries
    def moving(self) -> np.ndarray:
        speed = np.hypot(*self.vel.T) + np.hypot(*self.spin.T)
        return self.on_table & (speed > 0.0)

    def at_rest(self) -> bool:
        return not bool(self.moving().any())

    def kinetic_energy(self) -> float:
        """Translational plus rotational energy of the balls in play [J]."""
        m = self.on_table
        v2 = np.sum(self.vel[m] ** 2)
        w2 = np.sum(self.spin[m] ** 2)
        return 0.5 * BALL_MASS_KG * (v2 + SPIN_INERTIA * w2)

    # -------------------------------------------------------------- stepping
    def advance(self, duration: float) -> None:
        """Advance the simulation by `duration` seconds."""
        if duration < 0:
            raise ValueError('duration must be >= 0')
        remaining = duration
        while remaining > 1e-12:
            active = self.on_table
            if not self.moving().any():
                self.time += remaining
                return
            vmax = float(np.max(np.hypot(*self.vel[active].T))) if active.any() else 0.0
            dt = remaining if vmax <= 0 else min(remaining, self.params.max_step_travel / vmax)
            self._substep(dt)
            remaining -= dt

    def _substep(self, dt: float) -> None:
        start_angular = self._angular_velocity()
        left = dt
        for _ in range(MAX_EVENTS_PER_STEP):
            t_hit, kind, i, j = self._next_event(left)
            if kind is None:
                self._drift(left)
                left = 0.0
                break
            self._drift(t_hit)
            left -= t_hit
            if kind == 'ball':
                self._collide(i, j)
            else:
                self._cushion(i, j)
            self._capture()
        else:
            # Pathological contact chain: finish the step without further events.
            self._drift(left)
        self._capture()
        self._friction(dt)
        self._rotate(0.5 * (start_angular + self._angular_velocity()), dt)
        self.time += dt

    def _drift(self, t: float) -> None:
        if t > 0:
            self.pos[self.on_table] += self.vel[self.on_table] * t

    def _next_event(self, horizon: float):
        """Earliest ball-ball or ball-cushion contact within `horizon` s (straight motion)."""
        idx = np.flatnonzero(self.on_table)
        best_t, best = horizon, (None, -1, -1)
        r = self.radius
        if len(idx) >= 2:
            ii, jj = np.triu_indices(len(idx), 1)
            a_i, a_j = idx[ii], idx[jj]
            dp = self.pos[a_j] - self.pos[a_i]
            dv = self.vel[a_j] - self.vel[a_i]
            a = np.sum(dv * dv, axis=1)
            b = 2.0 * np.sum(dp * dv, axis=1)
            c = np.sum(dp * dp, axis=1) - (2 * r) ** 2
            approaching = (b < 0) & (a > 0)
            disc = b * b - 4 * a * c
            ok = approaching & (disc >= 0)
            if ok.any():
                t = np.full(len(a), np.inf)
                sq = np.sqrt(np.maximum(disc[ok], 0.0))
                t[ok] = np.maximum((-b[ok] - sq) / (2 * a[ok]), 0.0)
                k = int(np.argmin(t))
                if t[k] <= best_t:
                    best_t, best = t[k], ('ball', int(a_i[k]), int(a_j[k]))
        if len(idx):
            p, v = self.pos[idx], self.vel[idx]
            lim = self._half - r
            with np.errstate(divide='ignore', invalid='ignore'):
                wall = np.sign(v) * lim
                t = np.where(v != 0, (wall - p) / v, np.inf)
            beyond = (p - wall) * np.sign(v) > 1e-9      # already inside a pocket jaw
            t = np.where(beyond | (v == 0), np.inf, np.maximum(t, 0.0))
            for axis in (0, 1):
                hit = p + v * np.where(np.isfinite(t[:, axis]), t[:, axis], 0.0)[:, None]
                present = self._cushion_present(axis, hit)
                ta = np.where(present, t[:, axis], np.inf)
                k = int(np.argmin(ta))
                if ta[k] <= best_t:
                    best_t, best = ta[k], ('cushion', int(idx[k]), axis)
        return (best_t,) + best

    def _cushion_present(self, axis: int, hit: np.ndarray) -> np.ndarray:
        """Whether a cushion (not a pocket jaw gap) is at each Nx2 contact point."""
        hl, hw = self._half
        if axis == 0:   # end cushions at x = +-L/2
            return np.abs(hit[:, 1]) < hw - self.corner_gap
        ax = np.abs(hit[:, 0])
        return (ax > self.side_gap) & (ax < hl - self.corner_gap)

    def _collide(self, i: int, j: int) -> None:
        """Resolve a ball-ball impact.

        A lone pair takes the classic impulse with restitution along the line
        of centres. Balls in a tight group (a rack, a cluster) touch several
        others at once; resolving those contacts one pair at a time passes the
        momentum down a line like a Newton's cradle, so a group is solved with
        soft Hertz contacts over the ~0.3 ms the impact lasts instead.
        """
        n = self.pos[j] - self.pos[i]
        n /= np.linalg.norm(n)
        rel = float(np.dot(self.vel[j] - self.vel[i], n))
        if rel >= 0:
            return
        self.events.append((self.time, 'ball', i, j))
        group = self._contact_group(i, j)
        if len(group) > 2:
            self._solve_group(group)
            rel = float(np.dot(self.vel[j] - self.vel[i], n))
            if rel >= 0:
                return
            # Still closing (a pair meeting at well under a mm/s, the soft contacts barely pressed): the pair's own
            # impulse, or the same contact is found again at the same instant, thousands of times (the tracker's
            # joint prediction once spent 2.7 s of CPU in one step).
        # Equal masses: impulse J/m = (1 + e) rel / 2 along the line of centres.
        k = 0.5 * (1.0 + self.params.ball_restitution) * rel
        self.vel[i] += k * n
        self.vel[j] -= k * n

    def _contact_group(self, i: int, j: int) -> np.ndarray:
        """Ball numbers connected to the pair (i, j) through near-contacts."""
        on = np.flatnonzero(self.on_table)
        pos = self.pos[on]
        d = np.linalg.norm(pos[:, None] - pos[None], axis=2)
        near = d < 2 * self.radius + CONTACT_TOLERANCE_M
        index = {int(n): k for k, n in enumerate(on)}
        group, frontier = {index[i], index[j]}, [index[i], index[j]]
        while frontier:
            k = frontier.pop()
            for m in np.flatnonzero(near[k]):
                if int(m) not in group:
                    group.add(int(m))
                    frontier.append(int(m))
        return on[sorted(group)]

    def _solve_group(self, members: np.ndarray) -> None:
        """Hertz contacts with Hunt-Crossley damping, integrated in microsecond steps.

        The group keeps its momentum and never gains energy; any pair still
        approaching afterwards is a new event for the ordinary loop.
        """
        r2 = 2 * self.radius
        pos = self.pos[members].copy()
        vel = self.vel[members].copy()
        m = len(members)
        ii, jj = np.triu_indices(m, 1)
        energy0 = float(np.sum(vel ** 2))
        momentum0 = vel.mean(axis=0)
        # Hunt-Crossley: F = k d^1.5 (1 + 3(1-e)/2 * d_dot / v_in); v_in from first touch.
        damping = 1.5 * (1.0 - self.params.ball_restitution)
        v_in = np.zeros(len(ii))
        dt = HERTZ_STEP_S
        for _ in range(HERTZ_MAX_STEPS):
            dp = pos[jj] - pos[ii]
            dist = np.sqrt(np.sum(dp * dp, axis=1))
            overlap = r2 - dist
            touching = overlap > 0
            if not touching.any() and _ > 0:
                break
            nrm = dp / dist[:, None]
            rate = -np.sum((vel[jj] - vel[ii]) * nrm, axis=1)   # > 0 while compressing
            start = touching & (v_in == 0) & (rate > 0)
            v_in[start] = rate[start]
            v_in[~touching] = 0.0
            with np.errstate(invalid='ignore', divide='ignore'):
                scale = np.where(v_in > 0, rate / np.where(v_in > 0, v_in, 1.0), 0.0)
            force = np.where(touching, HERTZ_K * np.clip(overlap, 0, None) ** 1.5 * np.maximum(1 + damping * scale, 0),
                             0.0)
            acc = np.zeros_like(vel)
            np.add.at(acc, ii, -(force / BALL_MASS_KG)[:, None] * nrm)
            np.add.at(acc, jj, (force / BALL_MASS_KG)[:, None] * nrm)
            vel += acc * dt
            pos += vel * dt
        # Guard against integration error: same momentum, no energy gain.
        vel += momentum0 - vel.mean(axis=0)
        energy = float(np.sum(vel ** 2))
        if energy > energy0:
            rel = vel - momentum0
            base = m * float(np.sum(momentum0 ** 2))
            vel = momentum0 + rel * np.sqrt(max(energy0 - base, 0.0) / max(energy - base, 1e-18))
        # The impact lasts well under a millisecond: keep the positions (no pair overlaps
        # there) and take only the new velocities.
        self.vel[members] = vel

    def _cushion(self, n: int, axis: int) -> None:
        if self.vel[n, axis] == 0:
            return
        self.vel[n, axis] *= -self.params.cushion_restitution
        # The nose sits above the ball's equator; its friction roughly cancels the
        # spin along the normal. The ball slides until friction restores rolling.
        self.spin[n, axis] = 0.0
        self.events.append((self.time, 'cushion', n, axis))

    def _capture(self) -> None:
        """Drop balls whose centre has passed the cushion line inside a pocket mouth.

        A ball only gets past the line through a jaw gap; it may drift sideways
        by up to a quarter radius before this check runs, hence the margin. A
        ball past the line anywhere else (numerical corner case at a jaw tip)
        is put back on the line and rebounds.
        """
        hl, hw = self._half
        r = self.radius
        margin = 0.5 * r
        a = np.abs(self.pos)
        near_edge = self.on_table & ((a[:, 0] > hl - r + 1e-9) | (a[:, 1] > hw - r + 1e-9))
        for n in np.flatnonzero(near_edge):
            x, y = np.abs(self.pos[n])
            past_end, past_side = x > hl - r + 1e-9, y > hw - r + 1e-9
            corner = (past_end and y > hw - self.corner_gap - margin) or \
                (past_side and x > hl - self.corner_gap - margin)
            side = past_side and x < self.side_gap + margin
            if not (corner or side):
                self._rebound_inside(n)
                continue
            sx, sy = np.sign(self.pos[n])
            if side:
                pocket = 1 if sy > 0 else 4
            else:
                pocket = {(-1, 1): 0, (1, 1): 2, (1, -1): 3, (-1, -1): 5}[(int(sx or 1), int(sy or 1))]
            self.on_table[n] = False
            self.pocketed[n] = True
            self.pocket_of[n] = pocket
            self.vel[n] = 0.0
            self.spin[n] = 0.0
            self.pos[n] = self.pocket_drop[pocket]
            self.events.append((self.time, 'pocket', int(n), pocket))

    def _rebound_inside(self, n: int) -> None:
        lim = self._half - self.radius
        for axis in (0, 1):
            if abs(self.pos[n, axis]) > lim[axis]:
                s = np.sign(self.pos[n, axis])
                self.pos[n, axis] = s * lim[axis]
                if self.vel[n, axis] * s > 0:
                    self._cushion(n, axis)

    def _friction(self, dt: float) -> None:
        g = GRAVITY
        mu_s, mu_r = self.params.sliding_friction, self.params.rolling_resistance
        on = self.on_table
        v, w = self.vel, self.spin
        slip = v - w
        s = np.hypot(slip[:, 0], slip[:, 1])
        sliding = on & (s > 1e-9)
        settles = sliding & (s <= 3.5 * mu_s * g * dt)
        keeps = sliding & ~settles
        if settles.any():
            rolled = (5.0 * v[settles] + 2.0 * w[settles]) / 7.0
            v[settles] = rolled
            w[settles] = rolled
        if keeps.any():
            u = slip[keeps] / s[keeps, None]
            v[keeps] -= mu_s * g * dt * u
            w[keeps] += 2.5 * mu_s * g * dt * u
        rolling = on & ~sliding
        speed = np.hypot(v[:, 0], v[:, 1])
        stops = rolling & (speed <= max(mu_r * g * dt, STOP_SPEED))
        slows = rolling & ~stops & (speed > 0)
        v[stops] = 0.0
        w[stops] = 0.0
        if slows.any():
            v[slows] *= (1.0 - mu_r * g * dt / speed[slows])[:, None]
            w[slows] = v[slows]

    def _angular_velocity(self) -> np.ndarray:
        """omega [rad/s] in the table frame from the spin state (no side spin)."""
        w = self.spin / self.radius
        return np.stack([-w[:, 1], w[:, 0], np.zeros(len(w))], axis=1)

    def _rotate(self, omega: np.ndarray, dt: float) -> None:
        angle = np.linalg.norm(omega, axis=1) * dt
        idx = np.flatnonzero(angle > 1e-9)
        if len(idx) == 0:
            return
        k = omega[idx] / (angle[idx, None] / dt)
        kx = np.zeros((len(idx), 3, 3))
        kx[:, 0, 1], kx[:, 0, 2], kx[:, 1, 2] = -k[:, 2], k[:, 1], -k[:, 0]
        kx[:, 1, 0], kx[:, 2, 0], kx[:, 2, 1] = k[:, 2], -k[:, 1], k[:, 0]
        s, c = np.sin(angle[idx])[:, None, None], np.cos(angle[idx])[:, None, None]
        rot = np.eye(3)[None] + s * kx + (1 - c) * (kx @ kx)
        self.orientation[idx] = rot @ self.orientation[idx]


def _quat_to_matrix(q: np.ndarray) -> np.ndarray:
    w, x, y, z = q
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])
