# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Cue stick detection over the playing surface.

Everything on the surface that is not cloth (lit or shaded) is foreground. Thick
parts (hands, arms, balls) are cut away with the distance transform, so a stick
held by a hand survives as thin straight pieces; detected balls only widen that
cut to their rim, and only where they are blobs of their own. A stick is long
(several ball diameters), or a shorter piece (the shaft beyond the bridge hand)
whose line foreground (hand, arm, the stick itself) carries on to the table
edge: a stick always enters from outside the table, which also tells the butt
from the tip. Of several, the longest seen from the edge wins. Lines hugging a
cushion are rejected (rail and cushion edges are never sticks). The angle comes
from the stick's two straight outline edges over its whole visible length, so a
short piece still gives it to a fraction of a degree.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import cv2
import numpy as np

from .colors import ClothModel, estimate_cloth, hue_distance
from .params import CueParams
from .table import TableDetection


@dataclass
class CueDetection:
    tip_px: tuple
    butt_px: tuple
    angle_deg: float            # image, butt -> tip, atan2(dy, dx) with y down
    confidence: float
    tip_m: Optional[tuple] = None
    angle_table_rad: Optional[float] = None
    target_ball: int = -1       # index into the ball list, -1 none

    def to_json(self) -> dict:
        return {'tip_px': [round(self.tip_px[0], 2), round(self.tip_px[1], 2)],
                'angle_deg': round(self.angle_deg, 3)}


def table_area(table: TableDetection, r_px: float) -> np.ndarray:
    """Corners of the area searched: the table grown over the cushion tops (cloth too, the stick
    shows over them)."""
    centre = table.corners_px.mean(axis=0)
    grow = 2.0 * r_px
    return centre + (table.corners_px - centre) * (
        1 + grow / np.linalg.norm(table.corners_px - centre, axis=1, keepdims=True))


