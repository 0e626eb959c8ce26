# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Ball detection on the playing surface.

The ball radius in pixels is known from the table homography (ball / table
size ratio), so the search is a fixed-radius one:
1. Colour edges (CIELab gradient, structure tensor) vote for centres one radius
   along the edge normal (both sides); touching balls in a rack keep separate
   peaks because each outline votes for its own centre.
2. Each peak is checked by rays: along each ray the strongest colour step near
   one radius is located to sub-pixel precision, and a robust circle fit to
   those outline points gives the centre. Rays that end on a shadow, a
   neighbour or the bright highlight are outliers of that fit, so the reported
   centre is the ball's, not its highlight's or shadow's.
3. Candidates need outline support around most of the circle, a radius near
   the predicted one, and a face that is not cloth; marker dots (too small),
   the cue and hands (no closed outline of ball size) and pockets fail these.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import cv2
import numpy as np

from ..table_geometry import BALL_RADIUS_M
from .classify import type_balls
from .colors import ClothModel, estimate_cloth, hue_distance
from .outline import refine, sample
from .params import BallParams
from .table import TableDetection

# Ball radius [px] the search works at: larger balls are searched for in a scaled-down copy.
WORK_RADIUS_PX = 20.0
# Balls smaller than SMALL_RADIUS_PX (800x450: ~8 px, 960x540: ~9 px) are searched in a copy scaled up to
# UPSCALED_RADIUS_PX, and those below TINY_RADIUS_PX (640x480: ~6 px) in one at TINY_UPSCALED_RADIUS_PX: on so
# coarse a pixel grid of votes, rays and masks, shadows and the table's spots passed as dark balls and stripes,
# and touching balls of a rack made circles between them (1280x720: 12.4 px, searched as it is).
SMALL_RADIUS_PX = 12.0
UPSCALED_RADIUS_PX = 14.0
TINY_RADIUS_PX = 7.0
TINY_UPSCALED_RADIUS_PX = 10.0
# A face inside an incomplete or faint outline is cloth in a shadow below this share of non-cloth
# chromaticity (measured: balls 0.85 and more at 640x480, 0.98 from 1280x720; shadows 0.54-0.63).
SHADOW_FACE_MAX_FOREGROUND = 0.7
WEAK_PENALTY = 0.1    # confidence a weak outline (found at half the edge threshold) gives up in _suppress


@dataclass
class BallDetection:
    x: float
    y: float
    radius: float
    confidence: float
    type: str = 'unknown'
    number: Optional[int] = None
    type_confidence: float = 0.0
    position_m: Optional[tuple] = None
    support: float = 0.0
    extra: dict = field(default_factory=dict)

    @property
    def score(self) -> float:
        """Confidence that this is a ball of the reported type: detection x type confidence."""
        return float(self.confidence) * float(self.type_confidence)

    def to_json(self) -> dict:
        # One number per ball in the JSON format: it ranks typed detections (per-type AP), so it is the score.
        return {'x': round(self.x, 2), 'y': round(self.y, 2), 'radius': round(self.radius, 2),
                'type': self.type, 'number': self.number, 'confidence': round(self.score, 3)}


