# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Incremental ball detection: search again only where the picture changed.

Most of a game the balls stand still, so between full searches the last result
is kept where nothing changed:
1. The table region is shrunk to cells of about a third of a ball radius and
   compared with a reference: the cells as they were when that part of the
   table was last searched (not the previous frame, so a slow roll adds up and
   is caught). An unchanged ball is thereby confirmed at the cost of a few cells.
2. Changed cells mark tiles of a few ball diameters; tiles are grouped into
   rectangles (neighbours joined where one crop costs less than two: a crop's
   fixed cost is `crop_cost_px` pixels), and detect_balls runs on each rectangle grown by the margin its
   outline rays need, with the table shifted into the crop. Detections centred
   in a rectangle replace the old ones there (a ball appeared, moved or went).
   A ball whose face did not change stays (a crop cannot always tell the
   middle of a rack); a detection that is no old ball seen again is checked in
   a wider view first (a crop cuts the stick or a hand into ball-sized pieces).
3. A sweep searches a small slice of the table every frame, so every part is
   looked at again within `sweep_frames` frames even without change.
4. A full search runs at start, when the table or the picture size changes and
   when a large share of the table changed at once (break, camera bumped). The
   scheduled one (every `full_search_interval_s`, after at least
   `full_search_min_frames`) is spread over `full_search_frames` frames: one
   band of the table a frame, searched like a full search (a still ball there
   counts only when found again), then the types read on the whole table, so
   no frame pays for a whole full search.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Optional

import cv2
import numpy as np

from .balls import BallDetection, type_in_box, detect_balls, is_smear, measured_radius_ratio
from .classify import enforce_unique
from .colors import estimate_cloth
from .params import BallParams
from .table import DERIVED_BYTES, DerivedArrays, TableDetection


@dataclass
class IncrementalParams:
    full_search_interval_s: float = 5.0   # scheduled full search [s of frame time]
    full_search_change: float = 0.3       # changed share of the table that forces a full search
    change_threshold: float = 12.0        # a cell changed when a channel moved more than this (0..255)
    tile_balls: float = 2.0               # tile side in ball diameters
    sweep_frames: int = 60                # frames for the sweep to cover the whole table once (0 = no sweep)
    # A scheduled full search also waits for this many frames since the last one: on a starved CPU a
    # full search can outlast the interval, and searching in full every frame would starve it further.
    full_search_min_frames: int = 30
    full_search_frames: int = 6           # frames a scheduled full search is spread over (1 = all at once)
    # A crop's fixed cost, in pixels searched: two changed areas are searched as one crop when it is no
    # larger than the two apart plus this (720p break: 3.8 ms a crop + 0.9 ms per 10,000 px).
    crop_cost_px: float = 40000.0

    @classmethod
    def from_mapping(cls, values: dict) -> 'IncrementalParams':
        """The fields found in `values` (a node's parameters or a YAML section), the rest default."""
        return cls(**{f.name: type(f.default)(values[f.name]) for f in fields(cls) if f.name in values})


@dataclass
class _Layout:
    """Where the table lies in the picture and how it is cut into cells and tiles."""
    x0: int
    y0: int
    cell: int                 # full-resolution pixels per cell side
    tile: int                 # cells per tile side
    margin: int               # crop margin around a searched rectangle [px]
    size: tuple               # (cells wide, cells high)
    mask: np.ndarray          # cells of the search area (uint8)
    tiles: np.ndarray         # tiles touching the search area (bool, rows x cols)
    sweep: np.ndarray         # (row, col) of those tiles in sweep order


