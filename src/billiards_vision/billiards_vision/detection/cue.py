# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Cue stick detection over the playing surface.

Everything on the surface that is neither cloth (lit or shaded) nor a detected
ball is foreground. Thick parts (hands, arms) are cut away with the distance
transform, so a stick held by a hand survives as a thin straight piece; it must
be long (several ball diameters) and thin. Lines hugging a cushion are rejected
(rail and cushion edges are never sticks). The tip is the end away from the
table edge where the stick enters, the angle is that of a robust line fit.
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


def _foreground(image_bgr, table: TableDetection, balls, cloth: ClothModel, r_px: float):
    h, w = image_bgr.shape[:2]
    centre = table.corners_px.mean(axis=0)
    grow = 2.0 * r_px  # the cushion tops are cloth too: the stick shows over them
    poly = centre + (table.corners_px - centre) * (
        1 + grow / np.linalg.norm(table.corners_px - centre, axis=1, keepdims=True))
    area = np.zeros((h, w), np.uint8)
    cv2.fillConvexPoly(area, np.round(poly).astype(np.int32), 255)
    x, y, bw, bh = cv2.boundingRect(np.round(poly).astype(np.int32))
    x, y = max(0, x), max(0, y)
    bw, bh = min(w - x, bw), min(h - y, bh)
    roi = image_bgr[y:y + bh, x:x + bw]
    hsv = cv2.cvtColor(roi, cv2.COLOR_BGR2HSV)
    # Cloth, lit or in the stick's / a ball's shadow: cloth hue and saturation, any brightness.
    cloth_like = (hue_distance(hsv[..., 0], cloth.hue) < 12) & (hsv[..., 1] > 0.45 * cloth.saturation) \
        & (hsv[..., 2] < 1.25 * cloth.value + 20)
    fg = (~cloth_like).astype(np.uint8) * 255
    fg &= area[y:y + bh, x:x + bw]
    for b in balls:
        cv2.circle(fg, (int(round(b.x - x)), int(round(b.y - y))), int(np.ceil(b.radius * 1.2)), 0, -1)
    fg = cv2.morphologyEx(fg, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    return fg, (x, y), poly


def detect_cue(image_bgr: np.ndarray, table: TableDetection, balls: Sequence, params: CueParams,
               cloth: Optional[ClothModel] = None) -> Optional[CueDetection]:
    """The cue stick over the table, or None when there is none."""
    if image_bgr is None or image_bgr.ndim != 3 or image_bgr.shape[2] != 3:
        raise ValueError('detect_cue needs a BGR image (H x W x 3)')
    cloth = cloth or table.cloth or estimate_cloth(image_bgr)
    if cloth is None:
        return None
    r_px = float(np.median(table.ball_radius_px(table.corners_px)))
    diameter = 2 * r_px
    fg, (ox, oy), poly = _foreground(image_bgr, table, balls, cloth, r_px)
    fg_full = fg.copy()
    # Hands and arms are thick: cut them (and a rim around them) off the stick.
    max_half = 0.5 * params.max_width_balls * diameter
    dist = cv2.distanceTransform(fg, cv2.DIST_L2, 3)
    thick = (dist > max_half).astype(np.uint8)
    if thick.any():
        k = int(2 * np.ceil(max_half) + 1)
        thick = cv2.dilate(thick, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
        fg[thick > 0] = 0
    n, labels, stats, _ = cv2.connectedComponentsWithStats(fg, connectivity=8)
    min_len = params.min_length_balls * diameter
    # Thin straight pieces; an arm or hand lying across the stick cuts it into several.
    pieces = []
    for i in range(1, n):
        if max(stats[i, cv2.CC_STAT_WIDTH], stats[i, cv2.CC_STAT_HEIGHT]) < 1.0 * diameter:
            continue
        top, left = stats[i, cv2.CC_STAT_TOP], stats[i, cv2.CC_STAT_LEFT]
        ys, xs = np.nonzero(labels[top:top + stats[i, cv2.CC_STAT_HEIGHT],
                                   left:left + stats[i, cv2.CC_STAT_WIDTH]] == i)
        pts = np.stack([xs + left + ox, ys + top + oy], axis=1).astype(np.float64)
        piece = _stick_from_pixels(pts, params, 1.5 * diameter, diameter, table)
        if piece is not None:
            pieces.append((pts, piece))
    best = None
    for group in _collinear_groups(pieces, diameter):
        pts = np.concatenate([pieces[k][0] for k in group])
        cand = _stick_from_pixels(pts, params, min_len, diameter, table, fill_check=len(group) == 1)
        if cand is not None and (best is None or cand[2] > best[2]):
            best = cand
    if best is None:
        return None
    p0, d, length, width, t_lo, t_hi = best
    a, b = p0 + t_lo * d, p0 + t_hi * d
    tip, butt = _orient(a, b, table, poly, balls, r_px)
    tip = _extend_tip(fg_full, (ox, oy), tip, butt, diameter, balls)
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
    if length < min_len or width > params.max_width_balls * diameter or width > params.max_width_ratio * length:
        return None
    # Pixels must fill the strip (a straight stick, not a scatter of specks along a line).
    if fill_check and keep.sum() < 0.5 * length * max(1.0, width):
        return None
    c = table.corners_px
    for i in range(4):
        e = c[(i + 1) % 4] - c[i]
        e = e / np.linalg.norm(e)
        ang = np.degrees(np.arccos(min(1.0, abs(float(e @ d)))))
        dist = abs(float((p0 - c[i]) @ np.array([-e[1], e[0]])))
        if ang < params.max_edge_angle_deg and dist < params.edge_exclusion_balls * diameter + width:
            return None
    return p0, d, length, width, t_lo, t_hi


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


def _extend_tip(fg, origin, tip, butt, diameter, balls, reach_balls: float = 8.0):
    """Follow the stick's axis past the bridge hand to where the foreground ends."""
    d = (tip - butt) / (np.linalg.norm(tip - butt) + 1e-12)
    h, w = fg.shape
    steps = np.arange(0.0, reach_balls * diameter, 0.5)
    pts = tip[None, :] + steps[:, None] * d[None, :] - np.asarray(origin, np.float64)
    xi, yi = np.round(pts[:, 0]).astype(int), np.round(pts[:, 1]).astype(int)
    ok = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
    on = np.zeros(len(steps), bool)
    on[ok] = fg[yi[ok], xi[ok]] > 0
    gap = int(max(3, 0.1 * diameter / 0.5))   # cloth this long ends the stick
    last = 0
    for i in range(len(on)):
        if on[i]:
            last = i
        elif i - last > gap:
            break
    return tip + steps[last] * d


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
