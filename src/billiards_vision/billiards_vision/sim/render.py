# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Per-frame drawing: ball shadows and balls in small ROIs, the cue stick, a hand.

Balls are shaded spheres whose pattern (solid, stripe, number circles) is
looked up through each ball's 3D orientation, so they roll visibly. Only the
pixels of each ball's ROI are touched; a ball that has not moved since the
previous frame reuses its last sprite. Every drawing call appends the box it
wrote, (x0, y0, x1, y1) px, or (x0, y0, x1, y1, mask) when only the mask's
nonzero pixels changed, to `dirty` when given one (sensor.py redoes the JPEG
round trip only there).
"""
from __future__ import annotations

from dataclasses import dataclass
import math

import cv2
import numpy as np

# Albedo of each ball number (BGR); 9-15 share the colour of n-8.
BALL_BGR = {
    0: (222, 238, 240), 1: (25, 190, 245), 2: (165, 70, 25), 3: (45, 40, 205), 4: (140, 45, 95),
    5: (25, 105, 240), 6: (70, 110, 25), 7: (45, 35, 125), 8: (28, 28, 30),
}
WHITE_BGR = np.array((225, 238, 240), np.float32)
NUMBER_CAP_COS = 0.92


def _sphere_points(n: int) -> np.ndarray:
    """n roughly even unit vectors over the sphere (Fibonacci spiral)."""
    k = np.arange(n) + 0.5
    z = 1.0 - 2.0 * k / n
    phi = k * math.pi * (3.0 - math.sqrt(5.0))
    rho = np.sqrt(1.0 - z * z)
    return np.column_stack([rho * np.cos(phi), rho * np.sin(phi), z]).astype(np.float32)


# Dots of the training cue ball (body frame): 12 dots about a tenth of the ball's diameter across.
CUE_DOTS = _sphere_points(12)
CUE_DOT_COS = 0.985


def ball_albedo(number: int) -> np.ndarray:
    return np.array(BALL_BGR[number if number <= 8 else number - 8], np.float32)


def _digit_textures(size: int = 40) -> dict[int, np.ndarray]:
    """White number circles with the black digits, 0..1 float (1 = white)."""
    tex = {}
    for n in range(1, 16):
        img = np.full((size, size), 255, np.uint8)
        text = str(n)
        scale = 0.9 if n < 10 else 0.72
        (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 2)
        cv2.putText(img, text, ((size - tw) // 2, (size + th) // 2), cv2.FONT_HERSHEY_SIMPLEX, scale, 0, 2,
                    cv2.LINE_AA)
        tex[n] = img.astype(np.float32) / 255.0
    return tex


DIGITS = _digit_textures()


@dataclass
class BallSprite:
    x0: int
    y0: int
    premult: np.ndarray    # h x w x 3 float32, colour * alpha
    alpha: np.ndarray      # h x w float32
    key: tuple


def motion_blur(image: np.ndarray, blur: tuple[float, float]) -> np.ndarray:
    """Box blur along the motion vector `blur` [px] (length = exposure smear).

    Rotates the ROI so the motion runs along x, box-filters rows and rotates
    back: O(1) per pixel whatever the smear length. The content must stay
    within a centred circle of the ROI (sprites are padded for that).
    """
    length = math.hypot(*blur)
    if length < 1.0:
        return image
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D(((w - 1) / 2.0, (h - 1) / 2.0), math.degrees(math.atan2(blur[1], blur[0])), 1.0)
    flat = cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    flat = cv2.blur(flat, (int(round(length)), 1), borderType=cv2.BORDER_CONSTANT)
    return cv2.warpAffine(flat, m, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_CONSTANT)


def render_ball(number: int, cx: float, cy: float, r: float, orientation: np.ndarray, gain: float,
                blur: tuple[float, float], light: np.ndarray, soften: float = 0.0) -> BallSprite:
    """A shaded, patterned ball centred at (cx, cy) px, blurred along `blur` px.

    `light` is the unit direction to the lamp in view coordinates (x right,
    y down, z towards the camera); `soften` [px] is the lens blur.
    """
    pad = int(math.ceil(math.hypot(*blur) / 2.0)) + 2
    x0 = int(math.floor(cx - r)) - pad
    y0 = int(math.floor(cy - r)) - pad
    size_x = size_y = int(math.ceil(2 * r)) + 2 * pad + 2
    gx = (np.arange(size_x, dtype=np.float32) + x0 - cx)[None, :]
    gy = (np.arange(size_y, dtype=np.float32) + y0 - cy)[:, None]
    rr = np.sqrt(gx * gx + gy * gy)
    alpha = np.clip(r + 0.5 - rr, 0.0, 1.0)
    nx, ny = gx / r, gy / r
    nz = np.sqrt(np.clip(1.0 - nx * nx - ny * ny, 0.0, 1.0))
    # View normal -> table frame (camera looks down: y flips, z up) -> body frame.
    n_table = np.stack([np.broadcast_to(nx, rr.shape), np.broadcast_to(-ny, rr.shape), nz], axis=-1)
    body = n_table @ orientation          # rows: R^T n
    bz = body[..., 2]
    colour = np.empty(rr.shape + (3,), np.float32)
    albedo = ball_albedo(number)
    if number == 0:
        # A training cue ball: white with small red dots all over.
        colour[:] = WHITE_BGR
        dots = np.max(body @ CUE_DOTS.T, axis=-1) > CUE_DOT_COS
        colour[dots] = (40, 40, 190)
    else:
        colour[:] = albedo
        if number >= 9:
            colour[np.abs(bz) > 0.5] = WHITE_BGR
        # Number circles at both poles, about 40 % of the ball's diameter across.
        cap = np.abs(bz) > NUMBER_CAP_COS
        if cap.any():
            s = np.where(bz >= 0, 1.0, -1.0)
            size = DIGITS[number].shape[0]
            rim = math.sqrt(1 - NUMBER_CAP_COS ** 2)
            u = np.clip(((body[..., 0] * s / rim) + 1) * 0.5 * (size - 1), 0, size - 1)
            v = np.clip(((-body[..., 1] / rim) + 1) * 0.5 * (size - 1), 0, size - 1)
            ink = DIGITS[number][v.astype(int), u.astype(int)]
            colour[cap] = WHITE_BGR[None, :] * ink[cap][:, None]
    half = light + np.array([0.0, 0.0, 1.0])
    half /= np.linalg.norm(half)
    lam = np.clip(nx * light[0] + ny * light[1] + nz * light[2], 0.0, 1.0)
    spec = np.clip(nx * half[0] + ny * half[1] + nz * half[2], 0.0, 1.0) ** 24
    # Ambient from the bright cloth and room, diffuse from the lamp; the camera runs a little hot.
    shade = (0.62 + 0.62 * lam) * gain
    colour = colour * shade[..., None] + (255.0 * 0.5 * spec)[..., None]
    np.clip(colour, 0, 255, out=colour)
    premult = colour * alpha[..., None]
    if soften > 0:
        premult = cv2.GaussianBlur(premult, (0, 0), soften)
        alpha = cv2.GaussianBlur(alpha, (0, 0), soften)
    if math.hypot(*blur) >= 1.0:
        rgba = motion_blur(np.dstack([premult, alpha]), blur)
        premult, alpha = rgba[..., :3], rgba[..., 3]
    return BallSprite(x0, y0, premult, alpha, ())


def shadow_alpha(cx: float, cy: float, r: float, shifts_px: list[tuple[tuple[float, float], float]],
                 blur: tuple[float, float]) -> tuple[int, int, np.ndarray]:
    """Soft cast shadows (one per lamp) plus a tight contact shadow, as darkening 0..1 in an ROI.

    `shifts_px` holds, per lamp, the shadow centre offset [px] and its weight.
    """
    reach = max(math.hypot(*s) for s, _ in shifts_px) if shifts_px else 0.0
    pad = int(math.ceil(math.hypot(*blur) / 2.0 + 2.0 * r + reach))
    x0, y0 = int(cx) - pad, int(cy) - pad
    n = 2 * pad + 2
    gx = (np.arange(n, dtype=np.float32) + x0 - cx)[None, :]
    gy = (np.arange(n, dtype=np.float32) + y0 - cy)[:, None]
    a = np.zeros((n, n), np.float32)
    for (sx, sy), weight in shifts_px:
        length = math.hypot(sx, sy)
        ux, uy = (sx / length, sy / length) if length > 1e-6 else (1.0, 0.0)
        px, py = gx - sx, gy - sy
        # The shadow of a sphere stretches away from the lamp; the lamp's size softens it.
        along = (px * ux + py * uy) / (r * (1.0 + 0.5 * length / r))
        across = (-px * uy + py * ux) / r
        d = np.sqrt(along * along + across * across)
        a += (0.7 * weight) * 0.5 * (1.0 - np.tanh((d - 1.0) / 0.35))
    # Ambient occlusion where the ball nearly touches the cloth, just beyond its rim.
    contact = 0.5 * (1.0 - np.tanh((np.sqrt(gx * gx + gy * gy) / r - 1.05) / 0.1))
    a = np.minimum(np.maximum(a, 0.45 * contact), 0.7).astype(np.float32)
    return x0, y0, motion_blur(a, blur)


def _clip_roi(shape, x0: int, y0: int, h: int, w: int):
    """Intersect an ROI with the image: (frame slices, patch slices) or None."""
    fx0, fy0 = max(x0, 0), max(y0, 0)
    fx1, fy1 = min(x0 + w, shape[1]), min(y0 + h, shape[0])
    if fx1 <= fx0 or fy1 <= fy0:
        return None
    return ((slice(fy0, fy1), slice(fx0, fx1)),
            (slice(fy0 - y0, fy1 - y0), slice(fx0 - x0, fx1 - x0)))


def _mark(dirty: list | None, fs: tuple, mask: np.ndarray | None = None) -> None:
    if dirty is not None:
        box = (fs[1].start, fs[0].start, fs[1].stop, fs[0].stop)
        dirty.append(box if mask is None else box + (mask,))


def darken(frame: np.ndarray, x0: int, y0: int, amount: np.ndarray, dirty: list | None = None) -> None:
    roi = _clip_roi(frame.shape, x0, y0, *amount.shape)
    if roi is None:
        return
    (fs, ps) = roi
    _mark(dirty, fs)
    patch = frame[fs].astype(np.float32)
    frame[fs] = (patch * (1.0 - amount[ps])[..., None]).astype(np.uint8)


def composite(frame: np.ndarray, sprite: BallSprite, noise: np.ndarray | None = None,
              dirty: list | None = None) -> None:
    """Alpha-blend a sprite; `noise` (int8, frame-sized) is the sensor noise to put on it."""
    roi = _clip_roi(frame.shape, sprite.x0, sprite.y0, *sprite.alpha.shape)
    if roi is None:
        return
    fs, ps = roi
    _mark(dirty, fs)
    a = sprite.alpha[ps][..., None]
    patch = frame[fs].astype(np.float32)
    out = patch * (1.0 - a) + sprite.premult[ps]
    if noise is not None:
        out += noise[fs].astype(np.float32) * a
    frame[fs] = np.clip(out, 0, 255).astype(np.uint8)


def fill_polygon_alpha(frame: np.ndarray, poly_px: np.ndarray, colour, opacity: float = 1.0,
                       soften: float = 0.0, dirty: list | None = None) -> None:
    """Blend an anti-aliased polygon (optionally blurred) into the frame inside its bbox."""
    poly = np.asarray(poly_px, np.float64)
    pad = int(math.ceil(3 * soften)) + 2
    x0, y0 = int(math.floor(poly[:, 0].min())) - pad, int(math.floor(poly[:, 1].min())) - pad
    x1, y1 = int(math.ceil(poly[:, 0].max())) + pad, int(math.ceil(poly[:, 1].max())) + pad
    x0c, y0c = max(x0, 0), max(y0, 0)
    x1c, y1c = min(x1, frame.shape[1]), min(y1, frame.shape[0])
    if x1c <= x0c or y1c <= y0c:
        return
    mask = np.zeros((y1c - y0c, x1c - x0c), np.uint8)
    pts = np.round((poly - [x0c, y0c]) * 16).astype(np.int32)
    cv2.fillConvexPoly(mask, pts, 255, cv2.LINE_AA, 4)
    if soften > 0:
        mask = cv2.GaussianBlur(mask, (0, 0), soften)
    _mark(dirty, (slice(y0c, y1c), slice(x0c, x1c)), mask)    # a slanted stick covers a sliver of its box
    a = mask.astype(np.float32)[..., None] * (opacity / 255.0)
    patch = frame[y0c:y1c, x0c:x1c].astype(np.float32)
    if colour is None:       # shadow: darken
        out = patch * (1.0 - a)
    else:
        out = patch * (1.0 - a) + np.array(colour, np.float32) * a
    frame[y0c:y1c, x0c:x1c] = np.clip(out, 0, 255).astype(np.uint8)