def _layout(table: TableDetection, shape, params: BallParams, tile_balls: float) -> Optional[_Layout]:
    H, W = shape[:2]
    r_corners = table.ball_radius_px(table.corners_px) * params.radius_scale
    r_mid = float(table.ball_radius_px(table.corners_px.mean(axis=0)) * params.radius_scale)
    r = float(np.median(np.append(r_corners, r_mid)))
    # The margin detect_balls itself keeps around the table: outline rays and blur reach 2.5 radii.
    margin = int(np.ceil(2.5 * r_corners.max()))
    cell = max(1, int(r / 3))
    x0 = max(0, int(np.floor(table.corners_px[:, 0].min())) - margin)
    y0 = max(0, int(np.floor(table.corners_px[:, 1].min())) - margin)
    x1 = min(W, int(np.ceil(table.corners_px[:, 0].max())) + margin)
    y1 = min(H, int(np.ceil(table.corners_px[:, 1].max())) + margin)
    cw, ch = (x1 - x0) // cell, (y1 - y0) // cell
    if cw < 4 or ch < 4:
        return None
    # Search area as detect_balls has it: the surface grown by the allowed margin and a radius.
    poly = table.corners_px - [x0, y0]
    centre = poly.mean(axis=0)
    grow = (params.surface_margin + 1.2) * r
    grown = centre + (poly - centre) * (1 + grow / np.linalg.norm(poly - centre, axis=1, keepdims=True))
    mask = np.zeros((ch, cw), np.uint8)
    cv2.fillConvexPoly(mask, np.round(grown / cell).astype(np.int32), 1)
    tile = max(2, int(round(tile_balls * 2 * r / cell)))
    return _Layout(x0, y0, cell, tile, margin, (cw, ch), mask, np.zeros((0, 0), bool), np.zeros((0, 2), int))