def _foreground(image_bgr, table: TableDetection, cloth: ClothModel, r_px: float, window=None):
    """Non-cloth mask over the table area (balls included), its origin, the area polygon and mask;
    only within `window` (x0, y0, x1, y1) when given."""
    h, w = image_bgr.shape[:2]
    poly = table_area(table, r_px)
    x, y, bw, bh = cv2.boundingRect(np.round(poly).astype(np.int32))
    x, y = max(0, x), max(0, y)
    x1, y1 = x + min(w - x, bw), y + min(h - y, bh)
    if window is not None:
        x, y = max(x, int(window[0])), max(y, int(window[1]))
        x1, y1 = min(x1, int(np.ceil(window[2]))), min(y1, int(np.ceil(window[3])))
    bw, bh = max(1, x1 - x), max(1, y1 - y)
    area = np.zeros((bh, bw), np.uint8)
    cv2.fillConvexPoly(area, np.round(poly).astype(np.int32) - [x, y], 255)
    roi = image_bgr[y:y + bh, x:x + bw]
    hsv = cv2.cvtColor(roi, cv2.COLOR_BGR2HSV)
    # Cloth, lit or in the stick's / a ball's shadow: cloth hue and saturation, any brightness.
    fg = cv2.bitwise_not(_cloth_like(hsv, cloth))
    fg &= area
    fg = cv2.morphologyEx(fg, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    return fg, (x, y), poly, area


def _cloth_like(hsv: np.ndarray, cloth: ClothModel) -> np.ndarray:
    """255 where a pixel is cloth, lit or shaded: hue within 12 of the cloth's
    (`hue_distance(h, cloth.hue) < 12`), saturation above 0.45 of the cloth's and value below
    1.25 of it + 20; the same test as those float comparisons, done as integer ranges
    (`cv2.inRange`, one per run of cloth hues) instead of float arrays over the table."""
    s_lo = int(np.floor(0.45 * cloth.saturation)) + 1          # s > 0.45 sat
    v_hi = int(np.ceil(1.25 * cloth.value + 20)) - 1           # v < 1.25 val + 20
    out = np.zeros(hsv.shape[:2], np.uint8)
    if s_lo > 255 or v_hi < 0:
        return out
    hues = np.flatnonzero(hue_distance(np.arange(180), cloth.hue) < 12)   # 8-bit hue: 0..179
    if len(hues) == 0:
        return out
    runs = np.split(hues, np.flatnonzero(np.diff(hues) > 1) + 1)
    for run in runs:
        lo = np.array([run[0], max(s_lo, 0), 0], np.uint8)
        hi = np.array([run[-1], 255, min(v_hi, 255)], np.uint8)
        out |= cv2.inRange(hsv, lo, hi)
    return out


def detect_cue(image_bgr: np.ndarray, table: TableDetection, balls: Sequence, params: CueParams,
               cloth: Optional[ClothModel] = None, window=None) -> Optional[CueDetection]:
    """The cue stick over the table, or None when there is none. `window` (x0, y0, x1, y1) limits
    the search to that box (a stick found last frame and all of its line across the table: the
    caller makes sure the box holds that, since leaving the box counts as leaving the table)."""
    if image_bgr is None or image_bgr.ndim != 3 or image_bgr.shape[2] != 3:
        raise ValueError('detect_cue needs a BGR image (H x W x 3)')
    cloth = cloth or table.cloth or estimate_cloth(image_bgr)
    if cloth is None:
        return None
    r_px = float(np.median(table.ball_radius_px(table.corners_px)))
    diameter = 2 * r_px
    fg, (ox, oy), poly, area = _foreground(image_bgr, table, cloth, r_px, window)
    # Hands, arms and balls are thicker than any stick: cut them (and a rim around them) off it.
    # Thickness is measured before detected balls are cut out, so a false ball on the hand does not
    # leave fingers thin enough to join the shaft.
    max_half = 0.5 * params.max_width_balls * diameter
    dist = cv2.distanceTransform(fg, cv2.DIST_L2, 3)
    core = dist > max_half
    thick = core.astype(np.uint8)
    if thick.any():
        k = int(2 * np.ceil(max_half) + 1)
        thick = _dilate_sparse(thick, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    # A detected ball is cut out with its rim (shading, shadow edge) where the foreground shows it
    # as a blob of its own: a thick core round its centre that stays inside its disc. The ball
    # detector may see a ball on the thin stick, or on the hand; cut out, the first would chop
    # the stick into pieces too short to count, the second would break the hand that the tip is
    # followed across. Both are left to the thickness cut, as if there were no ball.
    rims = np.zeros_like(fg)
    core_u8 = core.view(np.uint8)
    for b in balls:
        cx, cy, rim = int(round(b.x - ox)), int(round(b.y - oy)), int(np.ceil(b.radius * 1.2))
        if _own_blob(core_u8, cx, cy, rim, int(np.ceil(0.5 * b.radius))):
            cv2.circle(rims, (cx, cy), rim, 255, -1)
    fg[rims > 0] = 0
    thick[rims > 0] = 0
    fg_full = fg.copy()
    fg[thick > 0] = 0
    # Pocket mouths are dark foreground clipped by the table area into slivers that would join a
    # stick crossing them: the pieces are taken without them (the runs to the edge still see them).
    for (px, py), pr in zip(table.pockets_px, table.pocket_radii_px):
        cv2.circle(fg, (int(round(px - ox)), int(round(py - oy))), int(np.ceil(pr)), 0, -1)
    min_len = params.min_length_balls * diameter
    # Thin straight pieces; an arm or hand lying across the stick cuts it into several.
    pieces = []
    for xs, ys in _components(fg):
        if max(xs.max() - xs.min(), ys.max() - ys.min()) + 1 < 1.0 * diameter:
            continue
        pts = np.stack([xs + ox, ys + oy], axis=1).astype(np.float64)
        piece = _stick_from_pixels(pts, params, params.min_piece_balls * diameter, diameter, table)
        if piece is not None:
            pieces.append((pts, piece))
    # Over balls too: the stick may pass over a ball on its way to the table edge.
    fg_balls = fg_full.copy()
    for bl in balls:
        cv2.circle(fg_balls, (int(round(bl.x - ox)), int(round(bl.y - oy))), int(np.ceil(bl.radius * 1.2)), 255, -1)
    best, best_len = None, 0.0
    for group in _collinear_groups(pieces, diameter):
        pts = np.concatenate([pieces[k][0] for k in group])
        cand = _stick_from_pixels(pts, params, params.min_piece_balls * diameter, diameter, table,
                                  fill_check=len(group) == 1)
        if cand is None:
            continue
        p0, d, length, width, t_lo, t_hi = cand
        a, b = p0 + t_lo * d, p0 + t_hi * d
        # A short piece (the shaft beyond the bridge hand) counts when foreground (hand, arm,
        # the stick itself) continues its line to the table edge: a stick enters from outside.
        runs = [_run_to_edge(fg_balls, area, (ox, oy), end, end - other, 0.5 * diameter)
                for end, other in ((a, b), (b, a))]
        entering = any(to_edge for _, to_edge in runs)
        total = length + sum(reach for reach, _ in runs)
        if entering and total < min_len:
            # Bridged on the rail: the rest of the stick lies over the rail and the hand, outside
            # the cloth; follow its band there.
            k = 0 if runs[0][1] else 1
            end, other = (a, b) if k == 0 else (b, a)
            beyond = _band_beyond(image_bgr, end, end - other, width, length, runs[k][0], min_len - total,
                                  diameter)
            total += beyond
            runs[k] = (runs[k][0] + beyond, True)
        if total < min_len or (length < min_len and not entering):
            continue
        # Ranked by the stick seen from where it enters: the piece and the runs to the table edge.
        # A run away from the edge (into a hand) is no evidence; counted, a forearm whose line
        # passes through the hand outgrows the stick.
        seen = length + sum(reach for reach, to_edge in runs if to_edge)
        if best is None or seen > best_len:
            best, best_len = (cand, a, b, runs), seen
    if best is None:
        return None
    (p0, d, length, width, t_lo, t_hi), a, b, runs = best
    if runs[0][1] != runs[1][1]:
        (tip, butt), butt_run = ((b, a), runs[0][0]) if runs[0][1] else ((a, b), runs[1][0])
    else:
        tip, butt = _orient(a, b, table, poly, balls, r_px)
        butt_run = runs[0][0] if butt is a else runs[1][0]
    rough_tip = _extend_tip(image_bgr, fg_full, thick, (ox, oy), tip, butt, width, diameter)
    e, q = _refine_on_edges(image_bgr, p0, rough_tip, butt, butt_run, width)
    tip, butt = q + ((tip - q) @ e) * e, q + ((butt - q) @ e) * e
    tip = _extend_tip(image_bgr, fg_full, thick, (ox, oy), tip, butt, width, diameter)
    direction = tip - butt
    angle = float(np.degrees(np.arctan2(direction[1], direction[0])))
    thinness = np.clip(1 - width / (params.max_width_balls * diameter), 0.2, 1)
    conf = float(np.clip(length / (2 * min_len), 0, 1) * thinness)
    tip_m = tuple(float(v) for v in table.to_table([tip])[0])
    butt_m = table.to_table([butt])[0]
    ang_m = float(np.arctan2(tip_m[1] - butt_m[1], tip_m[0] - butt_m[0]))
    return CueDetection((float(tip[0]), float(tip[1])), (float(butt[0]), float(butt[1])), angle,
                        max(0.05, conf ** 0.5), tip_m, ang_m,
                        target_ball(tip, direction, balls, params.aim_tolerance_balls))


def _dilate_sparse(mask: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """cv2.dilate(mask, kernel) (centred, symmetric kernel) for a sparse mask: each component is
    dilated within its bounding box grown by the kernel's half size. A component's dilation lies
    in that box and the dilation of a union is the union of the dilations, so the result is the
    same, at a fraction of the cost when the set pixels (balls, a hand) cover little of the table."""
    ry, rx = kernel.shape[0] // 2, kernel.shape[1] // 2
    h, w = mask.shape
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    boxes = [cv2.boundingRect(c) for c in contours]
    if sum((bw + 2 * rx) * (bh + 2 * ry) for _, _, bw, bh in boxes) > 0.5 * h * w:
        return cv2.dilate(mask, kernel)
    out = np.zeros_like(mask)
    for x, y, bw, bh in boxes:
        x0, x1, y0, y1 = max(0, x - rx), min(w, x + bw + rx), max(0, y - ry), min(h, y + bh + ry)
        out[y0:y1, x0:x1] |= cv2.dilate(mask[y0:y1, x0:x1], kernel)
    return out


def _own_blob(core: np.ndarray, cx: int, cy: int, rim: int, near: int) -> bool:
    """Whether a connected component (8-connected) of `core` with a pixel within `near` of
    (cx, cy) lies wholly within `rim` of it (its bounding box inside the box cx +- rim, cy +- rim).
    Labelled in that box grown by one pixel only: a component reaching that outer ring extends
    beyond the box, one that does not is whole - the same answer as labelling the whole mask."""
    h, w = core.shape
    if not (0 <= cx + near and cx - near < w and 0 <= cy + near and cy - near < h):
        return False
    x0, x1 = max(0, cx - rim - 1), min(w, cx + rim + 2)
    y0, y1 = max(0, cy - rim - 1), min(h, cy + rim + 2)
    _, labels = cv2.connectedComponents(core[y0:y1, x0:x1], connectivity=8)
    near_ids = np.unique(labels[max(0, cy - near) - y0:min(h, cy + near + 1) - y0,
                                max(0, cx - near) - x0:min(w, cx + near + 1) - x0])
    near_ids = near_ids[near_ids > 0]
    if len(near_ids) == 0:
        return False
    xs, ys = np.arange(x0, x1), np.arange(y0, y1)
    outside = (np.abs(xs - cx) > rim)[None, :] | (np.abs(ys - cy) > rim)[:, None]
    return bool(np.setdiff1d(near_ids, labels[outside]).size)


def _components(mask: np.ndarray):
    """(xs, ys) of each 8-connected component of `mask`, in label order, each in raster order
    (as `np.nonzero(labels == i)`), from one labelling without statistics and one pass over the set
    pixels."""
    n, labels = cv2.connectedComponents(mask, connectivity=8)
    if n <= 1:
        return []
    xy = cv2.findNonZero(mask)[:, 0, :]        # raster order, as np.nonzero (and about 2x faster)
    xs, ys = xy[:, 0].astype(np.intp), xy[:, 1].astype(np.intp)
    lab = labels[ys, xs]
    order = np.argsort(lab, kind='stable')
    lab, ys, xs = lab[order], ys[order], xs[order]
    cuts = np.flatnonzero(np.diff(lab)) + 1
    return list(zip(np.split(xs, cuts), np.split(ys, cuts)))


def _refine_on_edges(image_bgr, centre, tip, butt, butt_run, width, span_deg: float = 6.0,
                     step_deg: float = 0.05):
    """(direction butt -> tip, a point) of the stick's axis through `centre`. The direction is the
    one along which edge pixels near the stick line up best (a Radon transform over a band from the
    tip to where the stick leaves the table): the two long outline edges stay straight where the
    stick crosses a hand or the cushion, while one short piece alone (widened by its shadow) gives
    the angle only to a few degrees. Searched coarse (0.25 deg) then fine (`step_deg`)."""
    d = (tip - butt) / (np.linalg.norm(tip - butt) + 1e-12)
    far = butt - d * butt_run
    half = 0.5 * width + 6
    h, w = image_bgr.shape[:2]
    lo = np.floor(np.maximum(np.minimum(tip, far) - half, 0)).astype(int)
    hi = np.ceil(np.minimum(np.maximum(tip, far) + half, [w - 1, h - 1])).astype(int)
    gray = cv2.cvtColor(image_bgr[lo[1]:hi[1] + 1, lo[0]:hi[0] + 1], cv2.COLOR_BGR2GRAY)
    ys, xs = np.nonzero(cv2.Canny(cv2.GaussianBlur(gray, (3, 3), 0), 30, 90))
    pts = np.stack([xs + lo[0], ys + lo[1]], axis=1).astype(np.float64) - far
    span = float((tip - far) @ d)
    t, off = pts @ d, pts @ np.array([-d[1], d[0]])
    pts = pts[(np.abs(off) < half) & (t > 0) & (t < span)]
    if len(pts) < 40:
        return d, centre

    def best_of(angles):
        scores = []
        for ang in angles:
            o = pts @ np.array([-np.sin(ang), np.cos(ang)])
            counts = np.bincount(np.round(o - o.min()).astype(int))
            scores.append(float(counts.astype(np.float64) @ counts))
        return int(np.argmax(scores))

    base = np.arctan2(d[1], d[0])
    coarse = base + np.radians(np.arange(-span_deg, span_deg + 1e-9, 0.25))
    k = best_of(coarse)
    if k in (0, len(coarse) - 1):
        return d, centre          # no clear optimum inside the search range
    fine = coarse[k] + np.radians(np.arange(-0.25, 0.25 + 1e-9, step_deg))
    ang = fine[best_of(fine)]
    return np.array([np.cos(ang), np.sin(ang)]), centre


def _collinear_groups(pieces, diameter) -> list[list[int]]:
    """Indices of pieces lying on one line (same direction, each centre on the other's axis)."""
    groups: list[list[int]] = []
    for k, (_, (p0, d, _, width, _, _)) in enumerate(pieces):
        for g in groups:
            q0, e = pieces[g[0]][1][0], pieces[g[0]][1][1]
            ang = np.degrees(np.arccos(min(1.0, abs(float(d @ e)))))
            off = abs(float((p0 - q0) @ np.array([-e[1], e[0]])))
            if ang < 3.0 and off < max(0.25 * diameter, 1.5 * width):
                g.append(k)
                break
        else:
            groups.append([k])
    return groups


def _stick_from_pixels(pts, params: CueParams, min_len, diameter, table: TableDetection, fill_check=True):
    """Line fit of one thin component; None unless it is long, thin and not along a cushion."""
    vx, vy, x0, y0 = cv2.fitLine(pts.astype(np.float32), cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
    p0, d = np.array([x0, y0], np.float64), np.array([vx, vy], np.float64)
    nrm = np.array([-d[1], d[0]])
    off = (pts - p0) @ nrm
    keep = np.abs(off) < params.max_width_balls * diameter
    if keep.sum() < 10:
        return None
    t = (pts[keep] - p0) @ d
    t_lo, t_hi = np.percentile(t, [0.5, 99.5])
    length = t_hi - t_lo
    width = float(np.percentile(off[keep], 97) - np.percentile(off[keep], 3))
    # Short pieces are judged against a full stick's length: a stub of shaft is as wide as the stick.
    long = max(length, params.min_length_balls * diameter)
    if length < min_len or width > params.max_width_balls * diameter or width > params.max_width_ratio * long:
        return None
    # Pixels must fill the strip (a straight stick, not a scatter of specks along a line).
    if fill_check and keep.sum() < 0.5 * length * max(1.0, width):
        return None
    c = table.corners_px
    for i in range(4):
        e = c[(i + 1) % 4] - c[i]
        e = e / np.linalg.norm(e)
        ang = np.degrees(np.arccos(min(1.0, abs(float(e @ d)))))
        # Signed distance into the table (corners run clockwise on screen). Parallel lines near the
        # cushion nose, or anywhere on the cushion top outside it, are cushion and rail edges.
        inward = float((p0 - c[i]) @ np.array([-e[1], e[0]]))
        near = -(diameter + width) < inward < params.edge_exclusion_balls * diameter + width
        if ang < params.max_edge_angle_deg and near:
            return None
    return p0, d, length, width, t_lo, t_hi


def _run_to_edge(fg, area, origin, end, outward, gap_px: float) -> tuple[float, bool]:
    """Foreground run [px] from `end` outward along the stick's line (gaps up to `gap_px`), and
    whether it reaches the edge of the table area."""
    d = outward / (np.linalg.norm(outward) + 1e-12)
    h, w = fg.shape
    steps = np.arange(1.0, float(h + w), 1.0)
    pts = end[None, :] + steps[:, None] * d[None, :] - np.asarray(origin, np.float64)
    xi, yi = np.round(pts[:, 0]).astype(int), np.round(pts[:, 1]).astype(int)
    inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
    inside[inside] = area[yi[inside], xi[inside]] > 0
    n = int(np.argmin(inside)) if not inside.all() else len(inside)   # first step off the table area
    on = np.concatenate([[-1], np.flatnonzero(fg[yi[:n], xi[:n]] > 0)])
    breaks = np.flatnonzero(np.diff(on) > gap_px)
    last = int(on[breaks[0]] if len(breaks) else on[-1])
    return float(last + 1), n - 1 - last <= gap_px


class _Band:
    """Colours across the stick, sampled along its axis from `end` in direction `d`: row i is at
    distance s[i], column j at offset j - mid to the left of the axis. The core (middle ~60% of
    the width) keeps the stick's own colours wherever it lies; beside it lies the background."""

    def __init__(self, image_bgr, end, d, s, width):
        self.d = d / (np.linalg.norm(d) + 1e-12)
        nrm = np.array([-self.d[1], self.d[0]])
        self.half = int(np.ceil(max(2.0, 0.5 * width)))
        self.core = int(max(1, round(0.3 * width)))          # core half-width [px]
        self.mid = 2 * self.half + self.core + 3
        offs = np.arange(-self.mid, self.mid + 1)
        self.s = s
        pts = end[None, None, :] + s[:, None, None] * self.d + offs[None, :, None] * nrm
        self.strip = cv2.remap(image_bgr, pts[..., 0].astype(np.float32), pts[..., 1].astype(np.float32),
                               cv2.INTER_LINEAR).astype(np.float32)
        h, w = image_bgr.shape[:2]
        self.in_image = (pts[..., 0] >= 0) & (pts[..., 0] <= w - 1) & (pts[..., 1] >= 0) & (pts[..., 1] <= h - 1)

    def template(self, rows, centre):
        return np.median(self.strip[rows, centre - self.core:centre + self.core + 1], axis=0)

    def look(self, i, centre, template, tol: float = 30.0, contrast: float = 30.0):
        """(core matches the template, core stands out from the background on one side, on both)."""
        lo, hi = centre - self.core, centre + self.core + 1
        span = self.half + 2 + self.core
        if lo - span < 0 or hi + span > self.strip.shape[1] or not self.in_image[i, lo:hi].all():
            return False, False, False
        row = self.strip[i]
        colour = row[lo:hi].mean(axis=0)
        steps = (np.abs(row[lo - span:lo - self.half - 1].mean(axis=0) - colour).max(),
                 np.abs(row[hi + self.half + 1:hi + span].mean(axis=0) - colour).max())
        return (template is not None and np.abs(row[lo:hi] - template).mean() < tol), \
            max(steps) > contrast, min(steps) > contrast


def _band_beyond(image_bgr, end, outward, width, length, start, want, diameter) -> float:
    """How far [px] the stick's band carries on past `start` px out from the piece's `end` (up to
    `want` px, or to the image border), over a background that changes from cushion to rail to
    hand. The piece's axis is rough (its shadow on the cloth widens it), so the core is searched
    across the piece's width and then followed a pixel at a time."""
    band = _Band(image_bgr, end, outward, np.arange(-min(length - 2, 1.5 * diameter), start + want + 1, 1.0), width)
    own = band.s < 0
    if own.sum() < 5:
        return 0.0
    gap = max(3.0, 0.25 * diameter)
    best = 0.0
    for c0 in range(-band.half, band.half + 1):
        template = band.template(own, band.mid + c0)
        reach, cur = start, band.mid + c0
        for i in np.flatnonzero(band.s >= start):
            if not band.in_image[i, cur - band.core:cur + band.core + 1].all():
                return float(want)         # the band runs out of the picture: the stick enters there
            found = None
            for c in (cur, cur - 1, cur + 1):
                match, stands_out, _ = band.look(i, c, template)
                if match and stands_out:
                    found = c
                    break
            if found is not None:
                reach, cur = band.s[i], found
            elif band.s[i] - reach > gap:
                break
        best = max(best, reach)
        if best >= start + want:
            break
    return float(max(0.0, min(want, best - start)))


def _orient(a, b, table: TableDetection, poly, balls, r_px):
    """(tip, butt): the stick enters over a cushion, so the butt end is nearer the table edge."""
    inside = table.signed_distance_inside(np.array([a, b]))
    if abs(inside[0] - inside[1]) > 2 * r_px:
        return (a, b) if inside[0] > inside[1] else (b, a)
    if len(balls):
        pos = np.array([[bl.x, bl.y] for bl in balls])
        da = np.min(np.hypot(*(pos - a).T))
        db = np.min(np.hypot(*(pos - b).T))
        return (a, b) if da < db else (b, a)
    return (a, b) if inside[0] > inside[1] else (b, a)


def _extend_tip(image_bgr, fg, thick, origin, tip, butt, width, diameter, reach_balls: float = 8.0):
    """Follow the stick's axis from its thin end to where it ends. Over the cloth the stick is
    foreground; over the bridge hand everything is, so there the stick must show its own colours
    (template: the shaft just behind), except for the ferrule and tip, which may differ from the
    shaft for their last ~0.7 ball diameters but still stand out from the skin on both sides."""
    d = (tip - butt) / (np.linalg.norm(tip - butt) + 1e-12)
    steps = np.arange(0.0, reach_balls * diameter, 1.0)
    h, w = fg.shape
    pts = tip[None, :] + steps[:, None] * d[None, :] - np.asarray(origin, np.float64)
    xi, yi = np.round(pts[:, 0]).astype(int), np.round(pts[:, 1]).astype(int)
    ok = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
    on, in_hand = np.zeros(len(steps), bool), np.zeros(len(steps), bool)
    on[ok] = fg[yi[ok], xi[ok]] > 0
    in_hand[ok] = thick[yi[ok], xi[ok]] > 0
    band, template, behind = None, None, 0
    if in_hand.any():
        back = min(1.5 * diameter, float(np.linalg.norm(tip - butt)) - 2)
        band = _Band(image_bgr, tip, d, np.concatenate([np.arange(-back, 0.0, 1.0), steps]), width)
        own = band.s < 0
        behind = int(own.sum())           # band rows before step 0
        template = band.template(own, band.mid) if behind >= 5 else None
    cloth_gap = max(3.0, 0.1 * diameter)     # this much cloth ends the stick
    hand_gap = 0.5 * diameter                # a finger looped over the stick hides it
    ferrule = 0.7 * diameter
    last, last_shaft = 0.0, 0.0
    for i, s in enumerate(steps):
        if in_hand[i] and band is not None:
            match, stands_out, apart = band.look(behind + i, band.mid, template)
            if match and stands_out:
                last = last_shaft = s
            elif apart and s - last_shaft <= ferrule and s - last <= 2:
                last = s
            elif s - last > hand_gap:
                break
        elif on[i]:
            last = last_shaft = s
        elif s - last > cloth_gap:
            break
    return tip + last * d


def target_ball(tip, direction, balls, tolerance_radii: float) -> int:
    """Index of the first ball on the aim line from the tip, -1 none."""
    d = np.asarray(direction, np.float64)
    d = d / (np.linalg.norm(d) + 1e-12)
    best, best_t = -1, np.inf
    for i, b in enumerate(balls):
        rel = np.array([b.x, b.y]) - np.asarray(tip)
        t = rel @ d
        off = abs(rel @ np.array([-d[1], d[0]]))
        if t > -b.radius and off < tolerance_radii * b.radius and t < best_t:
            best, best_t = i, t
    return best
