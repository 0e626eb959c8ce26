# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Scripted scenarios: each is a generator that sets up balls, moves the cue and
advances the physics, yielding once per video frame.
"""
from __future__ import annotations

import math
from typing import Callable, Iterator

import numpy as np

from ..table_geometry import BALL_RADIUS_M as R
from .cue import CueState
from .physics import TablePhysics

RACK_GAP_M = 1e-4


class ScenarioContext:
    """What a scenario script may touch: physics, the cue, a seeded RNG, the clock."""

    def __init__(self, physics: TablePhysics, rng: np.random.Generator, fps: float, hand: bool = True):
        self.physics = physics
        self.rng = rng
        self.dt = 1.0 / fps
        self.cue: CueState | None = None
        self.hand = hand
        self.title = ''

    @property
    def half(self) -> np.ndarray:
        g = self.physics.geometry
        return np.array([g.length / 2, g.width / 2])

    # ----------------------------------------------------------- primitives
    def frame(self) -> Iterator[None]:
        self.physics.advance(self.dt)
        yield

    def hold(self, seconds: float) -> Iterator[None]:
        for _ in range(max(1, int(round(seconds / self.dt)))):
            yield from self.frame()

    def until_rest(self, max_seconds: float = 25.0, then: float = 0.7) -> Iterator[None]:
        for _ in range(int(max_seconds / self.dt)):
            if self.physics.at_rest():
                break
            yield from self.frame()
        yield from self.hold(then)

    def free_spot(self, margin: float = 0.08, tries: int = 500) -> np.ndarray:
        """A random table position at least a ball away from every ball in play."""
        lim = self.half - R - margin
        p = self.physics
        for _ in range(tries):
            xy = self.rng.uniform(-lim, lim)
            others = p.pos[p.on_table]
            if len(others) == 0 or np.min(np.linalg.norm(others - xy, axis=1)) > 2 * R + 0.01:
                return xy
        raise RuntimeError('no free spot on the table')

    # ----------------------------------------------------------------- shot
    def shoot(self, direction, speed: float, follow: float = 0.0, aim_seconds: float = 1.2,
              sweep_deg: float = 0.0) -> Iterator[None]:
        """Cue approaches the cue ball, aims, strokes, strikes at `speed` m/s, withdraws."""
        d = np.asarray(direction, float)
        d = d / np.linalg.norm(d)
        ball = self.physics.pos[0].copy()
        base = math.atan2(d[1], d[0])
        side = 1.0 if self.rng.random() < 0.5 else -1.0
        bridge = ball - d * (R + 0.22) if self.hand else None

        def place(gap: float, angle: float, bridge_xy=bridge) -> None:
            u = np.array([math.cos(angle), math.sin(angle)])
            self.cue = CueState(ball - u * (R + gap), u, 4.0 + min(speed, 12.0) * 0.3,
                                None if bridge_xy is None else ball - u * (R + 0.22), side)

        # Approach: slide in from far away while turning onto the line.
        n_in = int(0.7 / self.dt)
        for k in range(n_in):
            f = (k + 1) / n_in
            ease = 1 - (1 - f) ** 2
            place(0.6 - 0.5 * ease, base + math.radians(18 * side) * (1 - ease))
            yield from self.frame()
        # Aim: practice strokes, optionally sweeping the angle between candidate lines.
        n_aim = max(1, int(aim_seconds / self.dt))
        for k in range(n_aim):
            t = k * self.dt
            sweep = math.radians(sweep_deg) * math.sin(2 * math.pi * t / max(aim_seconds, 0.5)) * (1 - k / n_aim)
            place(0.09 + 0.05 * math.sin(2 * math.pi * t / 0.8), base + sweep)
            yield from self.frame()
        # Back swing, then the stroke: the tip covers the gap at about the cue speed.
        for k in range(int(0.35 / self.dt)):
            place(0.09 + 0.13 * (k + 1) * self.dt / 0.35, base)
            yield from self.frame()
        gap, cue_speed = 0.22, max(speed / 1.35, 0.5)
        while gap > 0:
            gap -= cue_speed * self.dt
            place(max(gap, 0.0), base)
            if gap <= 0:
                self.physics.strike(0, d * speed, follow)
            yield from self.frame()
        # Follow-through and withdrawal, while the balls run.
        through = min(0.12, 0.02 + speed * 0.01)
        n_out = int(1.0 / self.dt)
        for k in range(n_out):
            f = (k + 1) / n_out
            s = -through * min(1.0, 4 * f) + 0.8 * max(0.0, f - 0.4) ** 2 * 2
            place(s, base, bridge if f < 0.5 else None)
            if f > 0.85:
                self.cue = None
            yield from self.frame()
        self.cue = None


# --------------------------------------------------------------- layouts
def rack_positions(apex_xy, rng: np.random.Generator) -> dict[int, np.ndarray]:
    """Eight-ball rack: 1 at the apex, 8 in the middle, a solid and a stripe in the back corners."""
    spots = []
    for row in range(5):
        for c in range(row + 1):
            x = apex_xy[0] + row * math.sqrt(3) * (R + RACK_GAP_M / 2)
            y = apex_xy[1] + (c - row / 2) * (2 * R + RACK_GAP_M)
            spots.append(np.array([x, y]))
    solids = [2, 3, 4, 5, 6, 7]
    stripes = [9, 10, 11, 12, 13, 14, 15]
    rng.shuffle(solids)
    rng.shuffle(stripes)
    order = {0: 1, 4: 8, 10: solids.pop(), 14: stripes.pop()}
    rest = solids + stripes
    rng.shuffle(rest)
    for k in range(15):
        if k not in order:
            order[k] = rest.pop()
    return {order[k]: spots[k] for k in range(15)}


def _setup_rack(ctx: ScenarioContext) -> None:
    p = ctx.physics
    p.clear()
    for n, xy in rack_positions((p.geometry.length / 4, 0.0), ctx.rng).items():
        p.place(n, xy, ctx.rng)
    # Cue ball behind the head string, beside the head spot (its marker dot stays visible).
    side = 1.0 if ctx.rng.random() < 0.5 else -1.0
    p.place(0, (-p.geometry.length / 4 - ctx.rng.uniform(0.0, 0.1), side * ctx.rng.uniform(0.06, 0.25)), ctx.rng)


# -------------------------------------------------------------- scenarios
def empty(ctx: ScenarioContext) -> Iterator[None]:
    ctx.title = 'empty'
    ctx.physics.clear()
    ctx.cue = None
    yield from ctx.hold(3.0)


def rack(ctx: ScenarioContext) -> Iterator[None]:
    ctx.title = 'rack'
    _setup_rack(ctx)
    yield from ctx.hold(4.0)


def break_shot(ctx: ScenarioContext) -> Iterator[None]:
    ctx.title = 'break'
    _setup_rack(ctx)
    p = ctx.physics
    yield from ctx.hold(0.5)
    apex = p.pos[1] + np.array([0.0, ctx.rng.uniform(-0.3, 0.3) * R])
    yield from ctx.shoot(apex - p.pos[0], 12.0, follow=0.0, aim_seconds=1.0)
    yield from ctx.until_rest()


def single_shot_layout(ctx: ScenarioContext) -> tuple[int, int, np.ndarray, float]:
    """Cue ball, one object ball and a pocket so that the shot pots it.

    Returns (object number, pocket index, aim direction, speed).
    """
    p = ctx.physics
    g = p.geometry
    pockets = g.pockets()
    for _ in range(200):
        k = int(ctx.rng.integers(0, 6))
        kind, mouth = pockets[k]
        if kind == 'corner':
            inward = -np.sign(mouth) / math.sqrt(2)
            spread = 12.0
            target = mouth.copy()
        else:
            inward = np.array([0.0, -np.sign(mouth[1])])
            spread = 20.0
            target = mouth + np.array([0.0, np.sign(mouth[1]) * 0.02])
        a = math.atan2(inward[1], inward[0]) + math.radians(ctx.rng.uniform(-spread, spread))
        line = np.array([math.cos(a), math.sin(a)])
        obj = target + line * ctx.rng.uniform(0.35, 0.9)
        to_pocket = (target - obj) / np.linalg.norm(target - obj)
        ghost = obj - to_pocket * 2 * R
        cut = math.radians(ctx.rng.uniform(-25, 25))
        back = -np.array([math.cos(cut) * to_pocket[0] - math.sin(cut) * to_pocket[1],
                          math.sin(cut) * to_pocket[0] + math.cos(cut) * to_pocket[1]])
        cue = ghost + back * ctx.rng.uniform(0.3, 0.7)
        lim = ctx.half - R - 0.03
        if np.all(np.abs(obj) < lim) and np.all(np.abs(cue) < lim):
            number = int(ctx.rng.integers(1, 16))
            p.clear()
            p.place(number, obj, ctx.rng)
            p.place(0, cue, ctx.rng)
            aim = (ghost - cue) / np.linalg.norm(ghost - cue)
            dist = np.linalg.norm(target - obj) + np.linalg.norm(ghost - cue)
            return number, k, aim, float(np.clip(1.2 + 1.4 * dist, 1.5, 3.5))
    raise RuntimeError('could not lay out a single shot')


def single_shot(ctx: ScenarioContext) -> Iterator[None]:
    ctx.title = 'single_shot'
    _, _, aim, speed = single_shot_layout(ctx)
    yield from ctx.hold(0.5)
    yield from ctx.shoot(aim, speed, follow=0.3)
    yield from ctx.until_rest()


def cluster(ctx: ScenarioContext) -> Iterator[None]:
    ctx.title = 'cluster'
    p = ctx.physics
    p.clear()
    numbers = list(range(1, 16))
    ctx.rng.shuffle(numbers)
    lim = ctx.half - 0.25
    for size in (2, 3, 4):
        for _ in range(100):
            centre = ctx.rng.uniform(-lim, lim)
            others = p.pos[p.on_table]
            if len(others) == 0 or np.min(np.linalg.norm(others - centre, axis=1)) > 0.3:
                break
        pos = [centre]
        while len(pos) < size:
            base = pos[int(ctx.rng.integers(0, len(pos)))]
            a = ctx.rng.uniform(0, 2 * math.pi)
            cand = base + (2 * R + RACK_GAP_M) * np.array([math.cos(a), math.sin(a)])
            if all(np.linalg.norm(cand - q) >= 2 * R for q in pos):
                pos.append(cand)
        for xy in pos:
            p.place(numbers.pop(), xy, ctx.rng)
    p.place(0, ctx.free_spot(), ctx.rng)
    yield from ctx.hold(3.0)
    target = p.pos[np.flatnonzero(p.on_table[1:])[0] + 1]
    yield from ctx.shoot(target - p.pos[0], 1.5)
    yield from ctx.until_rest()


def cue_aiming(ctx: ScenarioContext) -> Iterator[None]:
    ctx.title = 'cue_aiming'
    p = ctx.physics
    p.clear()
    for n in ctx.rng.choice(np.arange(1, 16), 4, replace=False):
        p.place(int(n), ctx.free_spot(0.15), ctx.rng)
    p.place(0, ctx.free_spot(0.2), ctx.rng)
    yield from ctx.hold(0.5)
    target = p.pos[np.flatnonzero(p.on_table[1:])[0] + 1]
    yield from ctx.shoot(target - p.pos[0], 1.2, aim_seconds=3.5, sweep_deg=25.0)
    yield from ctx.until_rest()


def random_play(ctx: ScenarioContext) -> Iterator[None]:
    ctx.title = 'random'
    p = ctx.physics
    p.clear()
    count = int(ctx.rng.integers(3, 13))
    for n in ctx.rng.choice(np.arange(1, 16), count, replace=False):
        p.place(int(n), ctx.free_spot(), ctx.rng)
    p.place(0, ctx.free_spot(), ctx.rng)
    yield from ctx.hold(0.5)
    for _ in range(3):
        if not p.on_table[0]:
            p.place(0, ctx.free_spot(), ctx.rng)   # ball in hand after a scratch
        balls = np.flatnonzero(p.on_table[1:]) + 1
        if len(balls) == 0:
            break
        target = p.pos[int(ctx.rng.choice(balls))]
        d = target - p.pos[0]
        a = math.atan2(d[1], d[0]) + math.radians(ctx.rng.uniform(-3, 3))
        yield from ctx.shoot((math.cos(a), math.sin(a)), float(ctx.rng.uniform(1.5, 5.0)),
                             follow=float(ctx.rng.uniform(-0.5, 0.8)))
        yield from ctx.until_rest(then=0.5)


def spread(ctx: ScenarioContext) -> Iterator[None]:
    """All sixteen balls apart from each other at rest, each turned at random (stripes band-up,
    band across, number circle up), laid out afresh three times, a second each: the owner's test captures."""
    ctx.title = 'spread'
    ctx.cue = None
    p = ctx.physics
    for _ in range(3):
        p.clear()
        for n in ctx.rng.permutation(16):
            p.place(int(n), ctx.free_spot(0.1), ctx.rng)
        yield from ctx.hold(1.0)


def demo(ctx: ScenarioContext) -> Iterator[None]:
    for name in ('empty', 'rack', 'break', 'single_shot', 'cluster', 'cue_aiming', 'random', 'spread'):
        yield from SCENARIOS[name](ctx)


SCENARIOS: dict[str, Callable[[ScenarioContext], Iterator[None]]] = {
    'empty': empty,
    'rack': rack,
    'break': break_shot,
    'single_shot': single_shot,
    'cluster': cluster,
    'cue_aiming': cue_aiming,
    'random': random_play,
    'spread': spread,
    'demo': demo,
}
