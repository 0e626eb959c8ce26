# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Detector results <-> billiards_interfaces messages (shared by the detector nodes)."""
from __future__ import annotations

from typing import Optional

import cv2
import numpy as np
from billiards_interfaces.msg import Ball, BallArray, Pocket, Table

from billiards_vision.detection.balls import BallDetection
from billiards_vision.detection.colors import ClothModel
from billiards_vision.detection.params import TableParams
from billiards_vision.detection.table import TableDetection, table_from_corners
from billiards_vision.table_geometry import BALL_RADIUS_M, POCKET_CORNER, apply_homography

TYPE_CODES = {'unknown': Ball.TYPE_UNKNOWN, 'cue': Ball.TYPE_CUE, 'eight': Ball.TYPE_EIGHT,
              'solid': Ball.TYPE_SOLID, 'stripe': Ball.TYPE_STRIPE}
TYPE_NAMES = {v: k for k, v in TYPE_CODES.items()}


def table_to_msg(table: Optional[TableDetection], header) -> Table:
    msg = Table()
    msg.header = header
    if table is None:
        msg.found = False
        return msg
    msg.found = True
    msg.corners_px = [float(v) for v in table.corners_px.ravel()]
    pockets_m = table.to_table(table.pockets_px)
    for (x, y), r, kind, (mx, my) in zip(table.pockets_px, table.pocket_radii_px, table.pocket_kinds, pockets_m):
        p = Pocket()
        p.kind = Pocket.KIND_CORNER if kind == POCKET_CORNER else Pocket.KIND_SIDE
        p.x_px, p.y_px, p.radius_px = float(x), float(y), float(r)
        p.position.x, p.position.y = float(mx), float(my)
        msg.pockets.append(p)
    msg.homography = [float(v) for v in table.homography.ravel()]
    msg.length_m, msg.width_m = float(table.geometry.length), float(table.geometry.width)
    if table.cloth is not None:
        msg.cloth_bgr = [int(np.clip(v, 0, 255)) for v in table.cloth.bgr]
    msg.manual = bool(table.manual)
    msg.confidence = float(table.confidence)
    return msg


def table_from_msg(msg: Table) -> Optional[TableDetection]:
    """The detector-side table of a Table message (None when not found).

    ValueError (with the reason) for a message no table can come from: corners that enclose no area
    (a found table with its corners left at zero), a homography that is not invertible, no size.
    """
    if not msg.found:
        return None
    corners = np.array(msg.corners_px, dtype=np.float64).reshape(4, 2)
    h = np.array(msg.homography, dtype=np.float64).reshape(3, 3)
    if not (np.isfinite(corners).all() and np.isfinite(h).all()):
        raise ValueError('table message with non-finite corners or homography')
    (ax, ay), (bx, by) = corners[2] - corners[0], corners[3] - corners[1]
    area = 0.5 * abs(ax * by - ay * bx)   # of the quadrilateral, from its diagonals
    if area < 1.0:
        raise ValueError(f'table corners enclose no area ({area:.3g} px^2): {corners.ravel().tolist()}')
    if abs(np.linalg.det(h)) < 1e-12:
        raise ValueError('table homography is not invertible')
    if not (msg.length_m > 0 and msg.width_m > 0):
        raise ValueError(f'table size {msg.length_m} x {msg.width_m} m is not positive')
    m = apply_homography(h, corners)
    horizontal = bool(abs(m[1, 0] - m[0, 0]) >= abs(m[1, 1] - m[0, 1]))
    bgr = np.uint8([[list(msg.cloth_bgr)]])
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)[0, 0]
    cloth = ClothModel(float(hsv[0]), float(hsv[1]), float(hsv[2]), tuple(int(v) for v in msg.cloth_bgr)) \
        if any(msg.cloth_bgr) else None
    params = TableParams(table_size='custom', table_length_m=float(msg.length_m), table_width_m=float(msg.width_m))
    table = table_from_corners(corners, params, manual=msg.manual, cloth=cloth, horizontal=horizontal)
    table.confidence = float(msg.confidence)
    return table


def balls_to_msg(balls: list[BallDetection], header) -> BallArray:
    out = BallArray()
    out.header = header
    for b in balls:
        m = Ball()
        m.x_px, m.y_px, m.radius_px = float(b.x), float(b.y), float(b.radius)
        if b.position_m is not None:
            m.position.x, m.position.y, m.position.z = float(b.position_m[0]), float(b.position_m[1]), BALL_RADIUS_M
            m.position_valid = True
        m.type = TYPE_CODES.get(b.type, Ball.TYPE_UNKNOWN)
        m.number = int(b.number) if b.number is not None else -1
        m.type_confidence = float(b.type_confidence)
        m.confidence = float(b.confidence)
        out.balls.append(m)
    return out


def balls_from_msg(msg: BallArray) -> list[BallDetection]:
    return [BallDetection(float(b.x_px), float(b.y_px), float(b.radius_px), float(b.confidence),
                          TYPE_NAMES.get(b.type, 'unknown'), int(b.number) if b.number >= 0 else None,
                          float(b.type_confidence)) for b in msg.balls]
