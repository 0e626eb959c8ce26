# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""The cue ball's first contact in closed form (tracking/first_contact.py) against the simulator."""
import math

import numpy as np
import pytest

from billiards_vision.sim.physics import TablePhysics
from billiards_vision.table_geometry import BALL_RADIUS_M, TableGeometry
from billiards_vision.tracking import predict_shot
from billiards_vision.tracking.first_contact import first_contacts


def _simulated(geometry, cue, balls, direction, speed, follow, horizon=4.0):
    """(first ball index into balls or -1, cushions before it, ghost ball, pocket) from sim/physics.py."""
    phys = TablePhysics(geometry)
    for k, xy in enumerate([cue] + list(balls)):
        phys.place(k, xy)
    phys.strike(0, speed * np.asarray(direction), follow)
    cushions, t = 0, 0.0
    while t < horizon and not phys.at_rest():
        phys.advance(0.005)
        t += 0.005
        for _, kind, i, j in phys.events:
            if kind == 'ball' and 0 in (i, j):
                first = j if i == 0 else i
                u = phys.vel[first] / np.linalg.norm(phys.vel[first])   # impulse along the line of centres
                return first - 1, cushions, balls[first - 1] - 2 * BALL_RADIUS_M * u, -1
            if kind == 'pocket' and i == 0:
                return -1, cushions, None, j
            cushions += kind == 'cushion' and i == 0
        phys.events.clear()
    return -1, cushions, None, -1


def test_closed_form_first_contact_matches_the_simulator():
    # Random layouts and strokes with up to several cushions, follow and draw: the same first ball
    # (or scratch pocket), the same cushions before it, the same ghost ball to the simulator's step.
    rng = np.random.default_rng(3)
    geometry = TableGeometry.from_preset('9ft')
    lim = np.array([geometry.length, geometry.width]) / 2 - BALL_RADIUS_M - 0.02
    same, ghost_err, cushioned, n = 0, [], 0, 40
    for _ in range(n):
        pts = []
        while len(pts) < 6:
            p = rng.uniform(-lim, lim)
            if all(np.linalg.norm(p - q) > 3 * BALL_RADIUS_M for q in pts):
                pts.append(p)
        cue, balls = pts[0], np.array(pts[1:])
        a = rng.uniform(-math.pi, math.pi)
        direction = np.array([math.cos(a), math.sin(a)])
        speed, follow = rng.uniform(1.0, 4.0), rng.uniform(-0.5, 0.8)
        hit = first_contacts(TablePhysics(geometry), cue, balls, direction[None], [speed], [follow])
        first, cushions, ghost, pocket = _simulated(geometry, cue, balls, direction, speed, follow)
        ok = hit.first[0] == first and hit.cushions[0] == cushions and hit.pocket[0] == pocket
        same += ok
        cushioned += cushions > 0
        if ok and first >= 0:
            ghost_err.append(np.linalg.norm(hit.pos[0] - ghost))
            path = hit.path(0)
            assert np.allclose(path[0], cue) and np.allclose(path[-1], hit.pos[0])
    assert same >= n - 1
    assert cushioned >= 10          # the cases that need the bent slide after a cushion
    assert np.median(ghost_err) < 0.002 and max(ghost_err) < 0.01


def test_many_strokes_at_once_equal_one_at_a_time():
    geometry = TableGeometry.from_preset('9ft')
    physics = TablePhysics(geometry)
    cue, balls = np.array([0.9, 0.36]), np.array([[0.41, 0.53], [1.03, 0.29], [0.87, -0.29], [-0.5, 0.0]])
    angles = np.radians(np.linspace(150, 210, 13))
    dirs = np.stack([np.cos(angles), np.sin(angles)], 1)
    speeds, follows = np.linspace(1.5, 4, 13), np.linspace(-0.3, 0.5, 13)
    batch = first_contacts(physics, cue, balls, dirs, speeds, follows)
    for k in range(len(angles)):
        one = first_contacts(physics, cue, balls, dirs[k:k + 1], speeds[k:k + 1], follows[k:k + 1])
        assert one.first[0] == batch.first[k] and one.cushions[0] == batch.cushions[k]
        assert one.pos[0] == pytest.approx(batch.pos[k], abs=1e-6)
    assert len(set(batch.first.tolist())) >= 2


def test_scratch_without_a_ball_is_pocketed():
    geometry = TableGeometry()
    half = np.array([geometry.length, geometry.width]) / 2
    pred = predict_shot([(0, half - 0.3), (5, (-0.5, -0.2))], 0, math.atan2(1, 1), geometry)
    assert pred['first_contact_id'] == -1
    (cue_path,) = pred['paths']
    assert cue_path['pocketed'] and cue_path['pocket'] == 2
