# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Kalman filter of one ball in the `table` frame (metres, seconds). No ROS.

State [x, y, vx, vy]. The prediction uses the time between the two header stamps
(any detection rate), slows a moving ball by the cloth's rolling resistance (the
simulator's physics, so a coasting ball stops where a real one does), or by its
sliding friction while a ball struck from rest still slides (`stun`), and reflects
it off a cushion line unless it crosses inside a pocket mouth; the normal speed
loses the cushion restitution as in sim/physics.py.
"""
from __future__ import annotations

import numpy as np

from ..sim.physics import GRAVITY, PhysicsParams
from ..table_geometry import BALL_RADIUS_M, CORNER_POCKET_MOUTH_M, SIDE_POCKET_MOUTH_M, TableGeometry

_PHYS = PhysicsParams()
ROLLING_DECELERATION = _PHYS.rolling_resistance * GRAVITY    # [m/s^2]
SLIDING_DECELERATION = _PHYS.sliding_friction * GRAVITY      # [m/s^2] while the cloth rubs a ball not yet rolling
CUSHION_RESTITUTION = _PHYS.cushion_restitution


class Cushions:
    """Cushion lines of the playing surface and the pocket gaps in them (as in sim/physics.py)."""

    def __init__(self, geometry: TableGeometry):
        self.geometry = geometry
        self.half = np.array([geometry.length / 2.0, geometry.width / 2.0])
        self.limit = self.half - BALL_RADIUS_M           # centre line of a ball touching a cushion
        self.corner_gap = CORNER_POCKET_MOUTH_M / np.sqrt(2.0)
        self.side_gap = SIDE_POCKET_MOUTH_M / 2.0
        self.pockets = np.array([xy for _, xy in geometry.pockets()])

    def present(self, axis: int, point) -> bool:
        """A cushion (not a pocket mouth) at a contact point on the `axis` cushion line (as in sim/physics.py)."""
        hl, hw = self.half
        if axis == 0:
            return abs(point[1]) < hw - self.corner_gap
        ax = abs(point[0])
        return self.side_gap < ax < hl - self.corner_gap

    def nearest_pocket(self, point) -> tuple[int, float]:
        d = np.linalg.norm(self.pockets - np.asarray(point)[None], axis=1)
        k = int(np.argmin(d))
        return k, float(d[k])

    def pocket_through(self, point) -> int:
        """Pocket index when a centre at `point` is past a cushion line inside a mouth, else -1."""
        p = np.abs(np.asarray(point, float))
        past = p > self.limit + 1e-9
        if not past.any():
            return -1
        if (past[0] and self.present(0, point)) or (past[1] and self.present(1, point)):
            return -1
        return self.nearest_pocket(point)[0]


def drift(pos, vel, dt: float, cushions: Cushions | None, decel: float = ROLLING_DECELERATION):
    """Position and velocity after dt of rolling, with cushion reflections.

    Returns (pos, vel, bounced axes list, pocket index or -1 when it went through a mouth).
    """
    pos, vel = np.array(pos, float), np.array(vel, float)
    speed = float(np.hypot(*vel))
    if speed <= 0 or dt <= 0:
        return pos, vel, [], -1
    t_stop = speed / decel if decel > 0 else np.inf
    run = min(dt, t_stop)
    # Distance covered with constant deceleration, travelled along straight legs between cushions.
    dist = speed * run - 0.5 * decel * run * run
    new_speed = max(speed - decel * run, 0.0)
    u = vel / speed
    bounced, pocket = [], -1
    for _ in range(8):
        if cushions is None or dist <= 0:
            break
        lim = cushions.limit
        with np.errstate(divide='ignore', invalid='ignore'):
            t = np.where(u != 0, (np.sign(u) * lim - pos) / u, np.inf)
        t = np.where(t < 0, np.inf, t)   # already past a line (inside a mouth): no reflection there
        axis = int(np.argmin(t))
        if t[axis] >= dist:
            break
        hit = pos + u * t[axis]
        if not cushions.present(axis, hit):
            pocket = cushions.nearest_pocket(hit)[0]
            break
        pos = hit
        dist -= t[axis]
        u[axis] = -u[axis] * CUSHION_RESTITUTION
        n = np.hypot(*u)
        new_speed *= n
        dist *= n
        u /= n
        bounced.append(axis)
    pos = pos + u * max(dist, 0.0)
    return pos, u * new_speed, bounced, pocket


class BallFilter:
    """Constant-velocity Kalman filter with rolling slow-down and cushion reflections."""

    def __init__(self, xy, sigma_pos: float, sigma_vel: float = 0.5):
        self.x = np.array([xy[0], xy[1], 0.0, 0.0])
        self.P = np.diag([sigma_pos ** 2, sigma_pos ** 2, sigma_vel ** 2, sigma_vel ** 2])
        self.slide_left = 0.0    # time the ball still slides before it rolls [s]

    @property
    def pos(self) -> np.ndarray:
        return self.x[:2]

    @property
    def vel(self) -> np.ndarray:
        return self.x[2:]

    @property
    def speed(self) -> float:
        return float(np.hypot(self.x[2], self.x[3]))

    def predicted(self, dt: float, cushions: Cushions | None):
        slide = min(dt, self.slide_left)
        if slide <= 0:
            return drift(self.x[:2], self.x[2:], dt, cushions)
        pos, vel, bounced, pocket = drift(self.x[:2], self.x[2:], slide, cushions, SLIDING_DECELERATION)
        if dt > slide and pocket < 0:
            pos, vel, more, pocket = drift(pos, vel, dt - slide, cushions)
            bounced = bounced + more
        return pos, vel, bounced, pocket

    def slide(self, slip: float, elapsed: float = 0.0) -> None:
        """The ball's contact point rubbed the cloth at `slip` [m/s] `elapsed` [s] ago: slip dies at 7/2 of the
        sliding deceleration (sim/physics.py), and then the ball rolls."""
        self.slide_left = max(slip / (3.5 * SLIDING_DECELERATION) - elapsed, 0.0)

    def stun(self, elapsed: float) -> None:
        """The ball was struck from rest `elapsed` [s] ago without spin: it slides until it has lost 2/7 of its
        speed (the cloth spins it up), slowing by SLIDING_DECELERATION, then rolls."""
        self.slide(self.speed + SLIDING_DECELERATION * elapsed, elapsed)

    def spin(self) -> np.ndarray:
        """The spin state of sim/physics.py (the velocity the ball would roll at) that leaves slide_left [s]."""
        speed = self.speed
        if speed <= 0:
            return np.zeros(2)
        rolling = max(speed - 3.5 * SLIDING_DECELERATION * self.slide_left, 0.0)
        return self.x[2:] * (rolling / speed)

    def predict(self, dt: float, accel_sigma: float, cushions: Cushions | None):
        """Advance by dt; returns (bounced axes, pocket index or -1)."""
        if dt <= 0:
            return [], -1
        pos, vel, bounced, pocket = self.predicted(dt, cushions)
        F = np.eye(4)
        F[0, 2] = F[1, 3] = dt
        for axis in bounced:
            # A reflection mirrors that axis: the position past the cushion and the velocity change sign with
            # everything they came from (without the position row, an error along the bounced axis corrected the
            # velocity the wrong way - metres per second after a corner at 10 Hz).
            F[axis, :] *= -1.0
            F[2 + axis, :] *= -CUSHION_RESTITUTION
        self.slide_left = max(self.slide_left - dt, 0.0)
        q = accel_sigma ** 2
        G = np.array([[dt * dt / 2, 0], [0, dt * dt / 2], [dt, 0], [0, dt]])
        self.P = F @ self.P @ F.T + q * G @ G.T
        self.x = np.concatenate([pos, vel])
        return bounced, pocket

    def innovation(self, z, sigma_meas: float):
        """(residual, its covariance S) of a position measurement."""
        r = np.asarray(z, float) - self.x[:2]
        S = self.P[:2, :2] + np.eye(2) * sigma_meas ** 2
        return r, S

    def update(self, z, sigma_meas: float) -> float:
        """Fuse a position measurement; returns the normalised innovation squared."""
        r, S = self.innovation(z, sigma_meas)
        Sinv = np.linalg.inv(S)
        nis = float(r @ Sinv @ r)
        K = self.P[:, :2] @ Sinv
        self.x = self.x + K @ r
        self.P = (np.eye(4) - K[:, :2] @ np.eye(2, 4)) @ self.P
        self.P = 0.5 * (self.P + self.P.T)
        return nis

    def restart(self, z, velocity, sigma_pos: float, sigma_vel: float, sigma_across: float | None = None) -> None:
        """Re-initialise after a manoeuvre (strike, collision): position measured, velocity from the jump.
        `sigma_across`: the velocity's uncertainty across its direction, when that is known better than its size."""
        self.x = np.array([z[0], z[1], velocity[0], velocity[1]], float)
        self.P = np.diag([sigma_pos ** 2, sigma_pos ** 2, sigma_vel ** 2, sigma_vel ** 2])
        self.slide_left = 0.0
        speed = float(np.hypot(velocity[0], velocity[1]))
        if sigma_across is not None and speed > 1e-9:
            u = np.array([velocity[0], velocity[1]]) / speed
            n = np.array([-u[1], u[0]])
            self.P[2:, 2:] = sigma_vel ** 2 * np.outer(u, u) + sigma_across ** 2 * np.outer(n, n)
