# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""A folder of images in natural order (frame2 before frame10), paced at `framerate`."""
from __future__ import annotations

import os
import re
from typing import Optional

import cv2

from billiards_vision.camera.base import (IMAGE_EXTENSIONS, BadFrame, CaptureSettings, Frame, FrameSource,
                                          Pacer, SourceError, now_ns)


def natural_key(name: str) -> list:
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r'(\d+)', name)]


def list_images(folder: str) -> list[str]:
    names = [n for n in os.listdir(folder) if n.lower().endswith(IMAGE_EXTENSIONS)]
    return [os.path.join(folder, n) for n in sorted(names, key=natural_key)]


class ImageFolderSource(FrameSource):
    def __init__(self, location: str, settings: CaptureSettings):
        super().__init__(location, settings)
        self._files: list[str] = []
        self._next = 0
        self._pacer = Pacer()
        self._index = 0

    def _scan(self) -> None:
        try:
            self._files = list_images(self.location)
        except OSError as exc:
            raise SourceError(f'cannot list image folder {self.location}: {exc.strerror}') from exc
        if not self._files:
            raise SourceError(f'no images ({", ".join(IMAGE_EXTENSIONS)}) in {self.location}')
        self._next = 0

    def open(self) -> None:
        self._scan()

    def read(self) -> Optional[Frame]:
        if self._next >= len(self._files):
            if not self.settings.loop:
                return None
            self._scan()  # pick up images added or removed since the last pass
        path = self._files[self._next]
        self._next += 1
        self._pacer.wait(1.0 / self.settings.framerate)
        image = cv2.imread(path, cv2.IMREAD_COLOR)
        if image is None:
            if not os.path.isdir(self.location):
                raise SourceError(f'image folder vanished: {self.location}')
            reason = 'vanished' if not os.path.exists(path) else 'cannot be decoded'
            raise BadFrame(f'image {path} {reason}')
        self._index += 1
        return Frame(image, now_ns(), index=self._index, extra={'path': path})
