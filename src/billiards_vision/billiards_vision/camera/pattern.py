# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""pattern://moving: a built-in moving scene that needs no file.

A ball rolls and bounces on cloth-green felt with a frame counter in the corner:
enough to see that frames flow, at what rate, and with what latency.
"""
from __future__ import annotations

from typing import Optional

import cv2
import numpy as np

from billiards_vision.camera.base import CaptureSettings, Frame, FrameSource, Pacer, now_ns, register_scheme

PATTERNS = ('moving',)
CLOTH_BGR = (60, 120, 20)
RAIL_BGR = (30, 50, 90)


class PatternSource(FrameSource):
    def __init__(self, location: str, settings: CaptureSettings):
        super().__init__(location, settings)
        self._w = settings.width or 1280
        self._h = settings.height or 720
        self._pacer = Pacer()
        self._index = 0
        self._background = None

    @classmethod
    def validate(cls, location: str) -> Optional[str]:
        name = location.split('://', 1)[1]
        return None if name in PATTERNS else f'unknown pattern {name!r}; allowed: {", ".join(PATTERNS)}'

    def open(self) -> None:
        bg = np.empty((self._h, self._w, 3), np.uint8)
        bg[:] = RAIL_BGR
        rail = max(4, self._h // 20)
        bg[rail:self._h - rail, rail:self._w - rail] = CLOTH_BGR
        self._background = bg

    def ball_centre(self, index: int) -> tuple[int, int]:
        """Where the ball is in frame `index`: bounces between the rails at a fixed speed."""
        rail = max(4, self._h // 20)
        r = self.radius
        span_x, span_y = self._w - 2 * (rail + r), self._h - 2 * (rail + r)
        x, y = (index * 7) % (2 * span_x), (index * 5) % (2 * span_y)
        x = x if x < span_x else 2 * span_x - x
        y = y if y < span_y else 2 * span_y - y
        return rail + r + x, rail + r + y

    @property
    def radius(self) -> int:
        return max(4, self._h // 40)

    def read(self) -> Optional[Frame]:
        self._pacer.wait(1.0 / self.settings.framerate)
        image = self._background.copy()
        cx, cy = self.ball_centre(self._index)
        cv2.circle(image, (cx, cy), self.radius, (235, 235, 235), -1, cv2.LINE_AA)
        scale = self._h / 720
        cv2.putText(image, f'frame {self._index}', (int(30 * scale), int(80 * scale)),
                    cv2.FONT_HERSHEY_SIMPLEX, 1.5 * scale, (255, 255, 255), max(1, int(3 * scale)),
                    cv2.LINE_AA)
        frame = Frame(image, now_ns(), index=self._index)
        self._index += 1
        return frame


register_scheme('pattern', PatternSource, 'moving (built-in moving scene, no file needed)')
