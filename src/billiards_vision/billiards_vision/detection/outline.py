# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Ball outlines by rays: sub-pixel edge radii along N_RAYS rays and circle fits to them.

Every step works on all candidates of a search at once (arrays of candidates x
rays): a search has up to a few hundred vote peaks, most of them noise, and a
Python loop per peak used to cost more than the whole rest of the search.
"""
from __future__ import annotations

from typing import Optional

import cv2
import numpy as np

from .params import BallParams

N_RAYS = 48
ANGLES = np.linspace(0, 2 * np.pi, N_RAYS, endpoint=False)
_COS, _SIN = np.cos(ANGLES), np.sin(ANGLES)
MIN_RAYS = 8   # outline points a circle fit needs


def sample(img: np.ndarray, px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """Bilinear samples of img at float coordinates of any shape (remap needs < 32767 rows)."""
    shape = px.shape
    n = px.size
    cols = 1024
    rows = -(-n // cols)
    mx = np.zeros(rows * cols, np.float32)
    my = np.zeros(rows * cols, np.float32)
    mx[:n], my[:n] = px.ravel(), py.ravel()
    out = cv2.remap(img, mx.reshape(rows, cols), my.reshape(rows, cols), cv2.INTER_LINEAR,
                    borderMode=cv2.BORDER_REPLICATE)
    extra = img.shape[2:] if img.ndim == 3 else ()
    return out.reshape(rows * cols, *extra)[:n].reshape(*shape, *extra)


def ray_fractions(r0: np.ndarray, lo=0.65, hi=1.35, step=0.35) -> np.ndarray:
    """Radius fractions sampled along each ray (about `step` px apart at the median radius)."""
    return np.arange(lo, hi + 1e-6, step / max(1.0, float(np.median(r0))))


def edge_strength(samp: np.ndarray) -> np.ndarray:
    """Colour step along axis 2 of ray samples (n x rays x steps x 3): the norm of np.gradient, bit for bit.

    np.gradient(samp, axis=2) and np.linalg.norm(..., axis=3) written out: central differences
    inside, one-sided at the ends, ((g0^2 + g1^2) + g2^2) in the same float32 order; a norm over
    an axis of three costs numpy a slow reduction loop.
    """
    g = np.empty_like(samp)
    np.subtract(samp[:, :, 2:], samp[:, :, :-2], out=g[:, :, 1:-1])
    g[:, :, 1:-1] /= 2.0
    np.subtract(samp[:, :, 1], samp[:, :, 0], out=g[:, :, 0])
    np.subtract(samp[:, :, -1], samp[:, :, -2], out=g[:, :, -1])
    np.multiply(g, g, out=g)
    out = g[..., 0] + g[..., 1]
    out += g[..., 2]
    return np.sqrt(out, out=out)


def ray_outline(lab, cx, cy, r0, s, prior=None):
    """Sub-pixel outline radius along N_RAYS rays for each centre; returns (radii, strength).

    `s` are the radius fractions sampled (ray_fractions). With a `prior` radius the
    edge nearest to it wins over a stronger one further away (stripe borders and
    number circles lie inside the outline).
    """
    rad = r0[:, None, None] * s[None, None, :]
    px = cx[:, None, None] + rad * _COS[None, :, None]
    py = cy[:, None, None] + rad * _SIN[None, :, None]

    samp = sample(lab, px, py)
    d = edge_strength(samp) / (rad[..., 1:2] - rad[..., 0:1] + 1e-9)
    score = d
    if prior is not None:
        score = d * np.exp(-0.5 * ((rad - prior[:, None, None]) / (0.1 * r0[:, None, None])) ** 2)
    k = np.clip(np.argmax(score, axis=2), 1, len(s) - 2)[..., None]
    y0 = np.take_along_axis(d, k - 1, axis=2)[..., 0]
    y1 = np.take_along_axis(d, k, axis=2)[..., 0]
    y2 = np.take_along_axis(d, k + 1, axis=2)[..., 0]
    k = k[..., 0]
    den = y0 - 2 * y1 + y2
    frac = np.where(np.abs(den) > 1e-9, 0.5 * (y0 - y2) / np.where(den == 0, 1, den), 0.0)
    radius = (s[k] + np.clip(frac, -0.5, 0.5) * (s[1] - s[0])) * r0[:, None]
    return radius, y1


def fit_circle(px, py, w):
    """Weighted algebraic circle fit (Kasa) of one point set; returns cx, cy, r."""
    a = np.stack([px, py, np.ones_like(px)], axis=1) * w[:, None]
    b = -(px * px + py * py) * w
    sol, *_ = np.linalg.lstsq(a, b, rcond=None)
    cx, cy = -sol[0] / 2, -sol[1] / 2
    return cx, cy, np.sqrt(max(cx * cx + cy * cy - sol[2], 1e-9))


def _ill_conditioned(m) -> np.ndarray:
    """np.linalg.cond(m) > 1e8 per matrix (symmetric positive semi-definite 3 x 3 normal matrices).

    The condition number (largest / smallest eigenvalue) is at most trace^3 / det (the two larger
    eigenvalues are each below the trace); where that bound is below 1e7 the matrix is well
    conditioned, with a factor 10 to spare for rounding. Only the others take the singular values,
    as cond does (the same values and NaN rule).
    """
    tr = m[:, 0, 0] + m[:, 1, 1] + m[:, 2, 2]
    det = (m[:, 0, 0] * (m[:, 1, 1] * m[:, 2, 2] - m[:, 1, 2] * m[:, 2, 1])
           - m[:, 0, 1] * (m[:, 1, 0] * m[:, 2, 2] - m[:, 1, 2] * m[:, 2, 0])
           + m[:, 0, 2] * (m[:, 1, 0] * m[:, 2, 1] - m[:, 1, 1] * m[:, 2, 0]))
    with np.errstate(all='ignore'):
        sure = (det > 0) & (tr > 0) & (tr * tr * tr < 1e7 * det)
    out = np.zeros(len(m), bool)
    unsure = np.flatnonzero(~sure)
    if len(unsure):
        out[unsure] = _cond_above(m[unsure])
    return out


def _cond_above(m) -> np.ndarray:
    """np.linalg.cond(m) > 1e8 without cond's wrapper (the same singular values and NaN rule)."""
    sv = np.linalg.svd(m, compute_uv=False)
    with np.errstate(all='ignore'):
        cond = sv[..., 0] / sv[..., -1]
    nan = np.isnan(cond)
    if nan.any():
        # cond reports inf for a singular matrix (0 / 0) unless the matrix itself holds a NaN.
        cond[nan & ~np.isnan(m).any(axis=(-2, -1))] = np.inf
    return cond > 1e8


