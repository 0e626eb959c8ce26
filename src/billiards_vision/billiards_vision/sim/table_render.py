# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Pre-render the static table (cloth, cushions, rails, pockets, light) once.

Three top-view textures are drawn in table coordinates, one per height
(cloth bed at z=0, cushion tops at the nose height, rail tops), then each is
warped into the image with cv2.remap through the plane it lies on, so the
rails show the right parallax and lens distortion. Lighting (an uneven lamp
and vignetting) is applied in image space and also returned as a gain map so
balls and the cue can be lit to match.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..table_geometry import TableGeometry
from .camera import OverheadCamera
from .lighting import Lamps

CUSHION_WIDTH_M = 0.065
RAIL_WIDTH_M = 0.12
NOSE_HEIGHT_M = 0.036
RAIL_HEIGHT_M = 0.045
MARGIN_M = 0.45
MARKER_RADIUS_M = 0.013

# Cloth albedo; with the lamps and vignetting it gives the target table's teal
# (about (165, 184, 19) BGR at the centre of its reference frames).
CLOTH_BGR = {
    'teal': (212, 234, 30),
    'green': (75, 178, 38),
    'blue': (205, 120, 32),
}
RAIL_BGR = (36, 46, 80)
FLOOR_BGR = (172, 198, 218)
POCKET_BGR = (22, 20, 20)


@dataclass
class TableLook:
    cloth: str = 'teal'
    markers: bool = True
    vignetting: float = 0.1       # brightness loss at the image corners (0..1)
    light_unevenness: float = 0.4  # relative brightness spread of the lamp over the table


