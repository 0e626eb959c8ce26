# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Playing-surface detection: cloth colour -> outline -> cushion-nose corners -> homography.

1. The cloth colour is estimated from the picture (colors.estimate_cloth).
2. On a reduced copy the largest cloth region is found; the four sides of its
   outline are fitted as lines (side-pocket notches and balls are outliers).
   That outline is where the cloth meets the rail, i.e. the top of the cushions.
3. At full resolution brightness profiles across each side locate the cushion
   nose: the strongest bright-to-dark step inside the cushion band (cushion top
   -> face / shadow). Per-profile sub-pixel steps are fitted as a line; the
   four nose lines intersect at the corners. Without a step (cushions not
   covered by the cloth) the outline itself is the nose.
4. The long sides are those with side pockets (a notch in the cloth outline);
   the corners map to the table frame (table_geometry conventions), giving the
   homography and the six pocket mouths.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Optional

import cv2
import numpy as np

from ..table_geometry import BALL_RADIUS_M, POCKET_CORNER, TableGeometry, apply_homography
from .colors import ClothModel, cloth_mask, estimate_cloth
from .params import TableParams


# Budget of a DerivedArrays store: over 1500 frames of the 720p demo the ball search took about the same
# time per frame with it as with the per-crop entry limit before it (under which they grew to 370 MB).
DERIVED_BYTES = 48 << 20


def _nbytes(value) -> int:
    if isinstance(value, tuple):
        return sum(_nbytes(v) for v in value)
    return int(getattr(value, 'nbytes', 64))


class DerivedArrays:
    """Arrays derived from a homography, the least recently used dropped beyond a byte budget.

    A count limit is not enough: the ball search keeps a radius map and masks per crop window, and
    windows around moving balls are new every frame, so a few hundred entries ran to 370 MB.
    """

    def __init__(self, budget_bytes: int = DERIVED_BYTES):
        self.budget = int(budget_bytes)
        self.nbytes = 0
        self._items: OrderedDict = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key, make):
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
            return item[0]
        value = make()
        size = _nbytes(value)
        self._items[key] = (value, size)
        self.nbytes += size
        while self.nbytes > self.budget and len(self._items) > 1:
            _, (_, dropped) = self._items.popitem(last=False)
            self.nbytes -= dropped
        return value


