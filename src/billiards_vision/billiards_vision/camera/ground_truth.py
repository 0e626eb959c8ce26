# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""The synthetic table's per-frame truth (ground_truth.jsonl schema) as ROS messages:
camera/ground_truth/balls (TrackedBallArray), .../table (Table), .../cue (CueStick)."""
from __future__ import annotations

import math

import cv2
import numpy as np
from billiards_interfaces.msg import Ball, CueStick, Pocket, Table, TrackedBall, TrackedBallArray
from geometry_msgs.msg import Point, Vector3

from billiards_vision.table_geometry import BALL_RADIUS_M, BALL_TYPES, POCKET_CORNER, TableGeometry

MOVING_MPS = 0.01  # slower than this counts as stationary


def table_homography(truth: dict) -> np.ndarray:
    """3x3 H with [x_m, y_m, 1] ~ H [u_px, v_px, 1] from the true corners."""
    length, width = truth['table']['size_m']
    corners_m = TableGeometry(length, width).corners().astype(np.float32)
    return cv2.getPerspectiveTransform(np.asarray(truth['table']['corners_px'], np.float32), corners_m)


def balls_msg(truth: dict, header) -> TrackedBallArray:
    msg = TrackedBallArray(header=header)
    for b in truth['balls']:
        x, y = b['position_m']
        vx, vy = b['velocity_mps']
        if b['pocketed']:
            state = TrackedBall.STATE_POCKETED
        elif not b['visible']:
            state = TrackedBall.STATE_OCCLUDED
        elif math.hypot(vx, vy) > MOVING_MPS:
            state = TrackedBall.STATE_MOVING
        else:
            state = TrackedBall.STATE_STATIONARY
        ball = Ball(x_px=float(b['x']), y_px=float(b['y']), radius_px=float(b['radius']),
                    position=Point(x=float(x), y=float(y), z=BALL_RADIUS_M), position_valid=True,
                    type=BALL_TYPES.index(b['type']), number=int(b['number']), type_confidence=1.0,
                    confidence=1.0)
        msg.balls.append(TrackedBall(id=int(b['id']), ball=ball, velocity=Vector3(x=float(vx), y=float(vy)),
                                     state=state, age=float(truth['t']), frames_seen=int(truth['frame']) + 1))
    return msg


def table_msg(truth: dict, header, image: np.ndarray) -> Table:
    length, width = truth['table']['size_m']
    geometry = TableGeometry(length, width)
    corners_px = np.asarray(truth['table']['corners_px'], np.float64)
    px_per_m = np.linalg.norm(corners_px[1] - corners_px[0]) / length
    msg = Table(header=header, found=True, length_m=float(length), width_m=float(width), manual=False,
                confidence=1.0)
    msg.corners_px = [float(v) for v in corners_px.ravel()]
    msg.homography = [float(v) for v in table_homography(truth).ravel()]
    for (kind, xy), (u, v) in zip(geometry.pockets(), truth['table']['pockets_px']):
        msg.pockets.append(Pocket(kind=Pocket.KIND_CORNER if kind == POCKET_CORNER else Pocket.KIND_SIDE,
                                  x_px=float(u), y_px=float(v),
                                  radius_px=float(geometry.pocket_mouth(kind) / 2 * px_per_m),
                                  position=Point(x=float(xy[0]), y=float(xy[1]))))
    # Cloth colour: the median of a patch at the table centre (where no marker or ball starts).
    cx, cy = corners_px.mean(axis=0).astype(int)
    patch = image[max(cy - 10, 0):cy + 10, max(cx - 10, 0):cx + 10].reshape(-1, 3)
    msg.cloth_bgr = [int(c) for c in np.median(patch, axis=0)]
    return msg


def cue_msg(truth: dict, header) -> CueStick:
    cue = truth.get('cue')
    if not cue:
        return CueStick(header=header, found=False, target_ball=-1)
    tip_px, butt_px = cue['tip_px'], cue['butt_px']
    (tip_m, butt_m) = cv2.perspectiveTransform(np.array([[tip_px, butt_px]], np.float64),
                                               table_homography(truth).astype(np.float64))[0]
    tip_x, tip_y = cue.get('tip_m') or tip_m
    return CueStick(header=header, found=True, tip_px=Point(x=float(tip_px[0]), y=float(tip_px[1])),
                    butt_px=Point(x=float(butt_px[0]), y=float(butt_px[1])),
                    tip=Point(x=float(tip_x), y=float(tip_y)), tip_valid=True,
                    angle=float(math.atan2(tip_m[1] - butt_m[1], tip_m[0] - butt_m[0])),
                    angle_px=float(math.radians(cue['angle_deg'])), target_ball=-1, confidence=1.0)
