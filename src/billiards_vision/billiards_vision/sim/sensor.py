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
neighbours are the real ones, and pasted into the table's round trip.
"""
from __future__ import annotations

import cv2
import numpy as np

MCU = 16            # JPEG 4:2:0 coding unit [px]
TILE = 4            # units per side of the boxes re-coded together
NOISE_OFFSETS = 61  # row offsets of the noise tile (its extra rows)
NOISE_FRAMES = 8    # noisy tables made once; a frame uses one of them


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
        out = self._coded[self._k].copy()
        h, w = frame.shape[:2]
        for (x0, y0, x1, y1), (cx0, cy0, cx1, cy1) in recode_boxes(dirty, w, h):
            coded = jpeg_round_trip(frame[cy0:cy1, cx0:cx1], self.quality)
            out[y0:y1, x0:x1] = coded[y0 - cy0:y1 - cy0, x0 - cx0:x1 - cx0]
        return out


def recode_boxes(dirty: list, width: int, height: int) -> list[tuple[tuple, tuple]]:
    """(box to paste, crop to code) pairs, px, covering every unit under or next to a dirty box."""
    gh, gw = -(-height // MCU), -(-width // MCU)
    units = np.zeros((gh, gw), np.uint8)
    for x0, y0, x1, y1 in dirty:
        if x1 > x0 and y1 > y0:
            units[y0 // MCU:-(-y1 // MCU), x0 // MCU:-(-x1 // MCU)] = 1
    if not units.any():
        return []
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