@dataclass
class TableDetection:
    """A table in one image. Corners TL, TR, BR, BL on screen; H maps px -> table metres."""

    corners_px: np.ndarray
    geometry: TableGeometry
    long_side_horizontal: bool = True
    cloth: Optional[ClothModel] = None
    confidence: float = 1.0
    manual: bool = False
    homography: np.ndarray = field(init=False)
    pockets_px: np.ndarray = field(init=False)
    pocket_kinds: list = field(init=False)
    pocket_radii_px: np.ndarray = field(init=False)
    # (homography, its inverse): to_image runs four times per ball_radius_px call.
    _inverse: tuple = field(init=False, default=(None, None), repr=False, compare=False)
    # Arrays derived from the homography by other modules (the ball search's radius maps per window):
    # (homography they belong to, DerivedArrays, key prefix when the store is shared by several tables).
    _derived: tuple = field(init=False, default=(None, None, ()), repr=False, compare=False)

    def __post_init__(self):
        self.corners_px = np.asarray(self.corners_px, dtype=np.float64).reshape(4, 2)
        g = self.geometry
        table_corners = g.corners()
        if not self.long_side_horizontal:
            # Long side vertical on screen: x runs down the image, y to the right.
            hl, hw = g.length / 2.0, g.width / 2.0
            table_corners = np.array([[-hl, -hw], [-hl, hw], [hl, hw], [hl, -hw]])
        self.homography = cv2.getPerspectiveTransform(self.corners_px.astype(np.float32),
                                                      table_corners.astype(np.float32)).astype(np.float64)
        inv = np.linalg.inv(self.homography)
        kinds, pts_m = zip(*g.pockets())
        pts_px = apply_homography(inv, np.array(pts_m))
        # Clockwise on screen from the top-left corner pocket.
        centre = self.corners_px.mean(axis=0)
        ang = np.arctan2(pts_px[:, 1] - centre[1], pts_px[:, 0] - centre[0])
        start = np.arctan2(self.corners_px[0, 1] - centre[1], self.corners_px[0, 0] - centre[0])
        order = np.argsort((ang - start + 1e-6) % (2 * np.pi))
        self.pockets_px = pts_px[order]
        self.pocket_kinds = [kinds[i] for i in order]
        radii = []
        for i in order:
            mouth = g.pocket_mouth(kinds[i]) / 2.0
            radii.append(self.scale_px(pts_px[i]) * mouth)
        self.pocket_radii_px = np.array(radii)

    def to_table(self, pts_px) -> np.ndarray:
        return apply_homography(self.homography, pts_px)

    def to_image(self, pts_m) -> np.ndarray:
        h, inv = self._inverse
        if h is not self.homography:
            inv = np.linalg.inv(self.homography)
            self._inverse = (self.homography, inv)
        return apply_homography(inv, pts_m)

    def derived(self, key, make):
        """make() computed once per homography and key (a crop searched again every frame reuses it)."""
        h, store, prefix = self._derived
        if h is not self.homography:
            store, prefix = DerivedArrays(), ()
            self._derived = (self.homography, store, prefix)
        return store.get((prefix, key), make)

    def share_derived(self, store: DerivedArrays, prefix: tuple) -> None:
        """Keep derived arrays in `store` under keys starting with `prefix` (one budget for many crops)."""
        self._derived = (self.homography, store, tuple(prefix))

    def scale_px(self, pts_px) -> np.ndarray:
        """Pixels per metre on the table plane at image points (geometric mean of the two axes)."""
        pts = np.asarray(pts_px, dtype=np.float64).reshape(-1, 2)
        m = self.to_table(pts)
        eps = 0.01
        dx = self.to_image(m + [eps, 0.0]) - self.to_image(m - [eps, 0.0])
        dy = self.to_image(m + [0.0, eps]) - self.to_image(m - [0.0, eps])
        s = np.sqrt(np.abs(dx[:, 0] * dy[:, 1] - dx[:, 1] * dy[:, 0])) / (2 * eps)
        return s if np.ndim(pts_px) > 1 else s[0]

    def ball_radius_px(self, pts_px) -> np.ndarray:
        """Apparent ball radius [px]: a sphere is not foreshortened, so the plane's larger scale."""
        pts = np.asarray(pts_px, dtype=np.float64).reshape(-1, 2)
        m = self.to_table(pts)
        eps = 0.01
        dx = (self.to_image(m + [eps, 0.0]) - self.to_image(m - [eps, 0.0])) / (2 * eps)
        dy = (self.to_image(m + [0.0, eps]) - self.to_image(m - [0.0, eps])) / (2 * eps)
        jac = np.stack([dx, dy], axis=2)                       # N x 2 x 2
        s_max = np.linalg.svd(jac, compute_uv=False)[:, 0]
        r = s_max * BALL_RADIUS_M
        return r if np.ndim(pts_px) > 1 else r[0]

    def signed_distance_inside(self, pts_px) -> np.ndarray:
        """Distance [px] of points inside the corner polygon (negative outside)."""
        pts = np.asarray(pts_px, dtype=np.float64).reshape(-1, 2)
        c = self.corners_px
        d = np.full(len(pts), np.inf)
        for i in range(4):
            a, b = c[i], c[(i + 1) % 4]
            e = (b - a) / np.linalg.norm(b - a)
            n = np.array([-e[1], e[0]])  # clockwise polygon on screen: this normal points inside
            d = np.minimum(d, (pts - a) @ n)
        return d

    def to_json(self) -> dict:
        return {'corners_px': [[round(float(x), 2), round(float(y), 2)] for x, y in self.corners_px],
                'pockets_px': [[round(float(x), 2), round(float(y), 2)] for x, y in self.pockets_px]}


def order_corners(pts: np.ndarray) -> np.ndarray:
    """TL, TR, BR, BL (clockwise on screen, y down) of four points."""
    pts = np.asarray(pts, dtype=np.float64).reshape(4, 2)
    c = pts.mean(axis=0)
    ang = np.arctan2(pts[:, 1] - c[1], pts[:, 0] - c[0])
    pts = pts[np.argsort(ang)]          # clockwise on screen starting near the left
    tl = int(np.argmin(np.abs(((np.arctan2(pts[:, 1] - c[1], pts[:, 0] - c[0]) + 3 * np.pi / 4 + np.pi)
                               % (2 * np.pi)) - np.pi)))
    return np.roll(pts, -tl, axis=0)


def _intersect(l1, l2) -> np.ndarray:
    (p1, d1), (p2, d2) = l1, l2
    a = np.array([d1, -d2]).T
    t = np.linalg.solve(a, p2 - p1)
    return p1 + t[0] * d1