class _Texture:
    """A top-view canvas in table coordinates."""

    def __init__(self, half_extent: np.ndarray, texel_m: float, fill):
        self.half = half_extent
        self.texel = texel_m
        w, h = (np.ceil(2 * half_extent / texel_m)).astype(int)
        self.img = np.empty((h, w, 3), np.uint8)
        self.img[:] = fill
        self.mask = np.zeros((h, w), np.uint8)

    def px(self, xy) -> np.ndarray:
        """Table metres -> texture pixels (fixed point, shift 4)."""
        xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        # Drawing coordinates are texel centres, as in maps().
        u = (xy[:, 0] + self.half[0]) / self.texel - 0.5
        v = (self.half[1] - xy[:, 1]) / self.texel - 0.5
        return np.round(np.stack([u, v], axis=1) * 16).astype(np.int32)

    def length(self, m: float) -> int:
        return int(round(m / self.texel * 16))

    def maps(self, plane_xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        u = ((plane_xy[..., 0] + self.half[0]) / self.texel - 0.5).astype(np.float32)
        v = ((self.half[1] - plane_xy[..., 1]) / self.texel - 0.5).astype(np.float32)
        return u, v


def _table_coords(tex: _Texture) -> tuple[np.ndarray, np.ndarray]:
    """float32 table x, y [m] of every texel (broadcastable 1 x W and H x 1)."""
    h, w = tex.img.shape[:2]
    x_m = (np.arange(w, dtype=np.float32) * np.float32(tex.texel) - np.float32(tex.half[0]))[None, :]
    y_m = (np.float32(tex.half[1]) - np.arange(h, dtype=np.float32) * np.float32(tex.texel))[:, None]
    return x_m, y_m


def _rect(hx: float, hy: float) -> np.ndarray:
    return np.array([[-hx, hy], [hx, hy], [hx, -hy], [-hx, -hy]])


def _pocket_holes(geometry: TableGeometry) -> list[tuple[np.ndarray, float]]:
    """(centre, radius) of the visible pocket openings."""
    holes = []
    for kind, xy in geometry.pockets():
        out = np.sign(xy)
        if kind == 'corner':
            holes.append((xy + out * 0.045, 0.064))
        else:
            holes.append((xy + np.array([0.0, out[1] * 0.05]), 0.062))
    return holes


def _noise(shape, rng: np.random.Generator, sigma_px: float, amplitude: float) -> np.ndarray:
    """Smooth Gaussian noise with unit std times `amplitude`, correlated over `sigma_px`.

    Wide noise is generated coarse and scaled up: the same look for a fraction of the cost.
    """
    h, w = shape[:2]
    step = max(1, int(sigma_px / 3))
    n = rng.standard_normal((h // step + 2, w // step + 2), dtype=np.float32)
    if sigma_px > 0:
        n = cv2.GaussianBlur(n, (0, 0), sigma_px / step)
    if step > 1:
        n = cv2.resize(n, (n.shape[1] * step, n.shape[0] * step), interpolation=cv2.INTER_LINEAR)
    n = np.ascontiguousarray(n[:h, :w])
    n /= max(float(n.std()), 1e-6)
    return n * np.float32(amplitude)


def _draw_pockets(tex: _Texture, geometry: TableGeometry, with_liner: bool) -> None:
    for centre, radius in _pocket_holes(geometry):
        c = tuple(int(v) for v in tex.px(centre)[0])
        cv2.circle(tex.img, c, tex.length(radius), POCKET_BGR, -1, cv2.LINE_AA, 4)
        cv2.circle(tex.mask, c, tex.length(radius), 255, -1, cv2.LINE_AA, 4)
        if with_liner:
            # Rubber rim and a glimpse of the leather liner on the far side.
            cv2.circle(tex.img, c, tex.length(radius), (48, 48, 52), tex.length(0.006) // 16 + 1,
                       cv2.LINE_AA, 4)
            towards_table = -np.sign(centre) * np.array([0.5, 0.5]) * radius * 0.35
            liner = tuple(int(v) for v in tex.px(centre + towards_table)[0])
            cv2.ellipse(tex.img, liner, (tex.length(radius * 0.55), tex.length(radius * 0.35)),
                        0, 0, 360, (42, 52, 66), -1, cv2.LINE_AA, 4)


def _cloth_layer(geometry, texel, half, look: TableLook, rng) -> _Texture:
    hl, hw = geometry.length / 2, geometry.width / 2
    base = np.array(CLOTH_BGR[look.cloth], np.float32)
    tex = _Texture(half, texel, base.astype(np.uint8))
    h, w = tex.img.shape[:2]
    # Felt: fine grain plus faint large blotches.
    grain = _noise((h, w), rng, 0.7, 0.03) + _noise((h, w), rng, 0.04 / texel, 0.01)
    img = base[None, None, :] * (1.0 + grain[..., None])
    x_m, y_m = _table_coords(tex)
    d_edge = np.minimum(hl - np.abs(x_m), hw - np.abs(y_m))
    # The cushions shade a band of cloth next to them; their lit tops end in a sharp nose edge.
    img *= (1.0 - 0.38 * np.exp(-np.clip(d_edge, 0, None) / 0.022))[..., None]
    # Beyond the nose line the bed is hidden by cushions or falls into a pocket.
    img[d_edge < -0.02] = POCKET_BGR
    tex.img = np.clip(img, 0, 255).astype(np.uint8)
    tex.mask[:] = 255
    if look.markers:
        for xy in marker_positions(geometry):
            c = tuple(int(v) for v in tex.px(xy)[0])
            # White disc with a dark ring, like the target table's stick-on spots.
            cv2.circle(tex.img, c, tex.length(MARKER_RADIUS_M), (236, 240, 240), -1, cv2.LINE_AA, 4)
            cv2.circle(tex.img, c, tex.length(MARKER_RADIUS_M * 0.5), (85, 85, 82),
                       max(1, tex.length(0.0025) // 16), cv2.LINE_AA, 4)
    return tex


def _cushion_layer(geometry, texel, half, look: TableLook, rng) -> _Texture:
    hl, hw = geometry.length / 2, geometry.width / 2
    cw = CUSHION_WIDTH_M
    base = np.array(CLOTH_BGR[look.cloth], np.float32)
    tex = _Texture(half, texel, base.astype(np.uint8))
    h, w = tex.img.shape[:2]
    # The nose line itself is cut analytically in render_background (exact, unbiased edge).
    cv2.fillPoly(tex.mask, [tex.px(_rect(hl + cw, hw + cw))], 255, cv2.LINE_AA, 4)
    # Jaw cuts: the cushion stops at the pocket mouths.
    cg = geometry.pocket_mouth('corner') / np.sqrt(2.0)
    sg = geometry.pocket_mouth('side') / 2.0
    far = cw + 0.2
    for sx in (-1, 1):
        for sy in (-1, 1):
            quads = [
                [(sx * (hl - cg), sy * hw), (sx * (hl - cg + 0.75 * cw), sy * (hw + cw)),
                 (sx * (hl + far), sy * (hw + far)), (sx * (hl + far), sy * hw)],
                [(sx * hl, sy * (hw - cg)), (sx * (hl + cw), sy * (hw - cg + 0.75 * cw)),
                 (sx * (hl + far), sy * (hw + far)), (sx * hl, sy * (hw + far))],
            ]
            for q in quads:
                cv2.fillPoly(tex.mask, [tex.px(np.array(q))], 0, cv2.LINE_AA, 4)
        for sy in (-1, 1):
            q = [(-sg, sy * hw), (sg, sy * hw), (sg - 0.15 * cw, sy * (hw + cw + 0.01)),
                 (-sg + 0.15 * cw, sy * (hw + cw + 0.01))]
            cv2.fillPoly(tex.mask, [tex.px(np.array(q))], 0, cv2.LINE_AA, 4)
    x_m, y_m = _table_coords(tex)
    beyond = np.maximum(np.abs(x_m) - hl, np.abs(y_m) - hw)       # distance past the nose
    slope = np.clip(beyond / cw, 0, 1)
    # The cushion top catches the light, a little less towards the rail.
    shade = 1.0 - 0.1 * slope
    grain = _noise((h, w), rng, 0.7, 0.03)
    tex.img = np.clip(base[None, None, :] * (shade + grain)[..., None], 0, 255).astype(np.uint8)
    return tex


def _rail_layer(geometry, texel, half, look: TableLook, rng) -> _Texture:
    hl, hw = geometry.length / 2, geometry.width / 2
    cw, rw = CUSHION_WIDTH_M, RAIL_WIDTH_M
    tex = _Texture(half, texel, FLOOR_BGR)
    h, w = tex.img.shape[:2]
    x_m, y_m = _table_coords(tex)
    # Floor boards (seen beyond the rails).
    board = 0.9 + 0.1 * np.sin(y_m * 2 * np.pi / 0.14) ** 8 + _noise((h, w), rng, 2.0, 0.03)
    floor = np.array(FLOOR_BGR, np.float32)[None, None] * board[..., None]
    # Wood grain along each rail.
    along = np.where(np.abs(x_m) - hl > np.abs(y_m) - hw, y_m, x_m)
    across = np.where(np.abs(x_m) - hl > np.abs(y_m) - hw, x_m, y_m)
    grain = (0.92 + 0.06 * np.sin(across * 700.0 + 0.02 * np.sin(along * 7.0))
             + _noise((h, w), rng, 0.8, 0.03))
    wood = np.array(RAIL_BGR, np.float32)[None, None] * grain[..., None]
    rail_mask = np.zeros((h, w), np.uint8)
    outer = _rect(hl + cw + rw, hw + cw + rw)
    cv2.fillPoly(rail_mask, [tex.px(outer)], 255, cv2.LINE_AA, 4)
    cv2.fillPoly(rail_mask, [tex.px(_rect(hl + cw, hw + cw))], 0, cv2.LINE_AA, 4)
    a = (rail_mask.astype(np.float32) / 255.0)[..., None]
    img = wood * a + floor * (1 - a)
    # Sheen of the ceiling lights on the varnished rails.
    for xy, sx, sy in (((-0.45 * hl, -(hw + cw + 0.5 * rw)), 0.35, 0.03),
                       ((0.35 * hl, -(hw + cw + 0.5 * rw)), 0.3, 0.025),
                       ((hl + cw + 0.5 * rw, -0.3 * hw), 0.025, 0.25)):
        g = np.exp(-0.5 * (((x_m - xy[0]) / sx) ** 2 + ((y_m - xy[1]) / sy) ** 2))
        img += (g * 110.0)[..., None] * a
    tex.img = np.clip(img, 0, 255).astype(np.uint8)
    # Table outside the rail inner edge (rails, castings) is the top layer.
    tex.mask[:] = 255
    cv2.fillPoly(tex.mask, [tex.px(_rect(hl + cw, hw + cw))], 0, cv2.LINE_AA, 4)
    # Silver corner castings wrap the outer side of each corner pocket.
    for (kind, _), (centre, radius) in zip(geometry.pockets(), _pocket_holes(geometry)):
        if kind != 'corner':
            continue
        c = tuple(int(v) for v in tex.px(centre)[0])
        out = np.sign(centre)
        plate = centre + out * 0.035 + _rect(radius + 0.03, radius + 0.03)
        cv2.fillPoly(tex.img, [tex.px(plate)], (188, 184, 182), cv2.LINE_AA, 4)
        cv2.circle(tex.img, c, tex.length(radius + 0.03), (200, 196, 194), -1, cv2.LINE_AA, 4)
        cv2.circle(tex.img, c, tex.length(radius + 0.012), (120, 118, 118), -1, cv2.LINE_AA, 4)
    # Diamonds (sights): thirds between pockets on every rail.
    mid = cw + 0.5 * rw
    sights = [(x, s * (hw + mid)) for x in np.linspace(-hl, hl, 9)[1:-1] if abs(x) > 1e-9 for s in (-1, 1)]
    sights += [(s * (hl + mid), y) for y in np.linspace(-hw, hw, 5)[1:-1] for s in (-1, 1)]
    for xy in sights:
        cv2.circle(tex.img, tuple(int(v) for v in tex.px(xy)[0]), tex.length(0.0065), (235, 240, 240),
                   -1, cv2.LINE_AA, 4)
    _draw_pockets(tex, geometry, with_liner=True)
    return tex


def marker_positions(geometry: TableGeometry) -> list[np.ndarray]:
    """The head and foot spots, where the target table has its two white dots."""
    return [np.array([-geometry.length / 4, 0.0]), np.array([geometry.length / 4, 0.0])]


def render_background(camera: OverheadCamera, geometry: TableGeometry, look: TableLook,
                      rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The static table as seen by `camera`: (BGR uint8 image, float32 light gain H x W)."""
    if look.cloth not in CLOTH_BGR:
        raise ValueError(f'unknown cloth {look.cloth!r}; allowed: {", ".join(CLOTH_BGR)}')
    px_per_m = camera.K[0, 0] / camera.height_m
    texel = float(np.clip(0.7 / px_per_m, 0.0008, 0.004))
    half = np.array([geometry.length / 2 + CUSHION_WIDTH_M + RAIL_WIDTH_M + MARGIN_M,
                     geometry.width / 2 + CUSHION_WIDTH_M + RAIL_WIDTH_M + MARGIN_M])
    rays, _ = camera.pixel_rays()
    out = None
    # Bottom to top: cloth bed, cushions, rails.
    # Rails and floor carry little fine detail: a coarser texture is enough there.
    for build, z, scale in ((_cloth_layer, 0.0, 1.0), (_cushion_layer, NOSE_HEIGHT_M, 1.0),
                            (_rail_layer, RAIL_HEIGHT_M, 1.6)):
        tex = build(geometry, texel * scale, half, look, rng)
        mx, my = tex.maps(camera.plane_points(rays, z))
        img = cv2.remap(tex.img, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                        borderValue=FLOOR_BGR).astype(np.float32)
        alpha = cv2.remap(tex.mask, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                          borderValue=255).astype(np.float32)[..., None] / 255.0
        if build is _cushion_layer:
            xy = camera.plane_points(rays, z)
            beyond = np.maximum(np.abs(xy[..., 0]) - geometry.length / 2, np.abs(xy[..., 1]) - geometry.width / 2)
            alpha *= np.clip(0.5 + beyond * px_per_m, 0.0, 1.0).astype(np.float32)[..., None]
        out = img if out is None else img * alpha + out * (1.0 - alpha)
    gain = _light_gain(camera, rays, geometry, look)
    out = cv2.GaussianBlur(out * gain[..., None], (0, 0), 0.6)
    return np.clip(out, 0, 255).astype(np.uint8), gain


def _light_gain(camera: OverheadCamera, rays: np.ndarray, geometry: TableGeometry,
                look: TableLook) -> np.ndarray:
    """Irradiance of the lamps on the cloth (cosine law) times lens vignetting, ~1 at the brightest."""
    xy = camera.plane_points(rays, 0.0).astype(np.float32)
    lamps = Lamps(geometry)
    irradiance = np.zeros(xy.shape[:2], np.float32)
    for (lx, ly, lz), w in zip(lamps.positions, lamps.strength):
        d2 = (xy[..., 0] - lx) ** 2 + (xy[..., 1] - ly) ** 2 + lz * lz
        irradiance += np.float32(w * lz) / (d2 * np.sqrt(d2))
    lamp_gain = 1.0 - look.light_unevenness * (1.0 - irradiance / irradiance.max())
    h, w = camera.height, camera.width
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r2 = ((xx - w / 2) ** 2 + (yy - h / 2) ** 2) / ((w / 2) ** 2 + (h / 2) ** 2)
    vignette = 1.0 - look.vignetting * r2
    return (lamp_gain * vignette).astype(np.float32)
