# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""The ball search's shortcuts give bit for bit the balls of the straightforward computation.

Each shortcut (written-out gradient norm, condition test by a bound, Gauss-Newton and
outlier loops without gathers or repeated identical fits, the opening in the
foreground's box, pair distances without a 3-D temporary, typing skipped when every
ball's type is known, the node's frame without copies) is replaced here by the code
it stands for, and the detector's output must not change in any digit.
"""
import cv2
import numpy as np
import pytest

from billiards_vision.detection import balls as balls_mod
from billiards_vision.detection import classify, outline
from billiards_vision.detection.balls import BallDetection, detect_balls
from billiards_vision.detection.incremental import IncrementalBallDetector, IncrementalParams
from billiards_vision.detection.params import BallParams, TableParams
from billiards_vision.detection.table import detect_table
from billiards_vision.sim import SyntheticTable


# ---- the code the shortcuts stand for ------------------------------------------------------------

def _edge_strength(samp):
    return np.linalg.norm(np.gradient(samp, axis=2), axis=3)


def _ill_conditioned(m):
    return np.linalg.cond(m) > 1e8


def _fit_fixed_radius(px, py, w, cx, cy, r, iters=6):
    cx, cy = cx.copy(), cy.copy()
    active = np.ones(len(cx), bool)
    for _ in range(iters):
        idx = np.flatnonzero(active)
        if len(idx) == 0:
            break
        dx, dy = cx[idx, None] - px[idx], cy[idx, None] - py[idx]
        dist = np.hypot(dx, dy) + 1e-9
        wi = w[idx]
        res = (dist - r[idx, None]) * wi
        jx, jy = dx / dist * wi, dy / dist * wi
        axx, axy, ayy = (jx * jx).sum(1), (jx * jy).sum(1), (jy * jy).sum(1)
        det = axx * ayy - axy * axy
        ok = np.abs(det) >= 1e-9
        active[idx[~ok]] = False
        idx, axx, axy, ayy, det = idx[ok], axx[ok], axy[ok], ayy[ok], det[ok]
        bx, by = (jx[ok] * res[ok]).sum(1), (jy[ok] * res[ok]).sum(1)
        sx, sy = (ayy * bx - axy * by) / det, (axx * by - axy * bx) / det
        cx[idx] -= sx
        cy[idx] -= sy
        active[idx[np.hypot(sx, sy) < 1e-3]] = False
    return cx, cy


def _fit_pass(radius, strength, cx, cy, r_pred, thr, fixed_r, shadow):
    n = len(cx)
    out = np.zeros((n, 5))
    good = strength > thr[:, None]
    tol = 2.5 * np.maximum(0.75, 0.08 * r_pred)
    few = good.sum(axis=1) < outline.MIN_RAYS
    out[few] = np.column_stack([cx, cy, r_pred, good.mean(axis=1), np.full(n, np.inf)])[few]
    idx = np.flatnonzero(~few)
    if len(idx) == 0:
        return out
    good, tol, rp = good[idx], tol[idx, None], r_pred[idx]
    px = cx[idx, None] + radius[idx] * outline._COS
    py = cy[idx, None] + radius[idx] * outline._SIN
    fx, fy = cx[idx].copy(), cy[idx].copy()
    if fixed_r is None:
        base, fr = good, rp.copy()
    else:
        fr = fixed_r * rp
        lit_good = good & ~shadow
        base = np.where((lit_good.sum(axis=1) >= outline.MIN_RAYS)[:, None], lit_good, good)
    w = base.astype(np.float64)
    active = np.ones(len(idx), bool)
    for _ in range(3):
        a = np.flatnonzero(active)
        if len(a) == 0:
            break
        if fixed_r is None:
            fx[a], fy[a], fr[a] = outline.fit_circles(px[a], py[a], w[a], cx[idx[a]], cy[idx[a]])
        else:
            fx[a], fy[a] = outline.fit_fixed_radius(px[a], py[a], w[a], fx[a], fy[a], fr[a])
        res = np.abs(np.hypot(px[a] - fx[a, None], py[a] - fy[a, None]) - fr[a, None])
        w[a] = base[a] & (res < tol[a])
        active[a[w[a].sum(axis=1) < outline.MIN_RAYS]] = False
    res = np.abs(np.hypot(px - fx[:, None], py - fy[:, None]) - fr[:, None])
    inl = good & (res < tol)
    lit = ~shadow if fixed_r is not None and (~shadow).any() else np.ones(outline.N_RAYS, bool)
    support = (inl & lit).sum(axis=1) / lit.sum()
    out[idx] = np.column_stack([fx, fy, fr, support, outline._median_of(res, inl)])
    return out


def _opened_components(on, k):
    opened = cv2.morphologyEx(on, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    n, labels, stats, cents = cv2.connectedComponentsWithStats(opened, connectivity=8)
    return n, labels, stats, cents, (0, 0)


def _chroma_to_white(off, v, s, white, coloured):
    if coloured.sum() < classify.MIN_PAIRS:
        return None
    paint = coloured & (s >= 0.8 * np.percentile(s[coloured], 90))
    wi, ci = np.flatnonzero(white & (s < 0.5 * np.percentile(s[coloured], 90))), np.flatnonzero(paint)
    if len(wi) < max(classify.MIN_PAIRS, classify.PAIR_MIN_WHITE * len(v)) or len(ci) < classify.MIN_PAIRS:
        return None
    wi, ci = wi[::int(np.ceil(len(wi) / 600))], ci[::int(np.ceil(len(ci) / 600))]
    d2 = ((off[ci, None, :] - off[None, wi, :]) ** 2).sum(axis=2)
    near = d2 < classify.PAIR_REACH ** 2
    has = near.sum(axis=1) > 0
    if has.sum() < classify.MIN_PAIRS:
        return None
    white_v = np.where(near[has], v[wi][None, :], 0.0).max(axis=1)
    return float(np.median((s * v)[ci][has] / np.maximum(white_v, 1e-3)))


def _straightforward(monkeypatch):
    monkeypatch.setattr(outline, 'edge_strength', _edge_strength)
    monkeypatch.setattr(outline, '_ill_conditioned', _ill_conditioned)
    monkeypatch.setattr(outline, 'fit_fixed_radius', _fit_fixed_radius)
    monkeypatch.setattr(outline, '_fit_pass', _fit_pass)
    monkeypatch.setattr(balls_mod, 'opened_components', _opened_components)
    monkeypatch.setattr(classify, 'chroma_to_white', _chroma_to_white)


def _key(balls):
    return [(b.x, b.y, b.radius, b.confidence, b.support, b.type, b.number, b.type_confidence) for b in balls]


def _run(scenario, size, frames, seed):
    """Full search of the first frame, then the incremental path (crops, sweep, a spread full search)."""
    sim = SyntheticTable(scenario, size[0], size[1], 30.0, seed=seed)
    out, table = [], None
    inc = IncrementalParams(full_search_interval_s=0.2, full_search_min_frames=2)
    detector = IncrementalBallDetector(BallParams(), inc)
    for i in range(frames):
        image, _ = sim.next_frame()
        table = table or detect_table(image, TableParams())
        if i == 0:
            out.append(_key(detect_balls(image, table, BallParams())))
        out.append(_key(detector.detect(image, table, i / 30.0)))
    return out


@pytest.mark.parametrize('scenario, size, frames', [('break', (1280, 720), 14), ('cue_aiming', (1280, 720), 10),
                                                    ('random', (960, 540), 10)])
def test_shortcuts_give_the_same_balls(monkeypatch, scenario, size, frames):
    fast = _run(scenario, size, frames, seed=5)
    with monkeypatch.context() as m:
        _straightforward(m)
        plain = _run(scenario, size, frames, seed=5)
    assert sum(len(f) for f in fast) > 5 * frames
    assert fast == plain


def test_condition_bound_and_gradient_norm_match_numpy():
    rng = np.random.default_rng(0)
    for _ in range(300):
        u = rng.normal(size=(6, 48)) * rng.uniform(0.01, 30)
        v = rng.normal(size=(6, 48)) * 10 ** rng.uniform(-7, 1.5)   # down to collinear points
        w = (rng.random((6, 48)) > rng.uniform(0, 0.97)).astype(float)
        a = np.stack([u, v, np.ones_like(u)], axis=2) * w[..., None]
        m = np.einsum('nki,nkj->nij', a, a)
        assert np.array_equal(outline._ill_conditioned(m), np.linalg.cond(m) > 1e8)
    samp = (rng.normal(size=(7, 48, 23, 3)) * 30).astype(np.float32)
    assert np.array_equal(outline.edge_strength(samp), _edge_strength(samp))


def test_opened_components_in_the_foreground_box_match_the_whole_mask():
    rng = np.random.default_rng(1)
    for _ in range(200):
        h, w = rng.integers(40, 400, size=2)
        on = np.zeros((h, w), np.uint8)
        for _ in range(rng.integers(1, 8)):
            cx, cy = rng.integers(0, w), rng.integers(0, h)
            cv2.ellipse(on, (int(cx), int(cy)), (int(rng.integers(2, 40)), int(rng.integers(2, 20))),
                        float(rng.uniform(0, 180)), 0, 360, 1, -1)
        k = int(rng.integers(1, 10)) * 2 + 1
        n, labels, stats, cents, (ox, oy) = balls_mod.opened_components(on, k)
        n0, labels0, stats0, cents0, _ = _opened_components(on, k)
        assert n == n0
        assert np.array_equal(stats[1:], stats0[1:]) and np.array_equal(cents[1:], cents0[1:])
        assert np.array_equal(labels, labels0[oy:oy + labels.shape[0], ox:ox + labels.shape[1]])
        assert labels0.sum() == labels.sum()   # nothing outside the box


def test_typing_skipped_when_every_type_is_known():
    """type_balls leaves balls whose type the caller knows as they are, without reading the picture."""
    image = np.full((80, 80, 3), 200, np.uint8)
    balls = [BallDetection(30.0, 30.0, 9.0, 0.9), BallDetection(55.0, 50.0, 9.0, 0.9)]
    classify.type_balls(image, balls, None, BallParams(), known_type=lambda b: True)
    assert [(b.type, b.number, b.type_confidence, b.extra) for b in balls] == [('unknown', None, 0.0, {})] * 2
    classify.type_balls(image, balls, None, BallParams(), known_type=lambda b: b.x < 40)
    assert balls[0].type == 'unknown' and balls[1].type != 'unknown'


def test_node_reads_the_frame_without_copies():
    from rclpy.serialization import deserialize_message, serialize_message
    from sensor_msgs.msg import Image

    from billiards_vision.nodes.detector_base import image_to_bgr
    from billiards_vision.ros import image_bridge

    sim = SyntheticTable('rack', 960, 540, 30.0, seed=1)
    image, _ = sim.next_frame()
    msg = deserialize_message(serialize_message(image_bridge.cv2_to_imgmsg(image, 'bgr8')), Image)
    view = image_to_bgr(msg)
    assert np.array_equal(view, image) and np.shares_memory(view, np.frombuffer(msg.data, np.uint8))
    # A read-only picture (bytes data) gives the same balls as an own copy.
    view.flags.writeable = False
    table = detect_table(image, TableParams())
    assert _key(detect_balls(view, table, BallParams())) == _key(detect_balls(image.copy(), table, BallParams()))
    # Other encodings are converted; a short buffer raises.
    rgb = image_bridge.cv2_to_imgmsg(image[:, :, ::-1].copy(), 'rgb8')
    assert np.array_equal(image_to_bgr(rgb), image)
    with pytest.raises(Exception):
        image_to_bgr(Image(height=10, width=10, encoding='bgr8', step=30, data=b'\x00' * 7))
