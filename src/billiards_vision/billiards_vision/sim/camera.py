# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Pinhole camera with radial distortion looking down at the table.

The pose is given as OpenCV (rvec, tvec) taking `table`-frame points to the
camera frame (x right, y down, z forward). An untilted camera looks straight
down with table x to image right and table y to image top.
"""
from __future__ import annotations

import math

import cv2
import numpy as np


class OverheadCamera:
    def __init__(self, width: int, height: int, height_m: float, hfov_deg: float,
                 tilt_deg: float = 0.0, roll_deg: float = 0.0, k1: float = 0.0, k2: float = 0.0,
                 principal_offset_px=(0.0, 0.0), offset_m=(0.0, 0.0)):
        if width < 16 or height < 16:
            raise ValueError(f'image size {width}x{height} is too small')
        if not 0.3 <= height_m <= 10.0:
            raise ValueError(f'camera_height must be 0.3..10 m, got {height_m}')
        if not 20.0 <= hfov_deg <= 150.0:
            raise ValueError(f'hfov_deg must be 20..150, got {hfov_deg}')
        self.width, self.height = int(width), int(height)
        self.height_m = float(height_m)
        f = (width / 2.0) / math.tan(math.radians(hfov_deg) / 2.0)
        self.K = np.array([[f, 0, width / 2.0 + principal_offset_px[0]],
                           [0, f, height / 2.0 + principal_offset_px[1]],
                           [0, 0, 1.0]])
        self.dist = np.array([k1, k2, 0.0, 0.0, 0.0])
        down = np.diag([1.0, -1.0, -1.0])   # table -> camera, looking straight down
        tilt, roll = math.radians(tilt_deg), math.radians(roll_deg)
        rx = np.array([[1, 0, 0], [0, math.cos(tilt), -math.sin(tilt)], [0, math.sin(tilt), math.cos(tilt)]])
        rz = np.array([[math.cos(roll), -math.sin(roll), 0], [math.sin(roll), math.cos(roll), 0], [0, 0, 1]])
        self.R = rz @ rx @ down
        # Place the camera centre so the optical axis meets the table at offset_m from its centre
        # (a camera mounted off-centre sees the table shifted the other way).
        axis = self.R.T @ np.array([0.0, 0.0, 1.0])
        self.centre = np.array([offset_m[0], offset_m[1], 0.0]) + axis * (self.height_m / axis[2])
        self.tvec = -self.R @ self.centre
        self.rvec = cv2.Rodrigues(self.R)[0].ravel()

    # ------------------------------------------------------------ projection
    def project(self, points_m: np.ndarray) -> np.ndarray:
        """Nx3 table-frame points -> Nx2 distorted pixel coordinates."""
        # Plain NumPy plumb_bob model (same as cv2.projectPoints, much cheaper per call).
        pts = np.asarray(points_m, dtype=np.float64).reshape(-1, 3)
        cam = pts @ self.R.T + self.tvec
        x, y = cam[:, 0] / cam[:, 2], cam[:, 1] / cam[:, 2]
        k1, k2, p1, p2, k3 = self.dist
        r2 = x * x + y * y
        radial = 1 + r2 * (k1 + r2 * (k2 + r2 * k3))
        xd = x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x)
        yd = y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y
        return np.column_stack([self.K[0, 0] * xd + self.K[0, 2], self.K[1, 1] * yd + self.K[1, 2]])

    def depth(self, points_m: np.ndarray) -> np.ndarray:
        pts = np.asarray(points_m, dtype=np.float64).reshape(-1, 3)
        return (pts @ self.R.T + self.tvec)[:, 2]

    def sphere_radius_px(self, centres_m: np.ndarray, radius_m: float) -> np.ndarray:
        """Apparent radius [px] of spheres at Nx3 centres, including local lens scale."""
        c = np.asarray(centres_m, dtype=np.float64).reshape(-1, 3)
        offs = np.array([[radius_m, 0, 0], [-radius_m, 0, 0], [0, radius_m, 0], [0, -radius_m, 0]])
        pts = (c[:, None, :] + offs[None]).reshape(-1, 3)
        px = self.project(pts).reshape(-1, 4, 2)
        return 0.25 * (np.linalg.norm(px[:, 0] - px[:, 1], axis=1) + np.linalg.norm(px[:, 2] - px[:, 3], axis=1))

    def pixel_rays(self) -> tuple[np.ndarray, np.ndarray]:
        """Unit-less ray directions (H x W x 3, table frame) for every pixel centre, and the origin."""
        u, v = np.meshgrid(np.arange(self.width, dtype=np.float64), np.arange(self.height, dtype=np.float64))
        pix = np.stack([u.ravel(), v.ravel()], axis=1).reshape(-1, 1, 2)
        norm = cv2.undistortPointsIter(pix, self.K, self.dist, None, None,
                                       (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 20, 1e-6))
        norm = norm.reshape(-1, 2)
        rays_cam = np.concatenate([norm, np.ones((len(norm), 1))], axis=1)
        rays = rays_cam @ self.R          # R^T applied to row vectors
        return rays.reshape(self.height, self.width, 3), self.centre.copy()

    def plane_points(self, rays: np.ndarray, z: float) -> np.ndarray:
        """Where each pixel ray meets the horizontal plane at height z: H x W x 2 [m]."""
        t = (z - self.centre[2]) / rays[..., 2]
        return self.centre[:2] + rays[..., :2] * t[..., None]

    # ---------------------------------------------------------------- export
    def truth(self) -> dict:
        return {'K': self.K.tolist(), 'dist': self.dist.tolist(), 'rvec': self.rvec.tolist(),
                'tvec': self.tvec.tolist(), 'height_m': self.height_m}

    def camera_info(self) -> dict:
        p = np.hstack([self.K, np.zeros((3, 1))])
        return {'width': self.width, 'height': self.height, 'K': self.K.tolist(),
                'D': self.dist.tolist(), 'distortion_model': 'plumb_bob',
                'R': np.eye(3).tolist(), 'P': p.tolist()}
