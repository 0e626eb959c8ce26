# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""What the camera adds to the rendered picture: sensor noise and a JPEG round trip, paid once for the table.

Most of a frame is the still table. Its noisy versions (the background plus the
noise tile at a few row offsets) and their JPEG round trips are made once; a
frame starts from one of them, chosen at random and never the same twice in a
row, and only the boxes that were drawn on are encoded and decoded again.

That is exactly the full-frame round trip. JPEG (4:2:0) codes 16x16 px units
on a fixed grid, each on its own; a decoded pixel also reads the chroma of the
next unit (fancy upsampling). So the units under a drawing and their
neighbours are re-coded, from a crop one more unit wider so that their own
neighbours are the real ones, and pasted into the table's round trip. Balls
at rest look the same each time a noisy table comes back: the packed crops are
then the very ones coded last time on it, and that result is used again.
"""
from __future__ import annotations

import cv2
import numpy as np

MCU = 16            # JPEG 4:2:0 coding unit [px]
TILE = 3            # units per side of the boxes re-coded together
NOISE_OFFSETS = 61  # row offsets of the noise tile (its extra rows)
NOISE_FRAMES = 8    # noisy tables made once; a frame uses one of them
FULL_FRAME_SHARE = 0.6   # crops packed into more than this share of the frame: code the whole frame


def jpeg_round_trip(image: np.ndarray, quality: int) -> np.ndarray:
    ok, buf = cv2.imencode('.jpg', image, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise RuntimeError('JPEG encoding of a synthetic frame failed')
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


class Sensor:
    def __init__(self, background: np.ndarray, noise_sigma: float, jpeg_quality: int, rng: np.random.Generator):
        h, w = background.shape[:2]
        self.quality = int(jpeg_quality)
        self._rng = rng
        self._noise = None
        offsets = [0]
        if noise_sigma > 0:
            self._noise = np.clip(rng.normal(0, noise_sigma, (h + NOISE_OFFSETS - 1, w, 3)),
                                  -127, 127).astype(np.int8)
            offsets = np.linspace(0, NOISE_OFFSETS - 1, NOISE_FRAMES).round().astype(int).tolist()
        self._offsets = offsets
        self._clean = [cv2.add(background, self._noise[o:o + h], dtype=cv2.CV_8U) if self._noise is not None
                       else background.copy() for o in offsets]
        self._coded = [jpeg_round_trip(c, self.quality) if self.quality > 0 else c for c in self._clean]
        self._last = -1
        self._k = 0
        self._memo: dict[int, tuple] = {}    # noisy table -> (boxes, mosaic, its round trip) last coded on it

    def begin(self) -> tuple[np.ndarray, np.ndarray | None]:
        """A noisy table to draw this frame on, and the frame-sized noise it holds (None without noise)."""
        n = len(self._offsets)
        k = int(self._rng.integers(0, n - 1)) if n > 1 else 0
        if n > 1 and k >= self._last >= 0:
            k += 1                     # never the previous one: consecutive frames differ by noise
        self._last = self._k = k
        o = self._offsets[k]
        noise = self._noise[o:o + self._clean[k].shape[0]] if self._noise is not None else None
        return self._clean[k].copy(), noise

    def finish(self, frame: np.ndarray, dirty: list) -> np.ndarray:
        """The camera's picture of `frame` (from `begin`, drawn on inside the `dirty` boxes)."""
        if self.quality <= 0:
            return frame
        boxes = recode_boxes(dirty, frame.shape[1], frame.shape[0])
        mosaic, places, alone = pack(frame, [crop for _, crop in boxes])
        if mosaic is not None and mosaic.shape[0] > FULL_FRAME_SHARE * frame.shape[0]:
            return jpeg_round_trip(frame, self.quality)      # much drawn (a break): no cheaper in pieces
        out = self._coded[self._k].copy()
        # One round trip for the crops packed on the coding grid: each call costs about as much as
        # coding a 100x100 px picture before it codes anything.
        coded = None
        if mosaic is not None:
            memo = self._memo.get(self._k)
            if memo is not None and memo[0] == boxes and np.array_equal(memo[1], mosaic):
                coded = memo[2]
            else:
                coded = jpeg_round_trip(mosaic, self.quality)
                self._memo[self._k] = (boxes, mosaic, coded)
        for i, (paste, crop) in enumerate(boxes):
            if i in alone:
                piece = jpeg_round_trip(frame[crop[1]:crop[3], crop[0]:crop[2]], self.quality)
            else:
                mx, my = places[i]
                piece = coded[my:my + crop[3] - crop[1], mx:mx + crop[2] - crop[0]]
            x0, y0, x1, y1 = paste
            out[y0:y1, x0:x1] = piece[y0 - crop[1]:y1 - crop[1], x0 - crop[0]:x1 - crop[0]]
        return out


