# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Shot prediction against the simulator: seeded straight and one-cushion shots. No ROS.

Each shot: a cue ball and 3-8 object balls at random free spots of a 9 ft table. Straight
shots aim at an object ball with a random cut (the aim line passes within 0.9 ball diameters
of its centre); one-cushion shots aim at the mirror image of an object ball in a cushion.
The truth is the simulator (sim/physics.py) with the true speed (1.5-4 m/s) and a random
follow/draw (-0.3..0.5); a shot counts as straight / one-cushion when the true cue ball
touched 0 / 1 cushions before its first ball. The prediction sees what a tracker and the
cue detector give: positions with 2 mm noise, the cue angle with 0.2 deg noise, no speed
nor spin (tracking/prediction.py votes the first ball over 1.5-4 m/s, follow/draw and the aim's
noise, and draws the most typical of the strokes along the cue that hit it). Scores: first
ball hit right, and the largest distance of the true cue-ball path (up to first contact) from
the predicted one. A shot is counted as
ambiguous, not dropped, when the true first ball changes as the aim turns by the cue-angle
noise (+-0.2 deg) or the cue ball moves sideways by the position noise (+-2 mm): no
prediction from these inputs can be sure of it.

    python -m billiards_vision.evaluation.shot_prediction --seed 0 [--nominal-only]
