# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Cloth colour estimation and cloth masks (HSV, OpenCV hue units 0..180)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import cv2
import numpy as np


@dataclass(frozen=True)
class ClothModel:
    """The cloth colour estimated from the picture itself (no per-table tuning)."""

    hue: float          # OpenCV hue 0..180
    saturation: float   # median saturation 0..255
    value: float        # median value (brightness) 0..255
    bgr: tuple          # median colour (B, G, R)


def hue_distance(hue: np.ndarray, ref: float) -> np.ndarray:
    """Circular distance in OpenCV hue units (0..90)."""
    d = np.abs(hue.astype(np.float32) - np.float32(ref))
    return np.minimum(d, 180.0 - d)


def estimate_cloth(image_bgr: np.ndarray, min_saturation: float = 0.22,
                   min_share: float = 0.25) -> Optional[ClothModel]:
    """Dominant saturated hue of the central part of the image, or None.

    The table fills the middle of any sensible overhead or broadcast view, so the
    strongest saturated hue there is the cloth whatever its colour.
    """
    h, w = image_bgr.shape[:2]
    centre = image_bgr[h // 4:h - h // 4, w // 4:w - w // 4]
    step = max(1, int(np.sqrt(centre.shape[0] * centre.shape[1] / 40000)))
    hsv = cv2.cvtColor(np.ascontiguousarray(centre[::step, ::step]), cv2.COLOR_BGR2HSV).reshape(-1, 3)
    sat_ok = (hsv[:, 1] >= min_saturation * 255) & (hsv[:, 2] >= 40)
    if sat_ok.sum() < 0.1 * len(hsv):
        return None
    hist = np.bincount(hsv[sat_ok, 0], minlength=180).astype(np.float64)
    # Circular smoothing over +-3 hue units.
    hist = sum(np.roll(hist, k) for k in range(-3, 4))
    peak = int(np.argmax(hist))
    near = sat_ok.copy()
    near[sat_ok] = hue_distance(hsv[sat_ok, 0], peak) <= 8
    if near.sum() < min_share * len(hsv):
        return None
    sel = hsv[near].astype(np.float32)
    # Circular mean of the hue around the peak.
    ang = sel[:, 0] * (np.pi / 90.0)
    hue = (np.degrees(np.arctan2(np.sin(ang).mean(), np.cos(ang).mean())) / 2.0) % 180.0
    bgr_pix = np.ascontiguousarray(centre[::step, ::step]).reshape(-1, 3)[near]
    return ClothModel(float(hue), float(np.median(sel[:, 1])), float(np.median(sel[:, 2])),
                      tuple(int(v) for v in np.median(bgr_pix, axis=0)))


def cloth_mask(hsv: np.ndarray, cloth: ClothModel, hue_tolerance_deg: float,
               min_saturation: float, min_value_share: float = 0.3) -> np.ndarray:
    """uint8 mask (255 = cloth, lit or in shadow)."""
    tol = hue_tolerance_deg / 2.0
    ok = hue_distance(hsv[..., 0], cloth.hue) <= tol
    ok &= hsv[..., 1] >= min_saturation * 255
    ok &= hsv[..., 2] >= min_value_share * cloth.value
    return ok.astype(np.uint8) * 255


def balanced_cloth(cloth: ClothModel, gains: Optional[np.ndarray]) -> ClothModel:
    """The cloth model as it looks in the picture after multiplying it by white-balance `gains`."""
    if gains is None:
        return cloth
    bgr = np.clip(np.asarray(cloth.bgr, np.float32) * gains, 0, 255).astype(np.uint8)
    h, s, v = (float(c) for c in cv2.cvtColor(bgr.reshape(1, 1, 3), cv2.COLOR_BGR2HSV)[0, 0])
    return ClothModel(h, s, v, tuple(int(c) for c in bgr))


def white_gains(image_bgr: np.ndarray, discs, min_value: float = 0.7, max_saturation: float = 0.5,
                max_gain: float = 1.4) -> Optional[np.ndarray]:
    """Per-channel (B, G, R) gains that make the pale, bright ball pixels grey, or None.

    TV and room lighting tint the white of the cue ball and the stripes (warm
    lamps make it yellow); the balls' own white parts are the only white
    reference on the table, so they set the balance. `discs` are (x, y, r).
    """
    h, w = image_bgr.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    for x, y, r in discs:
        cv2.circle(mask, (int(round(x)), int(round(y))), max(1, int(0.8 * r)), 1, -1)
    pix = image_bgr[mask.astype(bool)].astype(np.float32)
    if len(pix) == 0:
        return None
    hi, lo = pix.max(axis=1), pix.min(axis=1)
    pale = (hi >= min_value * 255) & (hi - lo <= max_saturation * hi) & (hi < 254)
    if pale.sum() < 20:
        return None
    ref = np.median(pix[pale], axis=0) + 1.0
    gains = ref.mean() / ref
    if gains.max() > max_gain or gains.min() < 1.0 / max_gain:
        return None
    return gains.astype(np.float32)
