# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Ball type and number from the colours of the ball face.

The face (0.9 of the radius, without the parts a nearer detected ball covers)
is split into black (dark), white (pale) and coloured pixels; shading keeps
saturation, so a shaded white is still white. Two effects of real pictures are
undone first:
- the underside of a white ball is lit by the cloth: a pixel of the cloth's hue
  that is clearly less saturated than the cloth is white mixed with cloth light,
  unless the ball is painted in the cloth's hue (then that paint also shows,
  saturated, inside the rim);
- TV and JPEG pictures carry colour at half resolution, so colour bleeds into
  the thin white caps of a small stripe: a pixel with less than half the ball's
  own colour saturation is white.
Geometry of the patterns then decides: a solid shows at most its number circle
as white (about a quarter of the face), a stripe at least its two caps beside the
band (about a third) or a whole cap with a coloured rim; the cue ball has no
colour at all and the eight is mostly black. The number follows from the hue
of the coloured pixels (standard ball colours; maroon is a dark red).
The caller white-balances the picture on the balls' own white (colors.white_gains),
so tinted TV lighting does not turn the cue ball and the stripes' white into colour.

The type confidence is the probability that the measured share lies on the
reported side of its threshold given the pixel count (binomial noise, one
independent colour sample per 2 x 2 pixels).
"""
from __future__ import annotations

import math
from typing import Optional

import cv2
import numpy as np

from .colors import ClothModel, balanced_cloth, hue_distance, white_gains
from .params import BallParams

# Standard colours: (OpenCV hue centre, solid number).
_HUES = ((0.0, 3), (12.0, 5), (24.0, 1), (75.0, 6), (108.0, 2), (132.0, 4))
PIXELS_PER_COLOUR_SAMPLE = 4.0   # 4:2:0 chroma subsampling of video and JPEG


def _face_pixels(hsv: np.ndarray, cx: float, cy: float, r: float, frac: float = 0.9, others=()):
    """HSV rows of the face within frac * r, their distance from the centre and (dx, dy) offsets (share of r).

    Pixels inside the disc of a ball in `others` ((x, y, r) rows, the balls nearer the camera)
    are left out: where two balls overlap in the picture (oblique TV views) the nearer one
    covers the other.
    """
    h, w = hsv.shape[:2]
    rr = int(np.ceil(frac * r))
    x, y = int(round(cx)), int(round(cy))
    ya, yb, xa, xb = max(0, y - rr), min(h, y + rr + 1), max(0, x - rr), min(w, x + rr + 1)
    if ya >= yb or xa >= xb:
        return np.zeros((0, 3), np.float32), np.zeros(0, np.float32), np.zeros((0, 2), np.float32)
    yy, xx = np.mgrid[ya:yb, xa:xb]
    rho2 = ((xx - cx) ** 2 + (yy - cy) ** 2) / max(r * r, 1e-9)
    inside = rho2 <= frac ** 2
    for ox, oy, orad in others:
        if np.hypot(ox - cx, oy - cy) < frac * r + orad:
            inside &= (xx - ox) ** 2 + (yy - oy) ** 2 > orad * orad
    off = np.column_stack([(xx[inside] - cx) / r, (yy[inside] - cy) / r]).astype(np.float32)
    return hsv[ya:yb, xa:xb][inside].astype(np.float32), np.sqrt(rho2[inside]), off


def face_shares(hsv: np.ndarray, cx: float, cy: float, r: float, cloth: Optional[ClothModel],
                params: BallParams, others=()):
    """(white, black, coloured) shares, coloured pixels (HSV rows), pixel count, mean saturation of the face
    and (offsets from the centre in radii, white mask, coloured mask) of its pixels (pale pixels of the
    cloth's hue, white lit by the cloth or sheen on cloth-coloured paint, are in neither), chroma of
    its coloured pixels relative to the white beside them (chroma_to_white) or None.

    The mean saturation (0..1) is taken over the whole face before the cloth and rim rules.
    """
    p, rho, off = _face_pixels(hsv, cx, cy, r, others=others)
    raw_sat = float(p[:, 1].mean()) / 255.0 if len(p) else 1.0
    if cloth is not None and len(p):
        near_cloth = hue_distance(p[:, 0], cloth.hue) < 8
        # Small, soft balls (TV frames) blend with the cloth at the rim: those pixels are not ball colour.
        rim = (rho > 0.6) & near_cloth & (p[:, 1] > 0.5 * cloth.saturation)
        # White lit by the cloth keeps the cloth's hue at a lower saturation (see the module docstring),
        # unless the ball is itself painted in the cloth's hue: then its paint shows saturated inside the
        # rim as well, on more of the face than the cue ball may show colour, and the paler pixels are its
        # shading and sheen.
        pale = near_cloth & (p[:, 1] < params.cloth_light_saturation * cloth.saturation)
        paint = near_cloth & ~pale & (rho <= 0.6)
        if paint.mean() < params.cue_max_colour:
            p[pale, 1] = 0
        p, off, doubtful = p[~rim], off[~rim], pale[~rim]
    else:
        doubtful = np.zeros(len(p), bool)
    if len(p) < 5:
        return None
    s, v = p[:, 1] / 255.0, p[:, 2] / 255.0
    ref = cloth.value / 255.0 if cloth is not None else float(np.percentile(v, 95))
    black = v < params.black_max_value * max(ref, 0.3)
    white_max = params.white_max_saturation
    if (~black).sum() >= 5:
        # Colour bleeding from the band into a stripe's caps: white relative to the ball's own colour.
        white_max = max(white_max, params.chroma_bleed * float(np.percentile(s[~black], 90)))
    white = (s < white_max) & ~black
    coloured = ~white & ~black
    return (float(white.mean()), float(black.mean()), float(coloured.mean()), p[coloured], len(p), raw_sat,
            (off, white & ~doubtful, coloured & ~doubtful), chroma_to_white(off, v, s, white, coloured))


PAIR_REACH = 0.25      # white within this share of the radius of a coloured pixel shares its shading
MIN_PAIRS = 12         # coloured pixels with white beside them needed to judge a colour against its white
PAIR_MIN_WHITE = 0.06  # share of the face that must be white for that
WHITE_LIT_SHARE = 0.6   # white counts beside paint only as bright as this share of the face's lit white


def chroma_to_white(off: np.ndarray, v: np.ndarray, s: np.ndarray, white: np.ndarray,
                    coloured: np.ndarray) -> Optional[float]:
    """Median colour (HSV saturation x value: the paint's chroma) of coloured face pixels relative to the
    brightness of the brightest white pixel beside them (within PAIR_REACH), or None.

    Neighbours on the sphere are lit alike and a highlight adds white, not chroma, so the ratio is the
    paint's own (red about 0.6, maroon about 0.35) whatever the lamp, the exposure and where on the ball
    the colour and the white lie (a stripe seen pole-on shows its white in the lit middle and its band
    on the shaded rim).
    """
    if coloured.sum() < MIN_PAIRS:
        return None
    # Only paint and white at full strength: pixels on their border are mixtures of the two.
    top = np.percentile(s[coloured], 90)
    paint = coloured & (s >= 0.8 * top)
    # Only white in the light: grey pixels in the shade at the rim (between the balls of a rack) made a
    # maroon 7 read as a red 3 on a third of the frames of a still rack.
    lit = white & (s < 0.5 * top)
    if lit.any():
        lit &= v >= WHITE_LIT_SHARE * np.percentile(v[lit], 90)
    wi, ci = np.flatnonzero(lit), np.flatnonzero(paint)
    if len(wi) < max(MIN_PAIRS, PAIR_MIN_WHITE * len(v)) or len(ci) < MIN_PAIRS:
        return None    # no white patch in view (a glimpse of a number circle at the rim is shaded or tinted)
    wi, ci = wi[::int(np.ceil(len(wi) / 600))], ci[::int(np.ceil(len(ci) / 600))]   # 4K faces: ~600 of each
    # Squared distances dx^2 + dy^2 of every pair (the sum over the last axis of the squared offsets, written out).
    d2 = off[ci, None, 0] - off[None, wi, 0]
    d2 *= d2
    dy = off[ci, None, 1] - off[None, wi, 1]
    dy *= dy
    d2 += dy
    near = d2 < PAIR_REACH ** 2
    count = near.sum(axis=1)
    has = count > 0
    if has.sum() < MIN_PAIRS:
        return None
    white_v = np.where(near[has], v[wi][None, :], 0.0).max(axis=1)
    return float(np.median((s * v)[ci][has] / np.maximum(white_v, 1e-3)))


def colour_number(col: np.ndarray, maroon_max_value: float, paired: Optional[float] = None,
                  maroon_max_relative: float = 0.47) -> tuple[int, float]:
    """Solid number (1-7) of coloured face pixels (HSV rows) and a 0..1 margin.

    Maroon is a dark red: with white in view beside the colour (`paired`, the colour's chroma
    relative to that white, see chroma_to_white) the red is judged against it, which holds under
    any exposure and lamp; otherwise against `maroon_max_value` (HSV value 0..1 of its bright pixels).
    """
    ang = col[:, 0] * (np.pi / 90.0)
    hue = (np.degrees(np.arctan2(np.sin(ang).mean(), np.cos(ang).mean())) / 2.0) % 180.0
    d = np.array([abs(((hue - c) + 90) % 180 - 90) for c, _ in _HUES])
    order = np.argsort(d)
    number = _HUES[order[0]][1]
    margin = float(np.clip((d[order[1]] - d[order[0]]) / 10.0, 0, 1))
    if number == 3:
        if paired is not None:
            dark = paired < maroon_max_relative
        else:
            dark = np.percentile(col[:, 2], 90) / 255.0 < maroon_max_value
        number = 7 if dark else 3
    return number, margin


def _hemisphere_axes(n: int = 400) -> np.ndarray:
    """Roughly even unit vectors over the upper hemisphere (Fibonacci spiral)."""
    k = np.arange(n) + 0.5
    z = 1.0 - k / n
    phi = k * np.pi * (3.0 - np.sqrt(5.0))
    rho = np.sqrt(1.0 - z * z)
    return np.column_stack([rho * np.cos(phi), rho * np.sin(phi), z]).astype(np.float32)


_AXES = _hemisphere_axes()
STRIPE_BAND_COS = 0.5     # a stripe's band covers |cos| < 0.5 around its pole axis
NUMBER_CIRCLE_COS = 0.9   # a number circle covers |cos| > 0.9 (about 0.44 of the radius across)
PATTERN_MIN_GAP = 0.05    # share of face pixels by which one pattern must fit better to decide


def pattern_misfit(off: np.ndarray, white: np.ndarray, coloured: np.ndarray) -> tuple[float, float]:
    """Share of the white and coloured face pixels that the best stripe and the best solid pattern get wrong.

    Each face pixel (offset in radii from the centre, seen from above) is a point of the sphere;
    for every pole axis a stripe is white where |cos| > STRIPE_BAND_COS and a solid where
    |cos| > NUMBER_CIRCLE_COS (its two number circles). Highlights and digits are wrong for both.
    """
    sel = white | coloured
    if sel.sum() < 10:
        return 0.0, 0.0
    xy, w = off[sel], white[sel]
    step = int(np.ceil(len(xy) / 800))       # a large face (4K) is thinned to ~800 pixels: same shares, less work
    xy, w = xy[::step], w[::step]
    z = np.sqrt(np.clip(1.0 - (xy * xy).sum(axis=1), 0.0, 1.0))
    normals = np.column_stack([xy[:, 0], -xy[:, 1], z]).astype(np.float32)
    c = np.abs(normals @ _AXES.T)
    w = w[:, None]
    stripe = np.mean((c > STRIPE_BAND_COS) != w, axis=0).min()
    solid = np.mean((c > NUMBER_CIRCLE_COS) != w, axis=0).min()
    return float(stripe), float(solid)


def rim_paint(hsv: np.ndarray, cx: float, cy: float, r: float, cloth: Optional[ClothModel], params: BallParams,
              others=()) -> tuple[float, Optional[int]]:
    """Share of the outer ring of the face (0.86-0.97 r) that is saturated paint, and the solid number of its colour.

    A stripe seen pole-on shows its band only there, outside the face the shares are read on; a
    cue ball's rim is white, shaded or pale with cloth light. Paint is at least 0.6 as saturated as the
    cloth (or half saturated, without a cloth model).
    """
    p, rho, _ = _face_pixels(hsv, cx, cy, r, frac=0.97, others=others)
    ring = p[rho >= 0.86]
    if len(ring) < 8:
        return 0.0, None
    floor = 0.6 * cloth.saturation if cloth is not None else 128.0
    paint = (ring[:, 1] >= floor) & (ring[:, 2] >= 60)
    # The colour from paint not of the cloth's hue: a detected outline a pixel off puts saturated cloth in the
    # ring, and purple mixed with a teal cloth reads blue (random/1: a pole-on 12 read as 10 in 2 frames of 3).
    # A ball painted in the cloth's hue keeps all its paint.
    own = paint & (hue_distance(ring[:, 0], cloth.hue) >= 8) if cloth is not None else paint
    use = own if own.sum() >= 5 else paint
    number = colour_number(ring[use], params.maroon_max_value)[0] if use.sum() >= 5 else None
    return float(paint.mean()), number


def _coloured_rim(off: np.ndarray, white: np.ndarray, coloured: np.ndarray) -> bool:
    """A stripe seen pole-on: its little colour is a ring all round the rim (a cue ball's, if any, is not)."""
    if coloured.sum() < 12 or coloured.mean() < 0.015:
        return False
    xy = off[coloured]
    rim = np.hypot(xy[:, 0], xy[:, 1]) > 0.7
    if rim.mean() < 0.85:
        return False
    sectors = np.unique((np.arctan2(xy[rim, 1], xy[rim, 0]) / (2 * np.pi) * 12).astype(int) % 12)
    return len(sectors) >= 9


def _spotted_cue(fw: float, fc: float, layout, params: BallParams) -> Optional[float]:
    """Type confidence when the face is a white ball with coloured spots or dots (a training cue ball), or None.

    Its colour is a few small patches anywhere on the face: calling it all white gets fewer pixels
    wrong than the best stripe (whose band always crosses the face) or solid pattern.
    """
    if fc >= params.cue_max_spots:
        return None
    miss_cue = fc / max(fw + fc, 1e-6)
    miss_stripe, miss_solid = pattern_misfit(*layout)
    gap = min(miss_stripe, miss_solid) - miss_cue
    if gap <= 0.02:
        return None
    return float(np.clip(0.5 + 4.0 * gap, 0.5, 1.0))


def side_probability(share: float, threshold: float, n_pixels: int) -> float:
    """Probability (0.5..1) that a share measured on n_pixels lies on its side of threshold."""
    n_eff = max(n_pixels / PIXELS_PER_COLOUR_SAMPLE, 1.0)
    t = float(np.clip(threshold, 0.02, 0.98))
    z = abs(share - threshold) / math.sqrt(t * (1.0 - t) / n_eff)
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def classify_ball(hsv: np.ndarray, cx: float, cy: float, r: float, cloth: Optional[ClothModel],
                  params: BallParams, others=()) -> tuple[str, Optional[int], float, dict]:
    """(type, number or None, confidence, face features) of the ball at (cx, cy) in an HSV image."""
    shares = face_shares(hsv, cx, cy, r, cloth, params, others)
    if shares is None:
        return 'unknown', None, 0.0, {}
    fw, fb, fc, col, n, sat, layout, paired = shares
    paint, rim_number = rim_paint(hsv, cx, cy, r, cloth, params, others)
    feats = {'white': fw, 'black': fb, 'colour': fc, 'pixels': float(n), 'saturation': sat, 'rim_paint': paint,
             'rim_number': rim_number, 'chroma_to_white': paired}
    # A black ball mirrors the cloth: dim cloth-hued pixels on a mostly black face are reflections.
    own = fc
    if cloth is not None and len(col):
        mirrored = (hue_distance(col[:, 0], cloth.hue) < 20) & (col[:, 2] < 0.6 * cloth.value)
        own = fc * float(np.mean(~mirrored))
    if fb >= params.eight_black_fraction and own < 0.2:
        return 'eight', 8, side_probability(fb, params.eight_black_fraction, n), feats
    if fc < params.cue_max_colour and not _coloured_rim(*layout):
        return 'cue', 0, side_probability(fc, params.cue_max_colour, n), feats
    spotted = _spotted_cue(fw, fc, layout, params)
    if spotted is not None:
        return 'cue', 0, spotted, feats
    number, margin = colour_number(col, params.maroon_max_value, paired, params.maroon_max_relative) \
        if len(col) >= 3 else (None, 0.0)
    stripe_share = fw / max(fw + fc, 1e-6)
    is_stripe = stripe_share > params.stripe_white_fraction
    # An ambiguous hue leaves the number, not the type, in doubt: it costs little confidence.
    conf = side_probability(stripe_share, params.stripe_white_fraction, n) * (0.9 + 0.1 * margin)
    if abs(stripe_share - params.stripe_white_fraction) < params.pattern_fit_window:
        # Near the threshold the share cannot tell a stripe lying band up (white only at the two
        # sides, a third of the face) from a solid showing its number circle and highlight: where
        # the white lies on the sphere does.
        # It overrides the share only when one pattern fits clearly better (small, soft TV balls
        # fit both about equally).
        miss_stripe, miss_solid = pattern_misfit(*layout)
        if abs(miss_stripe - miss_solid) >= PATTERN_MIN_GAP:
            is_stripe = miss_stripe < miss_solid
            conf = float(np.clip(0.5 + 4.0 * abs(miss_solid - miss_stripe), 0.5, 1.0)) * (0.9 + 0.1 * margin)
    if number is not None and is_stripe:
        number += 8
    return ('stripe' if is_stripe else 'solid'), number, float(conf), feats


def enforce_unique(balls, params: BallParams) -> None:
    """One cue ball and one eight per table: the best keeps the label, the rest are re-read.

    The cue ball is the one with the least paint on its rim (a stripe seen pole-on shows its band
    there), then the least saturated of the colourless balls: mean saturation over the
    whole face keeps what the pixel rules drop (even where the rim blends with the cloth). The
    eight is the blackest of the black ones. A ball that lost the eight is a dark-coloured ball,
    so its black counts as colour when it is re-read as a solid or a stripe.
    """
    for kind, key, sign in (('cue', 'saturation', 1.0), ('eight', 'black', -1.0)):
        same = [b for b in balls if b.type == kind]
        if len(same) < 2:
            continue
        if kind == 'cue':
            # Rim paint in steps of 0.02: a clear difference decides, else the saturation.
            same.sort(key=lambda b: (round(50 * b.extra.get("rim_paint", 0.0)), b.extra.get(key, 0.0)))
        else:
            same.sort(key=lambda b: sign * b.extra.get(key, 0.0))
        for b in same[1:]:
            f = b.extra
            white = f.get('white', 0.0)
            share = white / max(white + f.get('black', 0.0) + f.get('colour', 0.0), 1e-6)
            b.type = 'stripe' if share > params.stripe_white_fraction else 'solid'
            b.number = None
            if kind == 'cue' and b.type == 'stripe' and f.get('rim_number') is not None:
                # A stripe seen pole-on: its band's colour shows on the rim.
                b.number = f['rim_number'] + 8
            # Second choice of a rule that fired for another label: a coin toss at best.
            b.type_confidence = 0.5 * side_probability(share, params.stripe_white_fraction, int(f.get('pixels', 0)))


def type_balls(image_bgr: np.ndarray, balls, cloth: Optional[ClothModel], params: BallParams,
               origin=(0, 0), known_type=None) -> None:
    """Set type, number and type confidence of each ball (a BallDetection) in place.

    `image_bgr` may be a crop of the camera picture whose top-left corner is `origin`.
    The picture is white-balanced on the balls' own white first, and the cloth model with it.
    A ball for which `known_type(ball)` is true (its caller knows the type) counts for the white
    balance and covers others but is not classified.
    """
    todo = [known_type is None or not known_type(b) for b in balls]
    if not any(todo) and not any(b.type in ('cue', 'eight') for b in balls):
        return    # nothing to classify, and enforce_unique has no cue ball or eight to settle
    x0, y0 = origin
    discs = [(b.x - x0, b.y - y0, b.radius) for b in balls]
    gains = white_gains(image_bgr, discs)
    if gains is not None:
        image_bgr = cv2.convertScaleAbs(image_bgr.astype(np.float32) * gains)
        if cloth is not None:
            cloth = balanced_cloth(cloth, gains)
    hsv = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2HSV)
    for i, b in enumerate(balls):
        if not todo[i]:
            continue
        # The apparent radius grows towards the camera: a ball at least as big may cover this one.
        others = [d for k, d in enumerate(discs) if k != i and d[2] >= discs[i][2]]
        b.type, b.number, b.type_confidence, feats = classify_ball(hsv, *discs[i], cloth, params, others)
        b.extra = {**b.extra, **feats}
    enforce_unique(balls, params)
