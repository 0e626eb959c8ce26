# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""A video file, paced at its own rate (or `framerate`), optionally looping."""
from __future__ import annotations

import os
from typing import Optional

import cv2

from billiards_vision.camera.base import (BadFrame, CaptureSettings, Frame, FrameSource, Pacer, SourceError,
                                          now_ns)


class VideoFileSource(FrameSource):
    def __init__(self, location: str, settings: CaptureSettings):
        super().__init__(location, settings)
        self._cap = None
        self._pacer = Pacer()
        self._period = 1.0 / settings.framerate
        self._index = 0

    def _open_capture(self) -> cv2.VideoCapture:
        if not os.path.isfile(self.location):
            raise SourceError(f'video file not found: {self.location}')
        cap = cv2.VideoCapture(self.location)
        if not cap.isOpened():
            cap.release()
            raise SourceError(f'cannot decode video file {self.location}')
        return cap

    def open(self) -> None:
        self._cap = self._open_capture()
        fps = self._cap.get(cv2.CAP_PROP_FPS)
        if self.settings.playback == 'recorded' and 0.5 <= fps <= 1000:
            self._period = 1.0 / fps

    def read(self) -> Optional[Frame]:
        self._pacer.wait(self._period)
        ok, image = self._cap.read()
        if not ok:
            if not os.path.isfile(self.location):
                raise SourceError(f'video file vanished: {self.location}')
            if not self.settings.loop:
                return None
            self._cap.release()
            self._cap = self._open_capture()  # reopening is more reliable than seeking on every codec
            ok, image = self._cap.read()
            if not ok:
                raise SourceError(f'{self.location}: no frame after rewinding')
        if image is None or image.size == 0:
            raise BadFrame(f'{self.location}: empty frame')
        self._index += 1
        return Frame(image, now_ns(), index=self._index)

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None
