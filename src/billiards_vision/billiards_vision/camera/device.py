# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""V4L2 camera (/dev/videoN or an index) through OpenCV's V4L2 backend.

Order matters on V4L2: the FOURCC must be set before size and rate, or the driver
picks a YUYV mode that cannot reach the rate. Buffer size 1 keeps latency at one
frame. With MJPEG the JPEG bytes are taken undecoded (CONVERT_RGB off) so the
compressed topic forwards them; we decode once for image_raw.
"""
from __future__ import annotations

from typing import Optional

import cv2

from billiards_vision.camera.base import (BadFrame, CaptureSettings, Frame, FrameSource, SourceError, jpeg_frame,
                                          now_ns)

FOURCCS = {'mjpeg': 'MJPG', 'yuyv': 'YUYV'}


def _fourcc_text(value: float) -> str:
    code = int(value)
    return ''.join(chr((code >> (8 * i)) & 0xFF) for i in range(4))


class DeviceSource(FrameSource):
    prefer_process = True

    def __init__(self, location: str, settings: CaptureSettings):
        super().__init__(location, settings)
        self._cap = None
        self._raw_jpeg = False
        self._index = 0

    def open(self) -> None:
        target = int(self.location) if self.location.isdigit() else self.location
        cap = cv2.VideoCapture(target, cv2.CAP_V4L2)
        if not cap.isOpened():
            cap.release()
            raise SourceError(f'cannot open V4L2 device {self.location}')
        s = self.settings
        fourcc = FOURCCS.get(s.pixel_format)
        if fourcc:
            cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*fourcc))
        if s.width > 0 and s.height > 0:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, s.width)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, s.height)
        cap.set(cv2.CAP_PROP_FPS, s.framerate)
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        if _fourcc_text(cap.get(cv2.CAP_PROP_FOURCC)) == 'MJPG':
            # Undecoded JPEG bytes; if the backend refuses, frames arrive as BGR as usual.
            self._raw_jpeg = bool(cap.set(cv2.CAP_PROP_CONVERT_RGB, 0))
        self._cap = cap

    def read(self) -> Optional[Frame]:
        if not self._cap.grab():
            raise SourceError(f'{self.location}: no frame from the device (unplugged?)')
        stamp = now_ns()
        ok, data = self._cap.retrieve()
        if not ok or data is None or data.size == 0:
            raise BadFrame(f'{self.location}: empty frame')
        self._index += 1
        if self._raw_jpeg and (data.ndim == 1 or data.shape[0] == 1):
            return jpeg_frame(data, stamp, self._index, self.location)
        return Frame(data, stamp, index=self._index)

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None