def fit_circles(px, py, w, ox, oy):
    """fit_circle for each row of (candidates x rays) points, in coordinates about (ox, oy) per row.

    Centred coordinates keep the normal equations well conditioned; a row whose
    points are nearly collinear is fitted by fit_circle (least squares) instead.
    """
    u, v = px - ox[:, None], py - oy[:, None]
    a = np.stack([u, v, np.ones_like(u)], axis=2) * w[..., None]
    b = -(u * u + v * v) * w
    m = np.einsum('nki,nkj->nij', a, a)
    rhs = np.einsum('nki,nk->ni', a, b)
    bad = _ill_conditioned(m)
    m[bad] = np.eye(3)
    sol = np.linalg.solve(m, rhs[..., None])[..., 0]
    cx, cy = -sol[:, 0] / 2, -sol[:, 1] / 2
    r = np.sqrt(np.maximum(cx * cx + cy * cy - sol[:, 2], 1e-9))
    cx, cy = cx + ox, cy + oy
    for i in np.flatnonzero(bad):
        cx[i], cy[i], r[i] = fit_circle(px[i], py[i], w[i])
    return cx, cy, r


def fit_fixed_radius(px, py, w, cx, cy, r, iters=6):
    """Centres of circles of known radii r through weighted points (Gauss-Newton), one per row.

    Rows stop when their step is below 1e-3 px or their normal equations are singular; while
    every row is still going, the arrays are used as they are (no gathers: the same numbers).
    """
    cx, cy = cx.copy(), cy.copy()
    idx = np.arange(len(cx))
    whole = True
    for _ in range(iters):
        if len(idx) == 0:
            break
        if whole:
            pi, qi, wi, ci, di, ri = px, py, w, cx, cy, r
        else:
            pi, qi, wi, ci, di, ri = px[idx], py[idx], w[idx], cx[idx], cy[idx], r[idx]
        dx, dy = ci[:, None] - pi, di[:, None] - qi
        dist = np.hypot(dx, dy) + 1e-9
        res = (dist - ri[:, None]) * wi
        jx, jy = dx / dist * wi, dy / dist * wi
        axx, axy, ayy = (jx * jx).sum(1), (jx * jy).sum(1), (jy * jy).sum(1)
        det = axx * ayy - axy * axy
        ok = np.abs(det) >= 1e-9
        if not ok.all():
            whole = False
            idx, axx, axy, ayy, det = idx[ok], axx[ok], axy[ok], ayy[ok], det[ok]
            jx, jy, res = jx[ok], jy[ok], res[ok]
        bx, by = (jx * res).sum(1), (jy * res).sum(1)
        # The 2 x 2 normal equations solved in closed form (a LAPACK call per row costs more than the fit).
        sx, sy = (ayy * bx - axy * by) / det, (axx * by - axy * bx) / det
        if whole:
            cx -= sx
            cy -= sy
        else:
            cx[idx] -= sx
            cy[idx] -= sy
        moving = ~(np.hypot(sx, sy) < 1e-3)
        if not moving.all():
            whole = False
            idx = idx[moving]
    return cx, cy


