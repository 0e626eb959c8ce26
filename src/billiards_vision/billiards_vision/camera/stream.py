# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""HTTP/RTSP stream (IP cameras, MJPEG servers) through OpenCV's FFmpeg backend.

FFmpeg gets the open and read timeouts, so a silent server makes `read` fail after
`read_timeout` instead of hanging (the watchdog is the second line). An MJPEG
stream is read as raw packets: each is one JPEG, forwarded as-is on the
compressed topic and decoded once for image_raw.
"""
from __future__ import annotations

from typing import Optional

import cv2

from billiards_vision.camera.base import (BadFrame, Frame, SourceError,
                                          jpeg_frame, now_ns, register_scheme)
from billiards_vision.camera.device import DeviceSource, _fourcc_text


class StreamSource(DeviceSource):
    """Like a device (OpenCV capture, JPEG passthrough, same close), opened through FFmpeg."""

    @classmethod
    def validate(cls, location: str) -> Optional[str]:
        host = location.split('://', 1)[1].split('/', 1)[0]
        return None if host else 'stream URL has no host'

    def open(self) -> None:
        s = self.settings
        cap = cv2.VideoCapture(self.location, cv2.CAP_FFMPEG,
                               [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, int(s.open_timeout * 1000),
                                cv2.CAP_PROP_READ_TIMEOUT_MSEC, int(s.read_timeout * 1000)])
        if not cap.isOpened():
            cap.release()
            raise SourceError(f'cannot open stream {self.location} (refused, timed out or not a video)')
        if _fourcc_text(cap.get(cv2.CAP_PROP_FOURCC)) == 'MJPG':
            self._raw_jpeg = bool(cap.set(cv2.CAP_PROP_FORMAT, -1))
        self._cap = cap

    def read(self) -> Optional[Frame]:
        ok, data = self._cap.read()
        stamp = now_ns()
        if not ok:
            raise SourceError(f'stream {self.location} ended or sent nothing for '
                              f'{self.settings.read_timeout:g} s')
        if data is None or data.size == 0:
            raise BadFrame('empty frame from the stream')
        self._index += 1
        if self._raw_jpeg:
            return jpeg_frame(data, stamp, self._index, f'stream {self.location}')
        return Frame(data, stamp, index=self._index)


for _scheme in ('http', 'https', 'rtsp', 'rtsps'):
    register_scheme(_scheme, StreamSource, 'HOST/PATH (IP camera or MJPEG server)')
