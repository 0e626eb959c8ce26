# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Cue detection that searches again only when the picture could hold a different stick.

`detect_cue` looks at the whole table every frame (about 10 ms without a stick,
20-40 ms with one, 1280 px). Most frames need less:

- A thumbnail of the table area (cells of about half a ball radius, area
  averaged, so sensor noise stays below `change_level`) is compared with the
  one of the frame last searched. Nothing changed: the last result stands
  (stick or none; the target ball is looked up again in the current balls).
- No stick last time: a stick always enters from outside the table, over a
  cushion, so a new one changes cells in a band along the edge of the table
  area (`edge_balls` ball diameters wide, the picture border included). Changes
  only inside (balls rolling, a hand in the middle) do not bring a stick; the
  search runs when the band changed, and for `hold_frames` frames after that
  (a stick sliding in along its own line changes the band little), and at
  least every `full_search_frames` frames.
- A stick last time and anything changed: searched again in a window, the box
  round the last stick's whole line across the table area grown by
  `window_balls` ball diameters (a stick moves little between two frames and
  along its own line when it strikes). The whole table is searched instead when
  the edge band changed outside that window (another stick could enter there),
  when the window finds nothing (the stick left it, or was taken away), and at
  least every `full_search_frames` frames. A window saves most where the stick
  lies along the table; across its diagonal the window is most of the table.

Results are those of `detect_cue_at_width` on the frames searched (in the
window: the same stick, the search only looks at less of the table).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import cv2
import numpy as np

from .cue import CueDetection, target_ball
from .downscale import detect_cue_at_width
from .params import CueParams
from .table import TableDetection


@dataclass
class IncrementalCueParams:
    change_level: float = 12.0      # a thumbnail cell changed when a channel's mean moved more [0-255]
    cell_radii: float = 0.5         # thumbnail cell size [ball radii]
    edge_balls: float = 1.0         # width of the band along the table area's edge [ball diameters]
    hold_frames: int = 15           # frames searched after the last change in that band
    full_search_frames: int = 10    # a search of the whole table at least every this many frames
    window_balls: float = 2.0       # margin of the window round the last stick [ball diameters]