def _median_of(res, inl):
    """Per row: median of res where inl (inf where no inlier), as np.median would give it."""
    k = inl.sum(axis=1)
    srt = np.sort(np.where(inl, res, np.inf), axis=1)
    rows = np.arange(len(res))
    lo = srt[rows, np.maximum(k - 1, 0) // 2]
    hi = srt[rows, np.maximum(k, 1) // 2]
    med = np.where(k % 2 == 1, lo, (lo + hi) / 2)
    return np.where(k > 0, med, np.inf)


def shadow_sector(shade, cx, cy, r, ok) -> np.ndarray:
    """Rays (bool per angle) on the side where balls cast their shadows, from all good balls.

    One lamp throws every shadow the same way; on that side the ball's dark limb
    merges with its shadow, so those rays are left out of the final fit. `shade` is
    the shadow map or a function that makes it (called only when it is needed).
    """
    none = np.zeros(N_RAYS, bool)
    if ok.sum() < 2:
        return none
    if callable(shade):
        shade = shade()
    s = np.linspace(1.1, 1.6, 6)
    rad = r[ok, None, None] * s[None, None, :]
    px = cx[ok, None, None] + rad * _COS[None, :, None]
    py = cy[ok, None, None] + rad * _SIN[None, :, None]
    v = sample(shade, px, py)
    profile = np.median(v.mean(axis=2), axis=0)
    lo, hi = profile.min(), profile.max()
    if hi - lo < 0.25:
        return none
    return profile > lo + 0.5 * (hi - lo)


def _fit_pass(radius, strength, cx, cy, r_pred, thr, fixed_r, shadow):
    """One fit of every row: (cx, cy, r, support, residual) per candidate."""
    n = len(cx)
    out = np.zeros((n, 5))
    good = strength > thr[:, None]
    tol = 2.5 * np.maximum(0.75, 0.08 * r_pred)
    few = good.sum(axis=1) < MIN_RAYS
    out[few] = np.column_stack([cx, cy, r_pred, good.mean(axis=1), np.full(n, np.inf)])[few]
    idx = np.flatnonzero(~few)
    if len(idx) == 0:
        return out
    good, tol, rp = good[idx], tol[idx, None], r_pred[idx]
    px = cx[idx, None] + radius[idx] * _COS
    py = cy[idx, None] + radius[idx] * _SIN
    fx, fy = cx[idx].copy(), cy[idx].copy()
    if fixed_r is None:
        base, fr = good, rp.copy()
    else:
        fr = fixed_r * rp
        lit_good = good & ~shadow
        base = np.where((lit_good.sum(axis=1) >= MIN_RAYS)[:, None], lit_good, good)
    # Up to three fits, each without the outliers of the last, while at least MIN_RAYS points remain.
    # A free fit depends only on the points, their weights and the fixed centring point: a row whose
    # weights came out unchanged would be fitted again to the same numbers, so it is done.
    w = base.astype(np.float64)
    active = np.ones(len(idx), bool)
    for _ in range(3):
        if active.all():
            # Every row still fits: the arrays as they are (the same numbers without the gathers).
            if fixed_r is None:
                fx, fy, fr = fit_circles(px, py, w, cx[idx], cy[idx])
            else:
                fx, fy = fit_fixed_radius(px, py, w, fx, fy, fr)
            res = np.abs(np.hypot(px - fx[:, None], py - fy[:, None]) - fr[:, None])
            new = base & (res < tol)
            active = new.sum(axis=1) >= MIN_RAYS
            if fixed_r is None:
                active &= (new != w).any(axis=1)
            w = new.astype(np.float64)
            continue
        a = np.flatnonzero(active)
        if len(a) == 0:
            break
        if fixed_r is None:
            fx[a], fy[a], fr[a] = fit_circles(px[a], py[a], w[a], cx[idx[a]], cy[idx[a]])
        else:
            fx[a], fy[a] = fit_fixed_radius(px[a], py[a], w[a], fx[a], fy[a], fr[a])
        res = np.abs(np.hypot(px[a] - fx[a, None], py[a] - fy[a, None]) - fr[a, None])
        new = base[a] & (res < tol[a])
        changed = (new != w[a]).any(axis=1)
        w[a] = new
        active[a[w[a].sum(axis=1) < MIN_RAYS]] = False
        if fixed_r is None:
            active[a[~changed]] = False
    res = np.abs(np.hypot(px - fx[:, None], py - fy[:, None]) - fr[:, None])
    inl = good & (res < tol)
    # The shadow side is expected to be weak: support counts the lit side.
    lit = ~shadow if fixed_r is not None and (~shadow).any() else np.ones(N_RAYS, bool)
    support = (inl & lit).sum(axis=1) / lit.sum()
    out[idx] = np.column_stack([fx, fy, fr, support, _median_of(res, inl)])
    return out


def refine(lab, shade, cand, r_pred, params: BallParams, edge_floor: float = 0.0,
           radius_ratio: Optional[float] = None, faint_threshold: Optional[float] = None):
    """Ray-based sub-pixel refinement; returns per-candidate (cx, cy, r, support, residual, weak).

    The first pass fits centre and radius freely; the radius of the balls with a
    complete outline then fixes the radius for a second, centre-only fit, so a
    side lost in a shadow or against a neighbour cannot pull the centre. With fewer
    than three such balls (a crop) the ratio measured radius / predicted radius is
    `radius_ratio` (the caller's, from the whole table), else 1. `faint_threshold`: the edge
    threshold of the second look at faint outlines (default half the edge threshold, or the noise floor).
    """
    cx, cy = cand[:, 0].astype(np.float64), cand[:, 1].astype(np.float64)
    out = np.zeros((len(cx), 6))   # cx, cy, r, support, residual, weak-outline flag
    if len(cx) == 0:
        return out
    thr = np.full(len(cx), max(float(params.edge_threshold), edge_floor))
    s = ray_fractions(r_pred)
    fixed_r = None
    shadow = np.zeros(N_RAYS, bool)
    todo = np.ones(len(cx), bool)
    for it in range(5):
        t = np.flatnonzero(todo)
        if len(t) == 0:
            break
        prior = None if fixed_r is None else fixed_r * r_pred[t]
        radius, strength = ray_outline(lab, cx[t], cy[t], r_pred[t], s, prior=prior)
        out[t, :5] = _fit_pass(radius, strength, cx[t], cy[t], r_pred[t], thr[t], fixed_r, shadow)
        cx, cy = out[:, 0].copy(), out[:, 1].copy()
        if it == 1:
            ratio = out[:, 2] / r_pred
            full = (out[:, 3] > 0.9) & (np.abs(ratio - 1) < params.radius_tolerance)
            fixed_r = float(np.median(ratio[full])) if full.sum() >= 3 else (radius_ratio or 1.0)
            shadow = shadow_sector(shade, cx, cy, out[:, 2], full)
        if it == 2:
            # Dark balls on dark cloth (green on green, in a cushion's shade) have faint
            # outlines: they get a second look at half the edge threshold, flagged weak.
            todo = out[:, 3] < params.min_outline_support
            thr[todo] = max(0.5 * params.edge_threshold, edge_floor) if faint_threshold is None \
                else faint_threshold
            out[:, 5] = todo
            # Strong edges inside a faint ball (number circle, shadow) may have pulled
            # the free fit away: the second look starts again from the vote peak.
            cx[todo], cy[todo] = cand[todo, 0], cand[todo, 1]
    return out
