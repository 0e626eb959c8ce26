# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Ball type and number from the colours of the ball face.

The face (0.9 of the radius) is split into black (dark), white (pale) and
coloured pixels; shading keeps saturation, so a shaded white is still white.
Geometry of the patterns decides: a solid shows at most its number circle as
white (about a quarter of the face), a stripe at least its two caps beside the
band (about a third) or a whole cap with a coloured rim; the cue ball has no
colour at all and the eight is mostly black. The number follows from the hue
of the coloured pixels (standard ball colours; maroon is a dark red).
The caller white-balances the picture on the balls' own white (colors.white_gains),
so tinted TV lighting does not turn the cue ball and the stripes' white into colour.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from .colors import ClothModel, hue_distance
from .params import BallParams

# Standard colours: (OpenCV hue centre, solid number).
_HUES = ((0.0, 3), (12.0, 5), (24.0, 1), (75.0, 6), (108.0, 2), (132.0, 4))


def _face_pixels(hsv: np.ndarray, cx: float, cy: float, r: float, frac: float = 0.9):
    """HSV rows of the face within frac * r and their distance from the centre (share of r)."""
    h, w = hsv.shape[:2]
    rr = int(np.ceil(frac * r))
    x, y = int(round(cx)), int(round(cy))
    ya, yb, xa, xb = max(0, y - rr), min(h, y + rr + 1), max(0, x - rr), min(w, x + rr + 1)
    if ya >= yb or xa >= xb:
        return np.zeros((0, 3), np.float32), np.zeros(0, np.float32)
    yy, xx = np.mgrid[ya:yb, xa:xb]
    rho2 = ((xx - cx) ** 2 + (yy - cy) ** 2) / max(r * r, 1e-9)
    inside = rho2 <= frac ** 2
    return hsv[ya:yb, xa:xb][inside].astype(np.float32), np.sqrt(rho2[inside])


def face_shares(hsv: np.ndarray, cx: float, cy: float, r: float, cloth: Optional[ClothModel],
                params: BallParams):
    """(white, black, coloured) shares of the face and the coloured pixels (HSV rows)."""
    p, rho = _face_pixels(hsv, cx, cy, r)
    if cloth is not None and len(p):
        # Small, soft balls (TV frames) blend with the cloth at the rim: those pixels are not ball colour.
        rim = (rho > 0.6) & (hue_distance(p[:, 0], cloth.hue) < 8) & (p[:, 1] > 0.5 * cloth.saturation)
        p = p[~rim]
    if len(p) < 5:
        return None
    s, v = p[:, 1] / 255.0, p[:, 2] / 255.0
    ref = cloth.value / 255.0 if cloth is not None else float(np.percentile(v, 95))
    black = v < params.black_max_value * max(ref, 0.3)
    white = (s < params.white_max_saturation) & ~black
    coloured = ~white & ~black
    return float(white.mean()), float(black.mean()), float(coloured.mean()), p[coloured]


def colour_number(col: np.ndarray, maroon_max_value: float) -> tuple[int, float]:
    """Solid number (1-7) of coloured face pixels (HSV rows) and a 0..1 margin."""
    ang = col[:, 0] * (np.pi / 90.0)
    hue = (np.degrees(np.arctan2(np.sin(ang).mean(), np.cos(ang).mean())) / 2.0) % 180.0
    d = np.array([abs(((hue - c) + 90) % 180 - 90) for c, _ in _HUES])
    order = np.argsort(d)
    number = _HUES[order[0]][1]
    margin = float(np.clip((d[order[1]] - d[order[0]]) / 10.0, 0, 1))
    if number == 3 and np.percentile(col[:, 2], 90) / 255.0 < maroon_max_value:
        number = 7
    return number, margin


def classify_ball(hsv: np.ndarray, cx: float, cy: float, r: float, cloth: Optional[ClothModel],
                  params: BallParams) -> tuple[str, Optional[int], float, dict]:
    """(type, number or None, confidence, face shares) of the ball at (cx, cy) in an HSV image."""
    shares = face_shares(hsv, cx, cy, r, cloth, params)
    if shares is None:
        return 'unknown', None, 0.0, {}
    fw, fb, fc, col = shares
    feats = {'white': fw, 'black': fb, 'colour': fc}
    # A black ball mirrors the cloth: dim cloth-hued pixels on a mostly black face are reflections.
    own = fc
    if cloth is not None and len(col):
        mirrored = (hue_distance(col[:, 0], cloth.hue) < 20) & (col[:, 2] < 0.6 * cloth.value)
        own = fc * float(np.mean(~mirrored))
    if fb >= params.eight_black_fraction and own < 0.2:
        return 'eight', 8, float(np.clip(0.5 + (fb - params.eight_black_fraction) / 0.3, 0, 1)), feats
    if fc < params.cue_max_colour:
        conf = 0.5 + 0.5 * np.clip((params.cue_max_colour - fc) / params.cue_max_colour, 0, 1)
        return 'cue', 0, float(conf), feats
    number, margin = colour_number(col, params.maroon_max_value) if len(col) >= 3 else (None, 0.0)
    stripe_share = fw / max(fw + fc, 1e-6)
    is_stripe = stripe_share > params.stripe_white_fraction
    sep = float(np.clip(abs(stripe_share - params.stripe_white_fraction) / 0.1, 0, 1))
    conf = (0.5 + 0.5 * sep) * (0.7 + 0.3 * margin)
    if number is not None and is_stripe:
        number += 8
    return ('stripe' if is_stripe else 'solid'), number, float(conf), feats


def enforce_unique(balls) -> None:
    """One cue ball and one eight per table: the best keeps the label, the rest are re-read."""
    for kind, key, reverse in (('cue', 'colour', False), ('eight', 'black', True)):
        same = [b for b in balls if b.type == kind]
        if len(same) < 2:
            continue
        same.sort(key=lambda b: b.extra.get(key, 0.0), reverse=reverse)
        for b in same[1:]:
            f = b.extra
            share = f.get('white', 0.0) / max(f.get('white', 0.0) + f.get('colour', 0.0), 1e-6)
            b.type = 'stripe' if share > 0.5 else 'solid'
            b.number = None
            b.type_confidence = 0.3