class IncrementalCueDetector:
    def __init__(self, params: CueParams, inc: Optional[IncrementalCueParams] = None, work_width: int = 1280):
        self.params = params
        self.inc = inc or IncrementalCueParams()
        self.work_width = work_width
        self.reset()

    def reset(self) -> None:
        self._key = None
        self._ref: Optional[np.ndarray] = None
        self._cue: Optional[CueDetection] = None
        self._since_search = 0
        self._since_full = 0
        self._hold = 0
        self.last = {'mode': 'none'}

    def _setup(self, table: TableDetection, shape) -> None:
        """Thumbnail geometry and the edge band for this table and picture size."""
        h, w = shape[:2]
        corners = np.asarray(table.corners_px, np.float64)
        r_px = float(np.median(table.ball_radius_px(corners)))
        centre = corners.mean(axis=0)
        grow = 2.0 * r_px + 2.0       # the detector's table area (cushion tops), and a pixel more
        poly = centre + (corners - centre) * (1 + grow / np.linalg.norm(corners - centre, axis=1, keepdims=True))
        x, y, bw, bh = cv2.boundingRect(np.round(poly).astype(np.int32))
        cell = int(max(2, round(self.inc.cell_radii * r_px)))
        # Whole cells (cv2.resize's fast area path, 3x cheaper than a fractional ratio), covering
        # the area where the picture allows.
        x0, x1 = _cells(max(0, x), min(w, x + bw), w, cell)
        y0, y1 = _cells(max(0, y), min(h, y + bh), h, cell)
        tw, th = (x1 - x0) // cell, (y1 - y0) // cell
        sx = sy = 1.0 / cell
        area = np.zeros((th, tw), np.uint8)
        cv2.fillConvexPoly(area, np.round((poly - [x0, y0]) * [sx, sy]).astype(np.int32), 255)
        band_cells = max(1, int(np.ceil(self.inc.edge_balls * 2 * r_px * sx)))
        inner = cv2.erode(area, np.ones((2 * band_cells + 1, 2 * band_cells + 1), np.uint8),
                          borderType=cv2.BORDER_CONSTANT, borderValue=0)
        self._poly = poly
        self._diameter = 2 * r_px
        self._cell = cell
        self._roi = (x0, y0, x1, y1)
        self._tsize = (tw, th)
        self._area = area > 0
        self._band = (area > 0) & (inner == 0)
        self._key = (shape[:2], corners.tobytes())
        self._ref = None

    def _thumb(self, image: np.ndarray) -> np.ndarray:
        x0, y0, x1, y1 = self._roi
        return cv2.resize(image[y0:y1, x0:x1], self._tsize, interpolation=cv2.INTER_AREA)

    def detect(self, image: np.ndarray, table: Optional[TableDetection], balls: Sequence) -> Optional[CueDetection]:
        if table is None:
            self.reset()
            return None
        if self._key != (image.shape[:2], np.asarray(table.corners_px, np.float64).tobytes()):
            self._setup(table, image.shape)
        thumb = self._thumb(image)
        mode = 'search'
        window = None
        if self._ref is not None and self._since_full + 1 < self.inc.full_search_frames:
            changed = (cv2.absdiff(thumb, self._ref).max(axis=2) > self.inc.change_level) & self._area
            band = changed & self._band
            if band.any():
                self._hold = self.inc.hold_frames
            elif self._hold > 0:
                self._hold -= 1
            if not changed.any():
                mode = 'unchanged'
            elif self._cue is None:
                if self._hold == 0:
                    mode = 'inside only'
            else:
                window = self._window(self._cue, image.shape)
                if window is not None and band.any() and self._enters_outside(changed, band, window):
                    window = None
        if mode != 'search':
            self._since_search += 1
            self._since_full += 1
            self.last = {'mode': mode}
            return self._again(balls)
        cue = None
        if window is not None:
            cue = detect_cue_at_width(image, table, balls, self.params, self.work_width, window=window,
                                      reads=self._reads(self._cue, window, image.shape))
            self.last = {'mode': 'window', 'window': window}
            self._since_full += 1
        if cue is None:
            cue = detect_cue_at_width(image, table, balls, self.params, self.work_width)
            self.last = {'mode': 'search' if window is None else 'window, then search'}
            self._since_full = 0
        self._cue = cue
        self._ref = thumb
        self._since_search = 0
        return cue

    def _window(self, cue: CueDetection, shape) -> Optional[tuple]:
        """(x0, y0, x1, y1): the box round the stick's line across the table area, grown by
        `window_balls` diameters; None when the line misses the area."""
        tip, butt = np.asarray(cue.tip_px, np.float64), np.asarray(cue.butt_px, np.float64)
        d = tip - butt
        n = float(np.linalg.norm(d))
        if n < 1e-6:
            return None
        d /= n
        poly = self._poly
        centre = poly.mean(axis=0)
        lo, hi = -np.inf, np.inf      # the line butt + t d inside the convex area (Cyrus-Beck)
        for i in range(len(poly)):
            a, b = poly[i], poly[(i + 1) % len(poly)]
            normal = np.array([a[1] - b[1], b[0] - a[0]])
            if normal @ (centre - a) < 0:
                normal = -normal          # pointing into the area
            num, den = normal @ (butt - a), normal @ d
            if abs(den) < 1e-12:
                if num < 0:
                    return None
                continue
            t = -num / den
            if den > 0:
                lo = max(lo, t)
            else:
                hi = min(hi, t)
        if lo > hi:
            return None
        pts = np.array([butt + lo * d, butt + hi * d, tip, butt])
        m = self.inc.window_balls * self._diameter
        h, w = shape[:2]
        x0, y0 = np.maximum(pts.min(axis=0) - m, 0)
        x1, y1 = np.minimum(pts.max(axis=0) + m, [w, h])
        return float(x0), float(y0), float(x1), float(y1)

    def _reads(self, cue: CueDetection, window, shape) -> tuple:
        """What a search in `window` reads of the picture: the window, and the stick's band along
        its line out to the picture's border (followed over the rail and the hand)."""
        h, w = shape[:2]
        tip, butt = np.asarray(cue.tip_px, np.float64), np.asarray(cue.butt_px, np.float64)
        d = (tip - butt) / (np.linalg.norm(tip - butt) + 1e-12)
        lo, hi = -np.inf, np.inf
        for k, size in ((0, w), (1, h)):           # butt + t d inside [0, size] on both axes
            if abs(d[k]) < 1e-12:
                continue
            a, b = (0 - butt[k]) / d[k], (size - butt[k]) / d[k]
            lo, hi = max(lo, min(a, b)), min(hi, max(a, b))
        pts = np.array([butt + lo * d, butt + hi * d]) if lo <= hi else np.array([butt, tip])
        m = self.inc.window_balls * self._diameter
        x0, y0 = np.maximum(pts.min(axis=0) - m, 0)
        x1, y1 = np.minimum(pts.max(axis=0) + m, [w, h])
        return (min(x0, window[0]), min(y0, window[1]), max(x1, window[2]), max(y1, window[3]))

    def _enters_outside(self, changed: np.ndarray, band: np.ndarray, window) -> bool:
        """Whether the edge band changed outside the window in a place not joined to the window by
        changed cells (the player's arm moving with the stick is joined to it)."""
        wx0, wy0, wx1, wy1 = self._thumb_box(window)
        outside = band.copy()
        outside[wy0:wy1, wx0:wx1] = False
        if not outside.any():
            return False
        _, labels = cv2.connectedComponents(cv2.dilate(changed.view(np.uint8), np.ones((3, 3), np.uint8)),
                                            connectivity=8)
        joined = np.unique(labels[wy0:wy1, wx0:wx1])
        return bool(np.setdiff1d(labels[outside], joined[joined > 0]).size)

    def _thumb_box(self, window) -> tuple:
        x0, y0 = self._roi[:2]
        c = self._cell
        return (max(0, int((window[0] - x0) // c)), max(0, int((window[1] - y0) // c)),
                max(0, int(-(-(window[2] - x0) // c))), max(0, int(-(-(window[3] - y0) // c))))

    def _again(self, balls: Sequence) -> Optional[CueDetection]:
        """The last stick, its target looked up in the current balls."""
        if self._cue is None:
            return None
        c = self._cue
        direction = np.subtract(c.tip_px, c.butt_px)
        return CueDetection(c.tip_px, c.butt_px, c.angle_deg, c.confidence, c.tip_m, c.angle_table_rad,
                            target_ball(np.asarray(c.tip_px), direction, balls, self.params.aim_tolerance_balls))


def _cells(lo: int, hi: int, size: int, cell: int) -> tuple[int, int]:
    """[lo, hi) widened to whole cells inside [0, size) (shrunk when the picture is too small)."""
    n = max(1, -(-(hi - lo) // cell))
    n = min(n, size // cell)
    lo = max(0, min(lo, size - n * cell))
    return lo, lo + n * cell