def pack(frame: np.ndarray, crops: list) -> tuple[np.ndarray | None, dict, set]:
    """Crops of `frame` side by side in one picture, each on the coding grid: (mosaic, {index: (x, y)},
    indices left to code alone).

    At the picture's edge the decoder repeats the edge, so a crop on an edge goes to the same edge of
    the mosaic: top-edge crops in the first shelf, bottom-edge ones in the last (bottom-aligned),
    left-edge ones first in a shelf, right-edge ones last in it (the mosaic is as wide as the frame).
    """
    h, w = frame.shape[:2]
    flags = [(x0 == 0, y0 == 0, x1 == w, y1 == h) for x0, y0, x1, y1 in crops]
    alone = {i for i, (left, top, right, bottom) in enumerate(flags) if (left and right) or (top and bottom)}
    groups = [[i for i in range(len(crops)) if i not in alone and flags[i][1]],
              [i for i in range(len(crops)) if i not in alone and not flags[i][1] and not flags[i][3]],
              [i for i in range(len(crops)) if i not in alone and flags[i][3]]]
    size = [(x1 - x0, y1 - y0) for x0, y0, x1, y1 in crops]
    shelves = []
    for g, items in enumerate(groups):
        lefts = [i for i in items if flags[i][0]]
        rights = [i for i in items if flags[i][2]]
        rest = sorted((i for i in items if not flags[i][0] and not flags[i][2]),
                      key=lambda i: (-size[i][1], -size[i][0]))
        rows = []
        while lefts or rights or rest:
            row = [lefts.pop()] if lefts else []
            right = rights.pop() if rights else None
            limit = w - size[right][0] if right is not None else (w // MCU) * MCU
            x = sum(size[i][0] for i in row)
            for i in list(rest):
                if x + size[i][0] <= limit:
                    row.append(i)
                    rest.remove(i)
                    x += size[i][0]
            if not row and right is None:   # cannot happen (inner crops fit a row); never loop on it
                alone.update(rest)
                break
            rows.append((row, right))
        if g != 1 and len(rows) > 1:   # one shelf touches the mosaic's top (bottom); the others code alone
            for row, right in (rows[1:] if g == 0 else rows[:-1]):
                alone.update(row + ([right] if right is not None else []))
            rows = rows[:1] if g == 0 else rows[-1:]
        shelves += [(g, row, right) for row, right in rows]
    if not shelves:
        return None, {}, alone
    places, y = {}, 0
    for g, row, right in shelves:
        members = row + ([right] if right is not None else [])
        height = max(size[i][1] for i in members)
        x = 0
        for i in row:
            places[i] = (x, y)
            x += size[i][0]
        if right is not None:
            places[right] = (w - size[right][0], y)
        if g == 2:                     # bottom-aligned: height = y + height is the mosaic's bottom
            places.update({i: (places[i][0], y + height - size[i][1]) for i in members})
        y += height
    mosaic = np.zeros((y, w, 3), np.uint8)
    for i, (mx, my) in places.items():
        x0, y0, x1, y1 = crops[i]
        mosaic[my:my + y1 - y0, mx:mx + x1 - x0] = frame[y0:y1, x0:x1]
    return mosaic, places, alone


def _units(dirty: list, width: int, height: int) -> np.ndarray:
    """Coding units (MCU grid) with a drawn pixel."""
    units = np.zeros((-(-height // MCU), -(-width // MCU)), bool)
    for box in dirty:
        x0, y0, x1, y1 = box[:4]
        if x1 <= x0 or y1 <= y0:
            continue
        if len(box) == 4 or (x1 - x0) * (y1 - y0) <= 4 * MCU * MCU:   # small: its box will do
            units[y0 // MCU:-(-y1 // MCU), x0 // MCU:-(-x1 // MCU)] = True
            continue
        ox, oy = x0 % MCU, y0 % MCU        # the mask on the grid, reduced per unit
        gh, gw = -(-(oy + y1 - y0) // MCU), -(-(ox + x1 - x0) // MCU)
        grid = np.zeros((gh * MCU, gw * MCU), bool)
        grid[oy:oy + y1 - y0, ox:ox + x1 - x0] = box[4] > 0
        units[y0 // MCU:y0 // MCU + gh, x0 // MCU:x0 // MCU + gw] |= grid.reshape(gh, MCU, gw, MCU).any(axis=(1, 3))
    return units


def recode_boxes(dirty: list, width: int, height: int) -> list[tuple[tuple, tuple]]:
    """(box to paste, crop to code) pairs, px, covering every unit under or next to a dirty box."""
    units = _units(dirty, width, height).view(np.uint8)
    if not units.any():
        return []
    gh, gw = units.shape
    units = cv2.dilate(units, np.ones((3, 3), np.uint8))        # their decoded chroma reads dirty units
    th, tw = -(-gh // TILE), -(-gw // TILE)
    padded = np.zeros((th * TILE, tw * TILE), np.uint8)
    padded[:gh, :gw] = units
    tiles = padded.reshape(th, TILE, tw, TILE).max(axis=(1, 3)) > 0
    out = []
    step = TILE * MCU
    for ty in range(th):
        row = np.flatnonzero(tiles[ty])
        if len(row) == 0:
            continue
        # Runs of neighbouring tiles in this row are coded together.
        breaks = np.flatnonzero(np.diff(row) > 1)
        for a, b in zip(np.r_[0, breaks + 1], np.r_[breaks, len(row) - 1]):
            x0, x1 = row[a] * step, min((row[b] + 1) * step, width)
            y0, y1 = ty * step, min((ty + 1) * step, height)
            crop = (max(x0 - MCU, 0), max(y0 - MCU, 0), min(x1 + MCU, width), min(y1 + MCU, height))
            out.append(((x0, y0, x1, y1), crop))
    return out