"""
from __future__ import annotations

import argparse
import json
import math

import numpy as np

from ..sim.physics import TablePhysics
from ..table_geometry import BALL_RADIUS_M, TableGeometry
from ..tracking.prediction import predict_shot

ANGLE_NOISE_DEG = 0.2     # the cue angle the prediction sees is off by this much (1 sigma)
POSITION_NOISE_M = 0.002  # ... and each ball position by this much per axis


def _layout(rng, geometry, n_objects):
    lim = np.array([geometry.length, geometry.width]) / 2 - BALL_RADIUS_M - 0.03
    pts = []
    while len(pts) < n_objects + 1:
        p = rng.uniform(-lim, lim)
        if all(np.linalg.norm(p - q) > 2.5 * BALL_RADIUS_M for q in pts):
            pts.append(p)
    return pts


def _truth(geometry, pts, angle, speed, follow):
    phys = TablePhysics(geometry)
    for k, p in enumerate(pts):
        phys.place(k, p)
    phys.strike(0, speed * np.array([math.cos(angle), math.sin(angle)]), follow)
    path, first, cushions = [pts[0].copy()], -1, 0
    t = 0.0
    while t < 6.0 and not phys.at_rest() and first < 0:
        phys.advance(0.005)
        t += 0.005
        for _, kind, i, j in phys.events:
            if kind == 'cushion' and i == 0 and first < 0:
                cushions += 1
            if kind == 'ball' and 0 in (i, j):
                first = j if i == 0 else i
                break
        phys.events.clear()
        path.append(phys.pos[0].copy())
    return first, cushions, np.array(path)


def _distance_to_polyline(points, line):
    line = np.asarray(line, float)
    if len(line) < 2:
        return np.linalg.norm(points - line[0], axis=1)
    a, b = line[:-1], line[1:]
    ab = b - a
    t = np.clip(np.einsum('pkd,kd->pk', points[:, None] - a[None], ab) / np.maximum(np.sum(ab * ab, 1), 1e-12),
                0, 1)
    closest = a[None] + t[..., None] * ab[None]
    return np.min(np.linalg.norm(points[:, None] - closest, axis=2), axis=1)


def _predicted_cue_path(pred):
    pts = np.asarray(pred['paths'][0]['points'], float)
    if pred['first_contact'] is None:
        return pts
    contact = np.asarray(pred['first_contact'])
    # Up to the ghost-ball point: the path sample nearest to it, then the point itself.
    k = int(np.argmin(np.linalg.norm(pts - contact, axis=1)))
    return np.vstack([pts[:k + 1], contact])


def _ambiguous(geometry, pts, angle, speed, follow, first) -> bool:
    """Whether the true first ball changes within the noise the prediction is given: the aim turned
    by +-ANGLE_NOISE_DEG or the cue ball moved sideways by +-POSITION_NOISE_M."""
    side = np.array([-math.sin(angle), math.cos(angle)]) * POSITION_NOISE_M
    for turn, shift in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        moved = [pts[0] + shift * side] + list(pts[1:])
        if _truth(geometry, moved, angle + math.radians(turn * ANGLE_NOISE_DEG), speed, follow)[0] != first:
            return True
    return False


def score_shots(n_per_kind: int = 50, seed: int = 0, table_size: str = '9ft',
                speed_range: tuple | None = (1.5, 4.0)) -> dict:
    """speed_range: passed to predict_shot (None: the nominal centre hit alone decides the first ball)."""
    rng = np.random.default_rng(seed)
    geometry = TableGeometry.from_preset(table_size)
    lim = np.array([geometry.length, geometry.width]) / 2 - BALL_RADIUS_M
    done = {'straight': [], 'one_cushion': []}
    tries = 0
    while min(len(v) for v in done.values()) < n_per_kind and tries < 50 * n_per_kind:
        tries += 1
        kind = 'straight' if len(done['straight']) < n_per_kind else 'one_cushion'
        if len(done['straight']) < n_per_kind and len(done['one_cushion']) < n_per_kind:
            kind = ('straight', 'one_cushion')[tries % 2]
        pts = _layout(rng, geometry, int(rng.integers(3, 9)))
        target = pts[int(rng.integers(1, len(pts)))].copy()
        if kind == 'one_cushion':
            axis = int(rng.integers(0, 2))
            side = 1.0 if rng.random() < 0.5 else -1.0
            target[axis] = 2 * side * lim[axis] - target[axis]
        d = target - pts[0]
        normal = np.array([-d[1], d[0]]) / np.linalg.norm(d)
        aim = target + normal * rng.uniform(-0.9, 0.9) * 2 * BALL_RADIUS_M
        angle = math.atan2(*(aim - pts[0])[::-1])
        speed, follow = rng.uniform(1.5, 4.0), rng.uniform(-0.3, 0.5)
        first, cushions, true_path = _truth(geometry, pts, angle, speed, follow)
        if first < 0 or cushions != (0 if kind == 'straight' else 1):
            continue
        seen = [(k, p + rng.normal(0, POSITION_NOISE_M, 2)) for k, p in enumerate(pts)]
        seen_angle = angle + math.radians(rng.normal(0, ANGLE_NOISE_DEG))
        pred = predict_shot(seen, 0, seen_angle, geometry, speed_range=speed_range)
        dev = float(np.max(_distance_to_polyline(true_path, _predicted_cue_path(pred))))
        ambiguous = _ambiguous(geometry, pts, angle, speed, follow, first)
        done[kind].append({'first_right': pred['first_contact_id'] == first, 'path_deviation_m': dev,
                           'ambiguous': ambiguous})
    out = {kind: _summary(shots) for kind, shots in done.items()}
    out['all'] = _summary([s for v in done.values() for s in v])
    return out


def _summary(shots: list) -> dict:
    devs = np.array([s['path_deviation_m'] for s in shots])
    clear = [s for s in shots if not s['ambiguous']]
    return {'n': len(shots), 'first_ball_right': float(np.mean([s['first_right'] for s in shots])),
            'path_deviation_median_m': float(np.median(devs)), 'path_deviation_max_m': float(devs.max()),
            'within_one_diameter': float(np.mean(devs <= 2 * BALL_RADIUS_M)),
            'ambiguous': len(shots) - len(clear), 'wrong_and_ambiguous': sum(not s['first_right'] for s in shots
                                                                             if s['ambiguous']),
            'first_ball_right_unambiguous': float(np.mean([s['first_right'] for s in clear])) if clear else None}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--n-per-kind', type=int, default=50)
    parser.add_argument('--nominal-only', action='store_true',
                        help='the first ball from the nominal centre hit alone (no vote over strokes)')
    args = parser.parse_args(argv)
    scores = score_shots(args.n_per_kind, args.seed, speed_range=None if args.nominal_only else (1.5, 4.0))
    print(json.dumps(scores, indent=1))


if __name__ == '__main__':
    main()