def _fit_line(points: np.ndarray):
    vx, vy, x0, y0 = cv2.fitLine(points.astype(np.float32), cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
    return np.array([x0, y0], dtype=np.float64), np.array([vx, vy], dtype=np.float64)


def _quad_from_outline(contour: np.ndarray) -> Optional[np.ndarray]:
    """Four corners of the outline: polygon approximation, then robust side lines."""
    hull = cv2.convexHull(contour)
    perim = cv2.arcLength(hull, True)
    quad = None
    for frac in np.linspace(0.01, 0.12, 23):
        approx = cv2.approxPolyDP(hull, frac * perim, True)
        if len(approx) == 4:
            quad = approx.reshape(4, 2).astype(np.float64)
            break
        if len(approx) < 4:
            break
    if quad is None:
        return None
    quad = order_corners(quad)
    pts = contour.reshape(-1, 2).astype(np.float64)
    lines = []
    for i in range(4):
        a, b = quad[i], quad[(i + 1) % 4]
        p0, d = a, (b - a) / np.linalg.norm(b - a)
        length = np.linalg.norm(b - a)
        tol = max(2.0, 0.05 * length)
        for _ in range(4):
            t = (pts - a) @ d
            dist = np.abs((pts - p0) @ np.array([-d[1], d[0]]))
            sel = (dist < tol) & (t > 0.12 * length) & (t < 0.88 * length)
            if sel.sum() < 10:
                return None
            p0, d = _fit_line(pts[sel])
            if d @ (b - a) < 0:
                d = -d
            tol = max(1.5, tol * 0.5)
        lines.append((p0, d))
    return np.array([_intersect(lines[i - 1], lines[i]) for i in range(4)])


def _inward_normal(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    e = (b - a) / np.linalg.norm(b - a)
    return np.array([-e[1], e[0]])


def _parabola_peak(y0, y1, y2):
    """Sub-sample offset (-0.5..0.5) of the extremum of a parabola through three samples."""
    den = y0 - 2 * y1 + y2
    frac = np.where(np.abs(den) > 1e-9, 0.5 * (y0 - y2) / np.where(den == 0, 1, den), 0.0)
    return np.clip(frac, -0.5, 0.5)


class _SideCurve:
    """A table side as offset(t) = c0 + c1 t + c2 t^2 along a reference chord.

    The quadratic term absorbs lens distortion, which bows straight cushions;
    intersecting the curves (not straight lines) keeps the corners exact.
    """

    def __init__(self, a, b, coeffs):
        self.a = a
        self.u = (b - a) / np.linalg.norm(b - a)
        self.n = np.array([-self.u[1], self.u[0]])
        self.c = np.asarray(coeffs, dtype=np.float64)   # highest power first (np.polyval)

    def tangent(self, p):
        t = float((p - self.a) @ self.u)
        q = self.a + t * self.u + np.polyval(self.c, t) * self.n
        return q, self.u + np.polyval(np.polyder(self.c), t) * self.n


def _curve_corner(c1: _SideCurve, c2: _SideCurve) -> np.ndarray:
    p = _intersect((c1.a, c1.u), (c2.a, c2.u))
    for _ in range(20):
        q = _intersect(c1.tangent(p), c2.tangent(p))
        if np.linalg.norm(q - p) < 1e-4:
            return q
        p = q
    return p


def _fit_offsets(t, off, length):
    """Robust quadratic fit of edge offsets along a side (straight if the bow is not supported)."""
    keep = np.ones(len(t), bool)
    coeffs = np.polyfit(t, off, 1)
    for _ in range(3):
        deg = 2 if keep.sum() >= 12 else 1
        coeffs = np.polyfit(t[keep] / length, off[keep], deg)
        res = np.abs(np.polyval(coeffs, t / length) - off)
        keep = res < max(0.75, 3.0 * np.median(res[keep]))
    coeffs = np.pad(coeffs, (3 - len(coeffs), 0))
    return coeffs / np.array([length ** 2, length, 1.0])


def _find_noses(gray: np.ndarray, outer: np.ndarray, band_px: float, min_step: float) -> np.ndarray:
    """Cushion-nose corners from brightness profiles across each side of the outline."""
    curves = []
    step = 0.5
    for i in range(4):
        a, b = outer[i], outer[(i + 1) % 4]
        length = float(np.linalg.norm(b - a))
        n = _inward_normal(a, b)
        ts = np.concatenate([np.linspace(0.06, 0.42, 60), np.linspace(0.58, 0.94, 60)])
        offs = np.arange(-0.2 * band_px, band_px + step, step)
        base = a[None, :] + ts[:, None] * (b - a)[None, :]
        pts = base[:, None, :] + offs[None, :, None] * n[None, None, :]
        prof = cv2.remap(gray, pts[..., 0].astype(np.float32), pts[..., 1].astype(np.float32),
                         cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        deriv = np.gradient(prof, step, axis=1)
        med = np.median(deriv, axis=0)
        usable = offs >= max(1.5, 0.15 * band_px)
        j = int(np.argmin(np.where(usable, med, np.inf)))
        drop = -med[j] * 4.0  # brightness change over ~4 px
        bed = float(np.median(prof[:, -max(3, len(offs) // 8):]))  # cloth brightness inside
        if drop < min_step * max(bed, 1.0):
            # No cushion step: the cloth ends at the nose itself.
            curves.append(_SideCurve(a, b, [0.0, 0.0, 0.0]))
            continue
        # Per profile: the strongest drop near the common one (the bow of a distorted
        # side moves it by a few pixels), sub-pixel by a parabola.
        win = int(max(4, 0.2 * band_px / step))
        lo, hi = max(1, j - win), min(len(offs) - 2, j + win)
        rows = np.arange(len(ts))
        k = np.clip(np.argmin(deriv[:, lo:hi + 1], axis=1) + lo, 1, len(offs) - 2)
        off = offs[k] + _parabola_peak(deriv[rows, k - 1], deriv[rows, k], deriv[rows, k + 1]) * step
        good = -deriv[rows, k] > 0.4 * (-med[j])
        if good.sum() < 8:
            curves.append(_SideCurve(a, b, [0.0, 0.0, offs[j]]))
            continue
        curves.append(_SideCurve(a, b, _fit_offsets(ts[good] * length, off[good], length)))
    return np.array([_curve_corner(curves[i - 1], curves[i]) for i in range(4)]), curves


def _snap_pockets_to_sides(table: TableDetection, curves) -> None:
    """Move each pocket mouth onto the fitted (distortion-bowed) cushion line nearest to it."""
    for i, p in enumerate(table.pockets_px):
        if table.pocket_kinds[i] == POCKET_CORNER:
            continue
        dists = [abs(float((p - c.a) @ c.n) - np.polyval(c.c, float((p - c.a) @ c.u))) for c in curves]
        table.pockets_px[i] = curves[int(np.argmin(dists))].tangent(p)[0]


def _perspective_vote(corners: np.ndarray, image_size, geometry: TableGeometry) -> Optional[bool]:
    """Which side is long, from the camera: only the right aspect gives a real focal length.

    With square pixels and the principal point at the image centre, the two axes of a
    plane seen through a pinhole camera have equal scale: |K^-1 h1| = |K^-1 h2|. That
    fixes f^2; the wrong aspect needs f^2 < 0 or an absurd f. None when both or neither
    hypothesis is plausible (straight-down views: then the pockets decide).
    """
    w, h = image_size
    shift = np.array([[1, 0, -w / 2.0], [0, 1, -h / 2.0], [0, 0, 1]])
    hl, hw = geometry.length / 2, geometry.width / 2
    focal = {}
    for horizontal in (True, False):
        plane = np.array([[-hl, hw], [hl, hw], [hl, -hw], [-hl, -hw]]) if horizontal else \
            np.array([[-hl, -hw], [-hl, hw], [hl, hw], [hl, -hw]])
        hm = shift @ cv2.getPerspectiveTransform(plane.astype(np.float32), corners.astype(np.float32))
        (a1, a2), (b1, b2), (c1, c2) = hm[0, :2], hm[1, :2], hm[2, :2]
        den = c1 * c1 - c2 * c2
        f2 = -(a1 * a1 + b1 * b1 - a2 * a2 - b2 * b2) / den if abs(den) > 1e-15 else -1.0
        # Plausible lenses: 5 .. 200 degrees... i.e. f between a tenth and 30 image widths.
        focal[horizontal] = f2 > 0 and 0.1 * max(w, h) < np.sqrt(f2) < 30 * max(w, h)
    if focal[True] != focal[False]:
        return focal[True]
    return None


def _long_side_horizontal(mask: np.ndarray, outer: np.ndarray, band_px: float) -> bool:
    """The long sides carry the side pockets: a notch in the cloth outline at their middle."""
    h, w = mask.shape
    unit = cv2.getPerspectiveTransform(np.float32([[0, 0], [1, 0], [1, 1], [0, 1]]), outer.astype(np.float32))
    mids = apply_homography(unit, np.array([[0.5, 0.0], [1.0, 0.5], [0.5, 1.0], [0.0, 0.5]]))
    cloth_share = []
    for i in range(4):
        a, b = outer[i], outer[(i + 1) % 4]
        mid = mids[i] + _inward_normal(a, b) * 0.3 * band_px
        r = max(2, int(round(0.6 * band_px)))
        x, y = int(round(mid[0])), int(round(mid[1]))
        patch = mask[max(0, y - r):min(h, y + r + 1), max(0, x - r):min(w, x + r + 1)]
        cloth_share.append(patch.mean() / 255.0 if patch.size else 1.0)
    horiz_notch = (1 - cloth_share[0]) + (1 - cloth_share[2])
    vert_notch = (1 - cloth_share[1]) + (1 - cloth_share[3])
    if abs(horiz_notch - vert_notch) > 0.3:
        return horiz_notch > vert_notch
    top = np.linalg.norm(outer[1] - outer[0]) + np.linalg.norm(outer[2] - outer[3])
    side = np.linalg.norm(outer[2] - outer[1]) + np.linalg.norm(outer[3] - outer[0])
    return top >= side


def table_from_corners(corners_px, params: TableParams, manual: bool = True,
                       cloth: Optional[ClothModel] = None, horizontal: Optional[bool] = None) -> TableDetection:
    """A table from four corners (any order); the longer pair of sides is the long side unless given."""
    corners = order_corners(np.asarray(corners_px, dtype=np.float64).reshape(4, 2))
    if horizontal is None:
        top = np.linalg.norm(corners[1] - corners[0]) + np.linalg.norm(corners[2] - corners[3])
        side = np.linalg.norm(corners[2] - corners[1]) + np.linalg.norm(corners[3] - corners[0])
        horizontal = bool(top >= side)
    return TableDetection(corners, params.geometry(), horizontal, cloth, 1.0, manual)


def detect_table(image_bgr: np.ndarray, params: TableParams) -> Optional[TableDetection]:
    """Full search for the playing surface; None when no table is visible."""
    if image_bgr is None or image_bgr.ndim != 3 or image_bgr.shape[2] != 3:
        raise ValueError('detect_table needs a BGR image (H x W x 3)')
    if params.manual_corners:
        return table_from_corners(params.manual_corners, params, manual=True,
                                  cloth=estimate_cloth(image_bgr, params.cloth_min_saturation))
    h, w = image_bgr.shape[:2]
    scale = min(1.0, params.search_width_px / float(w))
    small = cv2.resize(image_bgr, (max(1, int(round(w * scale))), max(1, int(round(h * scale)))),
                       interpolation=cv2.INTER_AREA) if scale < 1.0 else image_bgr
    cloth = estimate_cloth(small, params.cloth_min_saturation)
    if cloth is None:
        return None
    hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
    mask = cloth_mask(hsv, cloth, params.cloth_hue_tolerance_deg, params.cloth_min_saturation)
    sw = small.shape[1]
    # Opening cuts thin bridges to similar-coloured surroundings (carpets, walls)
    # across the rail; closing then joins the cushion tops to the bed across the
    # dark line at the nose. Balls and markers are holes, filled by the outline.
    k_open = max(3, int(0.008 * sw) | 1)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE,
                                                                            (k_open, k_open)))
    k_close = max(3, int(0.012 * sw) | 1)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE,
                                                                             (k_close, k_close)))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=4)
    if n < 2:
        return None
    best = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    if stats[best, cv2.CC_STAT_AREA] < params.min_table_area_fraction * mask.size:
        return None
    region = (labels == best).astype(np.uint8) * 255
    contours, _ = cv2.findContours(region, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    contour = max(contours, key=cv2.contourArea)
    quad = _quad_from_outline(contour)
    if quad is None:
        return None
    filled = np.zeros_like(region)
    cv2.drawContours(filled, [contour], -1, 255, -1)
    fill_share = cv2.contourArea(contour) / max(1.0, cv2.contourArea(quad.astype(np.float32)))
    outer = (quad + 0.5) / scale - 0.5
    length_px = max(np.linalg.norm(outer[1] - outer[0]), np.linalg.norm(outer[2] - outer[1]))
    band_px = params.cushion_band_fraction * length_px
    horizontal = _perspective_vote(outer, (w, h), params.geometry())
    if horizontal is None:
        horizontal = _long_side_horizontal(region, quad, band_px * scale)
    gray = cv2.GaussianBlur(cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY).astype(np.float32), (0, 0), 1.0)
    corners, curves = _find_noses(gray, outer, band_px, params.nose_min_contrast)
    if not cv2.isContourConvex(corners.astype(np.float32).reshape(-1, 1, 2)):
        return None
    confidence = float(np.clip(fill_share, 0.0, 1.0))
    table = TableDetection(corners, params.geometry(), horizontal, cloth, confidence, False)
    _snap_pockets_to_sides(table, curves)
    return table