def _tiles_of(cells: np.ndarray, tile: int) -> np.ndarray:
    """Per tile: whether any of its cells is set."""
    ch, cw = cells.shape
    rows, cols = -(-ch // tile), -(-cw // tile)
    padded = np.zeros((rows * tile, cols * tile), bool)
    padded[:ch, :cw] = cells
    return padded.reshape(rows, tile, cols, tile).any(axis=(1, 3))


def tile_rectangles(tiles: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Rectangles (col0, row0, col1, row1, exclusive ends) covering the set tiles.

    A compact group of tiles is one rectangle; a straggling one (a diagonal cue,
    two balls far apart that touch by a corner) is cut into runs along its rows,
    so no large unchanged area is searched.
    """
    n, labels, stats, _ = cv2.connectedComponentsWithStats(tiles.astype(np.uint8), connectivity=8)
    out = []
    for k in range(1, n):
        x, y, w, h, count = stats[k]
        if w * h <= 2 * count:
            out.append((int(x), int(y), int(x + w), int(y + h)))
            continue
        for row in range(y, y + h):
            on = np.flatnonzero(labels[row, x:x + w] == k)
            if len(on) == 0:
                continue
            breaks = np.flatnonzero(np.diff(on) > 1)
            starts = np.concatenate([[on[0]], on[breaks + 1]])
            ends = np.concatenate([on[breaks], [on[-1]]])
            out.extend((int(x + a), int(row), int(x + b + 1), int(row + 1)) for a, b in zip(starts, ends))
    return out


def crop_box(area, margin: int, size: tuple) -> np.ndarray:
    """The crop searched for an inner area (x0, y0, x1, y1), or for each of an array of them (..., 4):
    grown by `margin`, clipped to size (W, H)."""
    a = np.asarray(area, dtype=np.int64)
    return np.concatenate([np.maximum(a[..., :2] - margin, 0), np.minimum(a[..., 2:] + margin, size)], axis=-1)


def merge_areas(areas: list, margin: int, size: tuple, crop_cost_px: float) -> list:
    """Inner areas to search, neighbours joined where one crop costs less than two.

    A break scatters a changed tile per ball: searched apart, each crop pays the fixed cost of a
    search (conversions, votes, refinement passes) and its margin again. Two areas become their
    bounding box while the box's crop is no larger than their two crops plus `crop_cost_px`; the
    best saving first, again until none saves.
    """
    boxes = np.array(areas, dtype=np.int64).reshape(-1, 4)

    def crop_px(b):
        c = crop_box(b, margin, size)
        return (c[..., 2] - c[..., 0]) * (c[..., 3] - c[..., 1])
    while len(boxes) > 1:
        a, b = boxes[:, None, :], boxes[None, :, :]
        union = np.concatenate([np.minimum(a[..., :2], b[..., :2]), np.maximum(a[..., 2:], b[..., 2:])], axis=-1)
        own = crop_px(boxes)
        saving = own[:, None] + own[None, :] + crop_cost_px - crop_px(union)
        saving[np.tril_indices(len(boxes))] = -1
        i, j = np.unravel_index(int(np.argmax(saving)), saving.shape)
        if saving[i, j] < 0:
            break
        keep = np.ones(len(boxes), bool)
        keep[[i, j]] = False
        boxes = np.vstack([boxes[keep], union[i, j][None]])
    return [tuple(int(v) for v in b) for b in boxes]


def shifted_table(table: TableDetection, dx: float, dy: float) -> TableDetection:
    """The same table seen in a crop whose top-left corner is (dx, dy) of the picture."""
    return TableDetection(table.corners_px - [dx, dy], table.geometry, table.long_side_horizontal,
                          table.cloth, table.confidence, table.manual)


# One budget for the radius maps and masks of all crops searched (a module name the tests can vary).
CROP_ARRAYS_BYTES = DERIVED_BYTES


class IncrementalBallDetector:
    """detect_balls for a stream of frames that searches only where the picture changed.

    `detect(image, table, t)` returns the balls of the frame; `last` says what
    the call did: mode ('full' or 'incremental'), share of the table searched,
    number of rectangles.
    """

    # A ball moves at most this many radii between two processed frames (5 m/s at 15 Hz, 720p).
    max_step_radii = 12.0

    def __init__(self, params: BallParams, inc: Optional[IncrementalParams] = None, force_full: bool = False):
        self.params = params
        self.inc = inc or IncrementalParams()
        self.force_full = force_full
        self.last: dict = {}
        self.reset()

    def reset(self) -> None:
        self._table: Optional[TableDetection] = None
        self._shape = None
        self._layout: Optional[_Layout] = None
        self._ref: Optional[np.ndarray] = None
        self._balls: list[BallDetection] = []
        # Measured / predicted ball radius from the last full search: a crop holds too few balls
        # to measure it, and the model's radius (a few % off) placed a dotted cue ball a radius off.
        self._radius_ratio: Optional[float] = None
        self._last_full_t: Optional[float] = None
        self._since_full = 0
        self._frame = 0
        self._sweep_pos = 0
        self._band: Optional[int] = None    # next step of a spread full search (None: none under way)

    def _cells(self, image: np.ndarray) -> np.ndarray:
        lay = self._layout
        cw, ch = lay.size
        roi = image[lay.y0:lay.y0 + ch * lay.cell, lay.x0:lay.x0 + cw * lay.cell]
        if lay.cell == 1:
            return roi.copy()
        return cv2.resize(roi, (cw, ch), interpolation=cv2.INTER_AREA)

    def _same_table(self, table: TableDetection, shape) -> bool:
        if self._table is None or self._layout is None or shape != self._shape:
            return False
        return float(np.abs(table.corners_px - self._table.corners_px).max()) < 0.5

    def _prepare(self, image: np.ndarray, table: TableDetection) -> None:
        self._table, self._shape = table, image.shape
        self._layout = _layout(table, image.shape, self.params, self.inc.tile_balls)
        if self._layout is not None:
            lay = self._layout
            lay.tiles = _tiles_of(lay.mask > 0, lay.tile)
            lay.sweep = np.argwhere(lay.tiles)
        self._ref = None
        self._sweep_pos = 0
        self._new_crops()

    def _new_crops(self) -> None:
        # Crop tables of one table share one byte budget for their derived arrays.
        self._crop_tables, self._crop_arrays = {}, DerivedArrays(CROP_ARRAYS_BYTES)

    def _crop_table(self, table: TableDetection, x0: int, y0: int) -> TableDetection:
        # Changes come back to the same tiles: the shifted table (homography, pockets) is kept per crop corner.
        key = (x0, y0)
        if key not in self._crop_tables:
            if len(self._crop_tables) > 4096:
                self._crop_tables.clear()
            crop = shifted_table(table, x0, y0)
            crop.share_derived(self._crop_arrays, key)
            self._crop_tables[key] = crop
        return self._crop_tables[key]

    def _full(self, image, table, cells, t) -> list[BallDetection]:
        self._balls = detect_balls(image, table, self.params)
        self._radius_ratio = measured_radius_ratio(self._balls, table, self.params) or self._radius_ratio
        for b in self._balls:
            b.extra = dict(b.extra, typed='table')
        self._ref = cells
        self._last_full_t = t
        self._since_full = 0
        self._band = None
        self.last = {'mode': 'full', 'searched': 1.0, 'rectangles': 1}
        return list(self._balls)

    def _band_box(self, k: int) -> tuple:
        """Inner box (picture px) of band k of the spread full search: tile rows split in equal parts."""
        lay = self._layout
        rows = lay.tiles.shape[0]
        n = max(1, min(self.inc.full_search_frames, rows))
        r0, r1 = (k * rows) // n, ((k + 1) * rows) // n
        cw, ch = lay.size
        span = lay.tile * lay.cell
        cols = np.flatnonzero(lay.tiles[r0:r1].any(axis=0))
        c0, c1 = (int(cols[0]), int(cols[-1]) + 1) if len(cols) else (0, 0)
        return (lay.x0 + c0 * span, lay.y0 + r0 * span,
                min(lay.x0 + c1 * span, lay.x0 + cw * lay.cell), min(lay.y0 + r1 * span, lay.y0 + ch * lay.cell))

    def _retype(self, image, table) -> None:
        """The last step of a spread full search: types read on the whole table, as a full search does.

        A crop's own white balance rests on its few balls; the table's many read better.
        """
        balls = self._balls
        if balls:
            cloth = table.cloth or estimate_cloth(image)
            type_in_box(image, balls, cloth, self.params, (0, 0))
            for b in balls:
                b.extra = dict(b.extra, typed='table')

    def detect(self, image: np.ndarray, table: TableDetection, t: Optional[float] = None) -> list[BallDetection]:
        if image is None or image.ndim != 3 or image.shape[2] != 3:
            raise ValueError('IncrementalBallDetector needs a BGR image (H x W x 3)')
        self._frame += 1
        t = float(self._frame) / 30.0 if t is None else float(t)
        if table is not self._table or image.shape != self._shape:
            if self._same_table(table, image.shape):
                # The table detector smooths its corners: a new message a fraction of a pixel
                # away keeps what was found (crops are cut again with the new homography).
                self._table = table
                self._new_crops()
            else:
                self._prepare(image, table)
        lay = self._layout
        if lay is None:
            return self._full(image, table, None, t)
        cells = self._cells(image)
        self._since_full += 1
        if self.force_full or self._ref is None or self._last_full_t is None or t < self._last_full_t:
            return self._full(image, table, cells, t)
        scheduled = (t - self._last_full_t >= self.inc.full_search_interval_s
                     and self._since_full > self.inc.full_search_min_frames)
        if scheduled and self.inc.full_search_frames <= 1:
            return self._full(image, table, cells, t)
        if scheduled and self._band is None:
            self._band = 0
        d = cv2.absdiff(cells, self._ref)
        diff = np.maximum(np.maximum(d[..., 0], d[..., 1]), d[..., 2])
        changed = (diff > self.inc.change_threshold) & (lay.mask > 0)
        share = float(changed.sum()) / max(1.0, float(lay.mask.sum()))
        if share > self.inc.full_search_change:
            return self._full(image, table, cells, t)
        # A cell at the edge of a change may hold the rest of a ball that barely changed.
        changed = cv2.dilate(changed.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        tiles = _tiles_of(changed, lay.tile) & lay.tiles
        tiles |= self._sweep_tiles(lay)
        band, step, retype = None, self._band, False
        if step is not None:
            if step < max(1, min(self.inc.full_search_frames, lay.tiles.shape[0])):
                band = self._band_box(step)
                self._band += 1
            else:
                # Every band searched: the types on the whole table, and the schedule starts again.
                self._band, retype = None, True
                self._last_full_t = t
                self._since_full = 0
        balls = self._update(image, table, cells, tiles, diff, band)
        if retype:
            self._retype(image, table)
            balls = list(self._balls)
        if step is not None:
            self.last['spread_step'] = step
        return balls

    def _sweep_tiles(self, lay: _Layout) -> np.ndarray:
        out = np.zeros_like(lay.tiles)
        n = len(lay.sweep)
        if self.inc.sweep_frames <= 0 or n == 0:
            return out
        step = -(-n // self.inc.sweep_frames)
        pick = lay.sweep[np.arange(self._sweep_pos, self._sweep_pos + step) % n]
        out[pick[:, 0], pick[:, 1]] = True
        self._sweep_pos = (self._sweep_pos + step) % n
        return out

    def _search(self, image, table, crop, inner) -> list[BallDetection]:
        """detect_balls on image[crop] for balls centred in `inner` (picture px), in picture px."""
        x0, y0, x1, y1 = crop
        ix0, iy0, ix1, iy1 = inner
        typed = [o for o in self._balls if o.extra.get('typed') == 'table']

        def known_type(b):
            # A ball found again where it was takes the table's type (_keep_type): no need to read it.
            return not is_smear(b) and any(np.hypot(o.x - b.x - x0, o.y - b.y - y0) < 0.5 * b.radius for o in typed)

        out = detect_balls(image[y0:y1, x0:x1], self._crop_table(table, x0, y0), self.params,
                           centres_in=(ix0 - x0, iy0 - y0, ix1 - x0, iy1 - y0), radius_ratio=self._radius_ratio,
                           known_type=known_type)
        for b in out:
            b.x += x0
            b.y += y0
        return out

    def _explained(self, found: list, old: list) -> list:
        """Detections that are a ball of the last result seen again, one each, nearest first.

        The crop they came from holds what they are; something unexplained (a ball put
        down, or a circle on the stick or a hand that a crop cut off the rest of) is
        checked in a wider view before it counts.
        """
        reach = self.max_step_radii
        pairs = sorted((np.hypot(b.x - o.x, b.y - o.y) / max(o.radius, 1e-6), i, k)
                       for i, b in enumerate(found) for k, o in enumerate(old))
        used_b, used_o = set(), set()
        for d, i, k in pairs:
            if d <= reach and i not in used_b and k not in used_o:
                used_b.add(i)
                used_o.add(k)
        return [found[i] for i in used_b]

    def _confirmed(self, image, table, b: BallDetection) -> bool:
        """A new ball found in a small crop, found again in one wider than a smear or a hand.

        detect_balls tells a ball from a finger, the stick's butt or a piece of the shaft
        (a motion-blur capsule must stand alone, at most 12 radii long) by the whole thing
        it belongs to; a crop cuts those into ball-sized pieces, so it looks again where
        they are whole.
        """
        H, W = image.shape[:2]
        half = int(np.ceil(7.0 * b.radius)) + self._layout.margin
        x0, y0 = max(0, int(b.x) - half), max(0, int(b.y) - half)
        x1, y1 = min(W, int(b.x) + half + 1), min(H, int(b.y) + half + 1)
        near = int(np.ceil(b.radius))
        again = self._search(image, table, (x0, y0, x1, y1),
                             (int(b.x) - near, int(b.y) - near, int(b.x) + near + 1, int(b.y) + near + 1))
        return any(np.hypot(a.x - b.x, a.y - b.y) < 0.5 * b.radius for a in again)

    @staticmethod
    def _keep_type(b: BallDetection, old: list) -> None:
        """A ball found again where it was keeps the type read on the whole table.

        A crop holds few balls: their own white sets the white balance (classify.type_balls),
        which reads worse than the table's many; a full search reads it again on schedule.
        """
        near = [o for o in old if np.hypot(o.x - b.x, o.y - b.y) < 0.5 * b.radius
                and o.extra.get('typed') == 'table' and not is_smear(b)]
        if near:
            o = near[0]
            b.type, b.number, b.type_confidence = o.type, o.number, o.type_confidence
            b.extra = dict(b.extra, typed='table')

    def _still(self, b: BallDetection, diff: np.ndarray) -> bool:
        """The cells under the ball's face have not changed since that part was last searched."""
        lay = self._layout
        cx, cy = (b.x - lay.x0) / lay.cell, (b.y - lay.y0) / lay.cell
        rr = max(1.0, 0.8 * b.radius / lay.cell)
        x0, x1 = max(0, int(np.floor(cx - rr))), min(diff.shape[1], int(np.ceil(cx + rr)) + 1)
        y0, y1 = max(0, int(np.floor(cy - rr))), min(diff.shape[0], int(np.ceil(cy + rr)) + 1)
        if x0 >= x1 or y0 >= y1:
            return False
        return int(diff[y0:y1, x0:x1].max()) <= self.inc.change_threshold

    def _update(self, image, table, cells, tiles, diff, band=None) -> list[BallDetection]:
        lay = self._layout
        H, W = image.shape[:2]
        cw, ch = lay.size
        span = lay.tile * lay.cell
        areas = []
        for c0, r0, c1, r1 in tile_rectangles(tiles):
            # Inner area in picture pixels: detections centred here replace the old ones.
            areas.append((lay.x0 + c0 * span, lay.y0 + r0 * span, min(lay.x0 + c1 * span, lay.x0 + cw * lay.cell),
                          min(lay.y0 + r1 * span, lay.y0 + ch * lay.cell)))
        areas = merge_areas(areas, lay.margin, (W, H), self.inc.crop_cost_px)
        if band is not None:
            areas.append(band)
        found, seen_in_band = [], []
        for area in areas:
            ix0, iy0, ix1, iy1 = area
            out = self._search(image, table, tuple(int(v) for v in crop_box(area, lay.margin, (W, H))), area)
            found += [b for b in out if ix0 <= b.x < ix1 and iy0 <= b.y < iy1]
            if area is band:
                seen_in_band = out
            self._ref[(iy0 - lay.y0) // lay.cell:(iy1 - lay.y0) // lay.cell,
                      (ix0 - lay.x0) // lay.cell:(ix1 - lay.x0) // lay.cell] = \
                cells[(iy0 - lay.y0) // lay.cell:(iy1 - lay.y0) // lay.cell,
                      (ix0 - lay.x0) // lay.cell:(ix1 - lay.x0) // lay.cell]

        # The band of a spread full search overlaps the changed tiles' rectangles: a ball found in both is one.
        unique = []
        for b in found:
            if all(np.hypot(b.x - u.x, b.y - u.y) > 0.5 * u.radius for u in unique):
                unique.append(b)
        found = unique

        def searched(b):
            return any(a <= b.x < c and e <= b.y < d for a, e, c, d in areas)

        def in_band(b):
            return band is not None and band[0] <= b.x < band[2] and band[1] <= b.y < band[3]

        sep = self.params.min_separation

        def apart(b, others):
            return all(np.hypot(o.x - b.x, o.y - b.y) > sep * max(o.radius, b.radius) for o in others)

        # A ball whose face did not change is still there, even where a crop alone cannot tell (the
        # middle of a rack: its neighbours' outlines are cut off, the table's statistics missing).
        # Found again within a quarter radius it keeps its measurement (no jitter); further away
        # the new measurement wins (it may correct a full search's slip in a cluster).
        still = [o for o in self._balls if self._still(o, diff)]
        # In the band of a spread full search a still ball counts only when found again, and the new
        # measurement wins (as in a full search): what a full search once took for a ball (something
        # still) does not stick, nor does the radius or type a ball was measured with as it came to rest.
        # Found again also counts just across the band's edge (refined peaks a radius outside it): a
        # ball on the edge, its centre measured a pixel to either side, was dropped for a whole sweep.
        for o in still:
            if in_band(o) and apart(o, found):
                again = [b for b in seen_in_band if not apart(o, [b])]
                if again:
                    found.append(min(again, key=lambda b: np.hypot(b.x - o.x, b.y - o.y)))
        still = [o for o in still if not in_band(o)]
        found = [b for b in found if not any(np.hypot(o.x - b.x, o.y - b.y) <= 0.25 * o.radius for o in still)]
        still = [o for o in still if apart(o, found)]
        rest = [o for o in self._balls if not any(o is k for k in still)]
        moved = [o for o in rest if searched(o) or not apart(o, found)]
        explained = {id(b) for b in self._explained(found, moved)}
        found = [b for b in found if id(b) in explained or self._confirmed(image, table, b)]
        for b in found:
            self._keep_type(b, self._balls)
        # A changed ball outside the searched areas (its centre's tile did not change) and one found
        # inside them closer than two balls can be are one ball: the new one wins.
        kept = still + [o for o in rest if not searched(o) and apart(o, found)]
        balls = kept + found
        if found:
            enforce_unique(balls, self.params)
        self._balls = balls
        searched_px = sum((c - a) * (d - e) for a, e, c, d in areas)
        self.last = {'mode': 'incremental', 'searched': searched_px / max(1.0, float(lay.mask.sum()) * lay.cell ** 2),
                     'rectangles': len(areas)}
        return list(balls)