def _radius_map(table: TableDetection, x0: int, y0: int, w: int, h: int, scale: float) -> tuple:
    """(predicted ball radius per pixel of the window, its median), read only (kept per table and window)."""
    def make():
        gx, gy = np.meshgrid(np.linspace(x0, x0 + w - 1, 9), np.linspace(y0, y0 + h - 1, 9))
        r = table.ball_radius_px(np.stack([gx.ravel(), gy.ravel()], axis=1)).reshape(9, 9) * scale
        rmap = cv2.resize(r.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
        rmap.flags.writeable = False
        return rmap, float(np.median(rmap))
    return table.derived(('radius_map', x0, y0, w, h, scale), make)


def _colour_gradient(lab: np.ndarray):
    """Magnitude and direction of the colour edge (largest eigenpair of the structure tensor)."""
    gx = cv2.Sobel(lab, cv2.CV_32F, 1, 0, ksize=3, scale=0.125)
    gy = cv2.Sobel(lab, cv2.CV_32F, 0, 1, ksize=3, scale=0.125)

    def channel_sum(p):
        return (p[..., 0] + p[..., 1]) + p[..., 2]

    jxx, jyy, jxy = channel_sum(gx * gx), channel_sum(gy * gy), channel_sum(gx * gy)
    tr, diff = cv2.add(jxx, jyy), cv2.subtract(jxx, jyy)
    two_xy = cv2.multiply(jxy, 2.0)
    root = cv2.magnitude(diff, two_xy)
    lam = cv2.multiply(cv2.add(tr, root), 0.5)
    theta = cv2.multiply(cv2.phase(diff, two_xy), 0.5)
    return cv2.sqrt(lam), theta


def _vote(mag, theta, rmap, mask, threshold):
    h, w = mag.shape
    ys, xs = np.nonzero((mag > threshold) & mask)
    if len(xs) == 0:
        return np.zeros((h, w), np.float32)
    t = theta[ys, xs]
    c, s = np.cos(t), np.sin(t)
    r = rmap[ys, xs]
    # Six votes per edge pixel (three radii, both sides) as rows of one array, each coordinate
    # computed as xs + ((sign * k) * r) * c, and counted in one pass.
    sk = np.array([[sign * k] for k in (0.9, 1.0, 1.1) for sign in (1.0, -1.0)])
    vx = np.rint(xs + sk * r * c).astype(np.int64)
    vy = np.rint(ys + sk * r * s).astype(np.int64)
    ok = (vx >= 0) & (vx < w) & (vy >= 0) & (vy < h)
    vy *= w
    vy += vx
    return np.bincount(vy[ok], minlength=h * w).astype(np.float32).reshape(h, w)


def _shade_map(hsv, cloth: ClothModel) -> np.ndarray:
    """float32 map, 1 where the cloth lies in shadow (its hue and saturation, darker than lit cloth).

    Each test depends on one 8-bit channel only, so it is a lookup table of that channel.
    """
    levels = np.arange(256, dtype=np.uint8)
    luts = ((hue_distance(levels, cloth.hue) < 10), (levels > 0.45 * cloth.saturation),
            (levels < 0.85 * cloth.value))
    h, s, v = (cv2.LUT(ch, lut.astype(np.uint8)) for ch, lut in zip(cv2.split(hsv), luts))
    return cv2.bitwise_and(cv2.bitwise_and(h, s), v).astype(np.float32)


def _cloth_share(bgr, cx, cy, r, cloth: ClothModel) -> float:
    """Share of the ball face (inner 0.7 r) that looks like lit cloth.

    HSV is converted for the face's box only (a per-pixel conversion: the same values as
    converting the whole picture, which most searches never need).
    """
    h, w = bgr.shape[:2]
    rr = max(1, int(0.7 * r))
    x, y = int(round(cx)), int(round(cy))
    patch = bgr[max(0, y - rr):min(h, y + rr + 1), max(0, x - rr):min(w, x + rr + 1)]
    if patch.size == 0:
        return 1.0
    patch = cv2.cvtColor(patch, cv2.COLOR_BGR2HSV)
    yy, xx = np.mgrid[max(0, y - rr):min(h, y + rr + 1), max(0, x - rr):min(w, x + rr + 1)]
    inside = (xx - cx) ** 2 + (yy - cy) ** 2 <= (0.7 * r) ** 2
    p = patch[inside].astype(np.float32)
    like = (hue_distance(p[:, 0], cloth.hue) < 4) & (np.abs(p[:, 2] - cloth.value) < 0.2 * cloth.value) \
        & (np.abs(p[:, 1] - cloth.saturation) < 0.3 * cloth.saturation)
    return float(like.mean()) if len(p) else 1.0


def _disc_mean(img, cx, cy, r) -> float:
    """Mean of a single-channel image over the disc of radius r at (cx, cy)."""
    rr = int(np.ceil(r)) + 1
    x, y = int(round(cx)), int(round(cy))
    ya, yb, xa, xb = max(0, y - rr), min(img.shape[0], y + rr + 1), max(0, x - rr), min(img.shape[1], x + rr + 1)
    if ya >= yb or xa >= xb:
        return 0.0
    yy, xx = np.mgrid[ya:yb, xa:xb]
    inside = (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r
    return float(img[ya:yb, xa:xb][inside].mean()) if inside.any() else 0.0


def detect_balls(image_bgr: np.ndarray, table: TableDetection, params: BallParams,
                 cloth: Optional[ClothModel] = None, centres_in: Optional[tuple] = None,
                 radius_ratio: Optional[float] = None, known_type=None) -> list[BallDetection]:
    """Balls on the playing surface of `table` in a BGR image.

    Balls much larger than WORK_RADIUS_PX (4K pictures) are searched for in a copy
    scaled down to that size, where colour edges have the contrast per pixel that
    the thresholds expect (a dark ball's outline spreads over more pixels the
    larger the picture) and the search costs what it costs at 1080p; type and
    number are then read from the full-resolution face.

    `centres_in` (x0, y0, x1, y1 image px) keeps only vote peaks in that box: a caller
    that searches a crop only for balls centred in its middle (detection.incremental)
    need not refine the candidates of the margin. `radius_ratio`: measured / predicted ball
    radius on the whole table (see `measured_radius_ratio`), for a crop with too few balls to measure it.
    `known_type(ball)` (image px) True for a ball whose type the caller knows already: it counts for the
    white balance but is not classified (type 'unknown').
    """
    if image_bgr is None or image_bgr.ndim != 3 or image_bgr.shape[2] != 3:
        raise ValueError('detect_balls needs a BGR image (H x W x 3)')
    if cloth is None:
        cloth = table.cloth or estimate_cloth(image_bgr)
    r_mid = table.derived('radius_mid', lambda: float(table.ball_radius_px(
        table.corners_px.mean(axis=0, keepdims=True))[0])) * params.radius_scale
    if SMALL_RADIUS_PX <= r_mid <= 1.25 * WORK_RADIUS_PX:
        balls = _detect_balls_at_scale(image_bgr, table, params, cloth, centres_in, radius_ratio, known_type)
    else:
        # faint_scale: see _detect_balls_at_scale.
        if r_mid > WORK_RADIUS_PX:
            target, faint_scale = WORK_RADIUS_PX, 1.0
        elif r_mid >= TINY_RADIUS_PX:
            target, faint_scale = UPSCALED_RADIUS_PX, r_mid / UPSCALED_RADIUS_PX
        else:
            # At 6 px the table's spots pass the faint look per pixel of the picture as faint stripes
            # (owner table 640x480: 0 -> 4 false balls); per pixel of the copy at 10 px they do not.
            target, faint_scale = TINY_UPSCALED_RADIUS_PX, 1.0
        balls = _detect_balls_scaled(image_bgr, table, params, cloth, target / r_mid, centres_in, radius_ratio,
                                     known_type, faint_scale)
    for b in balls:
        b.position_m = tuple(float(v) for v in table.to_table([[b.x, b.y]])[0])
    return balls


def measured_radius_ratio(balls: list, table: TableDetection, params: BallParams) -> Optional[float]:
    """Median measured / predicted radius of the balls with a complete outline (None below three):
    the lens and the table's height put the balls a few % off the table model's size."""
    full = [b for b in balls if b.support > 0.9]
    if not full:
        return None
    pred = table.ball_radius_px(np.array([[b.x, b.y] for b in full])) * params.radius_scale
    ratio = np.array([b.radius for b in full]) / pred
    ratio = ratio[np.abs(ratio - 1) < params.radius_tolerance]
    return float(np.median(ratio)) if len(ratio) >= 3 else None


def _detect_balls_scaled(image_bgr, table: TableDetection, params: BallParams, cloth, scale: float,
                         centres_in: Optional[tuple] = None, radius_ratio: Optional[float] = None, known_type=None,
                         faint_scale: float = 1.0):
    """detect_balls on a copy scaled by `scale`; positions mapped back, types read at the picture's own size."""
    H, W = image_bgr.shape[:2]
    small = cv2.resize(image_bgr, (max(8, int(round(W * scale))), max(8, int(round(H * scale)))),
                       interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    sx, sy = small.shape[1] / W, small.shape[0] / H
    # Pixel centres: u_small + 0.5 = (u + 0.5) * s.
    to_small = np.array([sx, sy])
    small_table = TableDetection((table.corners_px + 0.5) * to_small - 0.5, table.geometry,
                                 table.long_side_horizontal, cloth, table.confidence, table.manual)
    if centres_in is not None:
        bx0, by0, bx1, by1 = centres_in
        centres_in = ((bx0 + 0.5) * sx - 0.5, (by0 + 0.5) * sy - 0.5, (bx1 + 0.5) * sx - 0.5, (by1 + 0.5) * sy - 0.5)
    balls = _detect_balls_at_scale(small, small_table, params, cloth, centres_in, radius_ratio,
                                   faint_scale=faint_scale)
    for b in balls:
        b.x, b.y = (b.x + 0.5) / sx - 0.5, (b.y + 0.5) / sy - 0.5
        b.radius /= 0.5 * (sx + sy)
    type_in_box(image_bgr, balls, cloth, params, (0, 0), known_type)
    return balls


def is_smear(b: BallDetection) -> bool:
    """A motion-blurred ball of detect_balls: found as a capsule, with no outline support
    (its 'blurred' flag does not survive typing, which replaces `extra`)."""
    return bool(b.extra.get('blurred')) or b.support <= 0.0


def type_in_box(image_bgr, balls, cloth, params: BallParams, origin, known_type=None) -> None:
    """type_balls on the part of `image_bgr` (top-left corner at `origin`) around the balls.

    Typing reads each face within its radius and white-balances on the faces, so the
    box around all balls with two radii to spare reads the same pixels as the whole
    picture, without converting the rest of it.
    """
    if not balls:
        return
    H, W = image_bgr.shape[:2]
    ox, oy = origin
    pad = int(np.ceil(2 * max(b.radius for b in balls)))
    x0 = max(0, int(min(b.x for b in balls) - ox) - pad)
    y0 = max(0, int(min(b.y for b in balls) - oy) - pad)
    x1 = min(W, int(max(b.x for b in balls) - ox) + pad + 1)
    y1 = min(H, int(max(b.y for b in balls) - oy) + pad + 1)
    type_balls(image_bgr[y0:y1, x0:x1], balls, cloth, params, (ox + x0, oy + y0), known_type)
    for b in balls:
        if is_smear(b) and b.type in ('solid', 'stripe'):
            # A smear's colour is mixed along the blur (a fast red read as a maroon stripe): its number is
            # not read (right on 70 % of fast smears against 98 % of slow balls, break and shot clips);
            # a tracker weighed such a number against the positions of a break.
            b.number = None


def _detect_balls_at_scale(image_bgr: np.ndarray, table: TableDetection, params: BallParams,
                           cloth: Optional[ClothModel], centres_in: Optional[tuple] = None,
                           radius_ratio: Optional[float] = None, known_type=None,
                           faint_scale: float = 1.0) -> list[BallDetection]:
    """Balls on the playing surface of `table`, at the picture's own scale.

    `faint_scale`: the faint look's threshold is half the edge threshold times this: 1 / the upscale factor
    when the picture is a copy scaled up whose faint outlines are judged per pixel of the original.
    """
    H, W = image_bgr.shape[:2]
    r_corners = table.derived('corner_radii', lambda: table.ball_radius_px(table.corners_px)) * params.radius_scale
    pad = int(np.ceil(2.5 * r_corners.max()))
    x0 = max(0, int(np.floor(table.corners_px[:, 0].min())) - pad)
    y0 = max(0, int(np.floor(table.corners_px[:, 1].min())) - pad)
    x1 = min(W, int(np.ceil(table.corners_px[:, 0].max())) + pad)
    y1 = min(H, int(np.ceil(table.corners_px[:, 1].max())) + pad)
    if x1 - x0 < 8 or y1 - y0 < 8:
        return []
    roi = image_bgr[y0:y1, x0:x1]
    h, w = roi.shape[:2]
    rmap, r_med = _radius_map(table, x0, y0, w, h, params.radius_scale)
    sigma = max(0.7, 0.06 * r_med)
    lab = cv2.cvtColor(np.divide(cv2.GaussianBlur(roi, (0, 0), sigma), np.float32(255), dtype=np.float32),
                       cv2.COLOR_BGR2Lab)
    mag, theta = _colour_gradient(lab)

    poly = table.corners_px - [x0, y0]
    mask = table.derived(('search_area', x0, y0, w, h, params.surface_margin, r_med),
                         lambda: _search_area(poly, (h, w), (params.surface_margin + 1.2) * r_med))
    # Sensor noise makes edges everywhere: an outline must stand above the noise's own gradients,
    # measured on the cloth (most of the search area, so the median is the noise's).
    edge_floor = params.noise_edge_factor * float(np.median(mag[mask > 0]))
    # Faint outlines (votes, and the weak second look of refine) need half the edge threshold, per pixel of the
    # picture as it came when this is a copy scaled up (faint_scale): the copy adds no detail, it spreads each
    # edge over more pixels, so per its pixel a faint outline is that much fainter (a cloth-hued ball in a
    # blurred picture at 9.6 px: outline support 0.94 at its own scale, 0.62 in a copy at 14 px judged per
    # pixel of the copy, so lost). The full threshold stays per pixel of the copy: a weak outline must also be
    # a near-perfect circle, a full one need not, and in racks below 720p weaker edges inside balls (stripe
    # caps, a black ball against dark neighbours) then made circles between two balls.
    faint = max(0.5 * params.edge_threshold * faint_scale, edge_floor)
    acc = _vote(mag, theta, rmap, mask.astype(bool), faint)
    acc = cv2.GaussianBlur(acc, (0, 0), max(0.8, 0.15 * r_med))
    # Votes a full outline would give, for a relative peak threshold.
    full = 2 * np.pi * r_med * 2.0
    win = max(3, int(0.9 * r_med) | 1)
    peaks = (acc >= cv2.dilate(acc, np.ones((win, win), np.uint8))) & (acc > 0.03 * full)
    ys, xs = np.nonzero(peaks)
    if centres_in is not None:
        # Peaks up to a radius outside the box too: a ball whose centre lies just outside has off-centre
        # peaks inside, and refined without its own central peak one of them lands on a wrong circle.
        bx0, by0, bx1, by1 = centres_in
        m = 1.0 + r_med
        inbox = (xs + x0 >= bx0 - m) & (xs + x0 < bx1 + m) & (ys + y0 >= by0 - m) & (ys + y0 < by1 + m)
        xs, ys = xs[inbox], ys[inbox]
    if len(xs) == 0 and centres_in is None:
        return []   # (a crop without ring candidates may still hold a motion-blurred ball: go on)
    order = np.argsort(-acc[ys, xs])[:400]
    cand = np.stack([xs[order], ys[order]], axis=1).astype(np.float64)
    r_pred = rmap[cand[:, 1].astype(int), cand[:, 0].astype(int)].astype(np.float64)

    # The shadow map is needed only when two candidates have a complete outline (refine asks for it then).
    def shade():
        if cloth is None:
            return np.zeros((h, w), np.float32)
        return _shade_map(cv2.cvtColor(roi, cv2.COLOR_BGR2HSV), cloth)
    fit = refine(lab, shade, cand, r_pred, params, edge_floor, radius_ratio, faint)
    # Chromaticity of dark pixels (shadows) is noisy: judge it on a smoothed picture.
    fg = _chroma_foreground(cv2.GaussianBlur(roi, (0, 0), max(1.0, 0.12 * r_med)), cloth, params) \
        if cloth is not None else None
    found = []
    for i in range(len(cand)):
        fx, fy, fr, support, resid, weak = fit[i]
        rp = r_pred[i]
        if not np.isfinite(resid) or support < params.min_outline_support:
            continue
        # A faint outline must be a near-perfect circle of the right size.
        if weak and (support < 0.7 or resid > 0.06 * rp or abs(fr / rp - 1.0) > 0.5 * params.radius_tolerance):
            continue
        if abs(fr / rp - 1.0) > params.radius_tolerance:
            continue
        if np.hypot(fx - cand[i, 0], fy - cand[i, 1]) > 0.6 * rp:
            continue
        inside = table.signed_distance_inside([[fx + x0, fy + y0]])[0]
        if inside < -params.surface_margin * rp:
            continue
        # Pocket holes and liners have rounded edges; near a pocket only a nearly
        # complete outline counts as a ball.
        d_pocket = np.hypot(table.pockets_px[:, 0] - fx - x0, table.pockets_px[:, 1] - fy - y0) \
            - table.pocket_radii_px
        if d_pocket.min() < rp and support < params.pocket_min_support:
            continue
        # Away from the pocket mouths a ball touching a cushion is still a radius inside its nose:
        # circles on the cushion are hands, bridges and balls seen behind it.
        if d_pocket.min() > 2 * rp and inside < params.cushion_margin * rp:
            continue
        # A face of cloth chromaticity inside an incomplete or faint outline is cloth in a shadow
        # (beside a cluster the outlines of its balls make a circle of one). A ball of the cloth's
        # own hue has that chromaticity too, but a crisp outline all round.
        if (weak or support < 0.9) and fg is not None and \
                _disc_mean(fg, fx, fy, 0.7 * fr) < SHADOW_FACE_MAX_FOREGROUND:
            continue
        cloth_like = _cloth_share(roi, fx, fy, fr, cloth) if cloth is not None else 0.0
        if cloth_like > 0.5:
            continue
        conf = float(np.clip(support, 0, 1) * np.clip(1.0 - resid / (0.25 * rp), 0, 1)
                     * (1.0 - cloth_like) * np.clip(1.0 - abs(fr / rp - 1.0) / (2 * params.radius_tolerance), 0, 1))
        conf = float(np.clip(conf ** 0.5, 0, 1))
        if conf < params.min_confidence:
            continue
        found.append(BallDetection(float(fx + x0), float(fy + y0), float(fr), conf, support=float(support),
                                   extra={'weak': bool(weak)}))
    balls = _suppress(found, params.min_separation, table)
    if cloth is not None:
        balls = _drop_parts_of_larger_things(balls, fg, lab, (x0, y0))
        surface = table.derived(('inner_surface', x0, y0, w, h, r_med), lambda: _inner_surface(poly, (h, w), r_med))
        balls = _smeared_balls(fg, lab, surface, (x0, y0), rmap, r_med, balls, table, params)
    type_in_box(roi, balls, cloth, params, (x0, y0), known_type)
    return balls


def _search_area(poly, shape, grow: float) -> np.ndarray:
    """uint8 mask of the surface polygon grown by `grow` px (outline pixels of balls at its edge), read only."""
    centre = poly.mean(axis=0)
    grown = centre + (poly - centre) * (1 + grow / np.linalg.norm(poly - centre, axis=1, keepdims=True))
    mask = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(mask, np.round(grown).astype(np.int32), 1)
    mask.flags.writeable = False
    return mask


def _inner_surface(poly, shape, r_med: float) -> np.ndarray:
    """uint8 mask of the surface less half a ball at its edge (where a smear may lie), read only."""
    surface = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(surface, np.round(poly).astype(np.int32), 1)
    surface = cv2.erode(surface, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (int(r_med) | 1,) * 2))
    surface.flags.writeable = False
    return surface


def _chroma_foreground(roi, cloth: ClothModel, params: BallParams) -> np.ndarray:
    """uint8 mask of pixels whose chromaticity is not the cloth's (shadows keep it, balls do not).

    Channel by channel on float32 planes (the arithmetic of a per-pixel vector norm, in fewer passes).
    """
    f = roi.astype(np.float32)
    f += 1.0
    total = (f[..., 0] + f[..., 1]) + f[..., 2]
    c = np.array(cloth.bgr, np.float32) + 1.0
    c = c / c.sum()
    dist = None
    for k in range(3):
        d = f[..., k] / total
        d -= c[k]
        d *= d
        dist = d if dist is None else cv2.add(dist, d)
    return (cv2.sqrt(dist) > np.float32(params.blur_chroma_distance)).astype(np.uint8)


def _drop_parts_of_larger_things(balls, fg, lab, origin) -> list:
    """Drop circles lying in something bigger than a ball (fingers of a hand, a sleeve).

    With every detected ball blanked out, a real ball is surrounded by cloth and
    shadow (or other balls); a finger is surrounded by the rest of the hand. A weak
    circle goes when it touches such a thing of its colour, a crisp one only when
    it lies mostly inside it.
    Circles tiling a hand hide it from each other, so the test is repeated with
    the dropped circles given back to the picture.
    """
    if not balls:
        return []
    x0, y0 = origin
    ang = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    keep = list(balls)
    for _ in range(3):
        rest = fg.copy()
        for b in keep:
            cv2.circle(rest, (int(round(b.x - x0)), int(round(b.y - y0))), int(np.ceil(1.1 * b.radius)), 0, -1)
        n, labels, stats, _ = cv2.connectedComponentsWithStats(rest, connectivity=8)
        kept = [b for b in keep if not _part_of_larger_thing(b, labels, stats, lab, origin, ang)]
        if len(kept) == len(keep):
            break
        keep = kept
    return keep


def _part_of_larger_thing(b, labels, stats, lab, origin, ang) -> bool:
    sure = b.support >= 0.9 and not b.extra.get('weak')
    x0, y0 = origin
    rad = np.linspace(1.15, 1.5, 3)[:, None] * b.radius
    px = np.round(b.x - x0 + rad * np.cos(ang)).astype(int)
    py = np.round(b.y - y0 + rad * np.sin(ang)).astype(int)
    ok = (px >= 0) & (px < labels.shape[1]) & (py >= 0) & (py < labels.shape[0])
    ring = labels[py[ok], px[ok]]
    big = [t for t in np.unique(ring) if t > 0 and stats[t, cv2.CC_STAT_AREA] > 2.5 * np.pi * b.radius ** 2]
    if not big:
        return False
    # ... and only when the circle has the colour of that bigger thing.
    face = sample(lab, b.x - x0 + 0.5 * b.radius * np.cos(ang), b.y - y0 + 0.5 * b.radius * np.sin(ang))
    near = np.isin(ring, big)
    other = sample(lab, px[ok][near].astype(np.float32), py[ok][near].astype(np.float32))
    similar = np.linalg.norm(np.median(face, axis=0) - np.median(other, axis=0)) < 25.0
    if sure:
        # A crisp circle is a ball unless it lies mostly inside that thing and has its colour
        # (a knuckle of the bridge hand).
        return bool(similar and near.mean() > 0.5)
    return bool(similar or b.support < 0.75 or b.extra.get('weak'))


def _smeared_balls(fg, lab, surface, origin, rmap, r_med: float, balls, table: TableDetection,
                   params: BallParams) -> list[BallDetection]:
    """Balls smeared by motion blur: capsules one ball wide and longer than a ball.

    The smear is symmetric about the mid-exposure position (the ball's centre), so
    the centroid of the capsule is the centre. A circle fit cannot place a ball
    smeared over more than its diameter (its ends are soft ramps that pin
    nothing; where the fit settles differs from CPU to CPU), so circles lying in a
    capsule with soft ends are replaced by the capsule's ball. Capsules touching a
    detected ball are looked for again with the balls blanked out. Pixels are
    foreground when their chromaticity differs from the cloth's, which ignores
    shadows (a shadow darkens the cloth but keeps its chromaticity).
    Returns the balls with the smeared ones replaced or added.
    """
    x0, y0 = origin
    h, w = fg.shape
    at = [(int(np.clip(round(b.y - y0), 0, h - 1)), int(np.clip(round(b.x - x0), 0, w - 1))) for b in balls]
    smears = _capsules(fg, surface, lab, rmap, r_med, origin, table, params, soft_ends=True)
    inside = {j for j, (yy, xx) in enumerate(at) for s in smears if s[3][yy, xx]}
    kept = [b for j, b in enumerate(balls) if j not in inside]
    rest = fg.copy()
    for b in kept:
        cv2.circle(rest, (int(round(b.x - x0)), int(round(b.y - y0))), int(np.ceil(1.25 * b.radius)), 0, -1)
    for s in smears:
        rest[s[3]] = 0
    more = _capsules(rest, surface, lab, rmap, r_med, origin, table, params, soft_ends=False)
    out = kept
    for cx, cy, r, _, conf in smears + more:
        out.append(BallDetection(float(cx + x0), float(cy + y0), r, conf, support=0.0, extra={'blurred': True}))
    return out


def opened_components(on: np.ndarray, k: int) -> tuple:
    """Components of `on` opened by a k x k ellipse: (n, labels, stats, centroids, (ox, oy)).

    The same as cv2.morphologyEx + cv2.connectedComponentsWithStats on the whole mask, computed in
    the box around its foreground grown by the kernel: outside that box the opening is empty,
    inside it the same (the kernel never reaches the box's edge from a foreground pixel). The box
    starts at even coordinates: OpenCV labels in 2 x 2 blocks, and on the same block grid the
    components come out numbered as in the whole mask. `labels` covers the box from (ox, oy);
    stats and centroids are in mask pixels (a centroid is an integer sum of coordinates / area,
    so the box's sums shifted back give the whole mask's to the bit); those of label 0 (the
    background) cover the box only.
    """
    bx0, by0, bw0, bh0 = cv2.boundingRect(on)
    ox, oy = max(0, bx0 - k) & ~1, max(0, by0 - k) & ~1
    sub = on[oy:min(on.shape[0], by0 + bh0 + k), ox:min(on.shape[1], bx0 + bw0 + k)]
    opened = cv2.morphologyEx(sub, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    n, labels, stats, cents = cv2.connectedComponentsWithStats(opened, connectivity=8)
    stats[:, 0] += ox
    stats[:, 1] += oy
    area = stats[:, cv2.CC_STAT_AREA:cv2.CC_STAT_AREA + 1].astype(np.float64)
    cents = (np.rint(cents * area) + area * (ox, oy)) / np.maximum(area, 1)
    return n, labels, stats, cents, (ox, oy)


def _capsules(fg, surface, lab, rmap, r_med: float, origin, table: TableDetection, params: BallParams, soft_ends: bool):
    """(cx, cy, r, footprint mask, confidence) of ball-wide capsules standing alone in fg (ROI px).

    With `soft_ends` a capsule must also end in soft ramps (the colour edge at its
    ends much weaker than along its sides), which tells a smeared ball from two
    balls touching in a row.
    """
    x0, y0 = origin
    on = fg & surface
    # Opening only removes pixels: with fewer than the smallest capsule's there is none (most crops).
    if cv2.countNonZero(on) < 1.1 * np.pi * float(rmap.min()) ** 2:
        return []
    k = max(3, int(0.9 * r_med) | 1)
    n, labels, stats, cents, (ox, oy) = opened_components(on, k)
    whole_labels = whole_stats = None
    out = []
    for i in range(1, n):
        cx, cy = cents[i]
        r = float(rmap[int(cy), int(cx)])
        if stats[i, cv2.CC_STAT_AREA] < 1.1 * np.pi * r * r:
            continue
        if whole_labels is None:
            _, whole_labels, whole_stats, _ = cv2.connectedComponentsWithStats(fg, connectivity=8)
        bx, by, bw, bh = (int(v) for v in stats[i, :4])
        ys, xs = np.nonzero(labels[by - oy:by - oy + bh, bx - ox:bx - ox + bw] == i)
        ys, xs = ys + by, xs + bx
        # A smear stands alone on the cloth; a forearm's piece is part of a larger arm, hand and stick.
        whole = np.bincount(whole_labels[ys, xs]).argmax()
        if whole_stats[whole, cv2.CC_STAT_AREA] > 1.5 * stats[i, cv2.CC_STAT_AREA]:
            continue
        pts = np.column_stack([xs, ys]).astype(np.float32)
        (_, _), (w1, w2), angle = cv2.minAreaRect(pts)
        width, length = min(w1, w2), max(w1, w2)
        if not (1.2 * r <= width <= 2.6 * r and 2.0 * r <= length <= 12 * r):
            continue
        if table.signed_distance_inside([[cx + x0, cy + y0]])[0] < -params.surface_margin * r:
            continue
        if soft_ends:
            # Up to about a diameter of smear the circle fit still finds the ball (the ramps at the
            # ends are centred on its outline); a clear margin beyond that is left to this.
            if length < width + 0.7 * r or len(xs) < 0.7 * width * length:
                continue
            if _end_sharpness(lab, xs, ys, cx, cy, r) > 0.6:
                continue
        footprint = np.zeros(fg.shape, bool)
        footprint[ys, xs] = True
        out.append((float(cx), float(cy), r, footprint, 0.6))
    return out


def _end_sharpness(lab, xs, ys, cx, cy, r) -> float:
    """Colour step at the two ends of a capsule relative to its sides (about 1 for balls in a row).

    Motion blur spreads the ball's leading and trailing outline over the smear
    length, while the sides stay as crisp as a resting ball's outline. Steps are
    measured along the axis at the ends and across it at the sides, so streaks
    running along the smear do not count as end edges.
    """
    pts = np.column_stack([xs - cx, ys - cy]).astype(np.float64)
    _, _, vt = np.linalg.svd(pts, full_matrices=False)
    u = vt[0]
    t, q = pts @ u, pts @ np.array([-u[1], u[0]])
    half = 0.5 * (t.max() - t.min())
    mid = 0.5 * (t.max() + t.min())
    step = 0.5
    reach = np.arange(-0.6 * r, 0.6 * r + step, step)    # search band across each end / side of the fg outline

    def strongest(px, py, dx, dy):
        v = sample(lab, (px[:, None] + reach[None] * dx).astype(np.float32),
                   (py[:, None] + reach[None] * dy).astype(np.float32))
        grad = np.linalg.norm(np.diff(v, axis=1), axis=2) / step
        return float(np.median(grad.max(axis=1)))

    across = np.linspace(-0.4, 0.4, 5) * r
    ends = []
    for sign in (1.0, -1.0):
        ex = cx + (mid + sign * half) * u[0] - across * u[1]
        ey = cy + (mid + sign * half) * u[1] + across * u[0]
        ends.append(strongest(ex, ey, u[0], u[1]))
    along = mid + np.linspace(-0.4, 0.4, 5) * max(half - r, 0.0)
    sides = []
    for sign in (1.0, -1.0):
        off = sign * np.percentile(np.abs(q), 95)
        sx = cx + along * u[0] - off * u[1]
        sy = cy + along * u[1] + off * u[0]
        sides.append(strongest(sx, sy, -u[1], u[0]))
    # The side or end in the shadow is soft for any ball: the crisper one counts.
    return max(ends) / max(max(sides), 1e-6)


def _suppress(balls: list[BallDetection], min_sep: float, table: TableDetection) -> list[BallDetection]:
    """Keep the most confident of detections closer than min_sep ball radii on the table plane.

    In an oblique (broadcast) view a ball behind another one may overlap it in
    the image although it is a diameter away on the table: a weaker detection
    overlapping a stronger one survives only when it lies behind it (smaller
    apparent ball) and is far enough from it in metres.
    """
    if not balls:
        return []
    # An outline found only at half the edge threshold (weak) counts WEAK_PENALTY less against an overlapping
    # one that stands at the full threshold: beside a dark ball its shadow can make a faint circle that fits
    # as well (a faint ball on cloth of its own colour still beats a clearly worse fit).
    balls = sorted(balls, key=lambda b: -(b.confidence - (WEAK_PENALTY if b.extra.get('weak') else 0.0)))
    xy = np.array([[b.x, b.y] for b in balls])
    pos = table.to_table(xy)
    size = table.ball_radius_px(xy)

    def apart(i, k):
        if np.hypot(*(pos[i] - pos[k])) <= min_sep * BALL_RADIUS_M:
            return False
        overlap = np.hypot(*(xy[i] - xy[k])) <= min_sep * 0.5 * (balls[i].radius + balls[k].radius)
        return not overlap or size[i] < size[k]

    keep: list[int] = []
    for i in range(len(balls)):
        if all(apart(i, k) for k in keep):
            keep.append(i)
    return [balls[i] for i in keep]
