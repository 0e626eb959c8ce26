# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Latest-frame store shared by every viewer of a topic. No ROS imports.

web_video_server gives every client its own subscription, conversion, resize
and JPEG encode, so CPU grows with viewers, and a slow client's queue grows
and then replays. Here each topic keeps only its newest frame; each encoded
variant (size, quality, format) is made once per frame and shared by all
clients that ask for it; a slow client simply skips to the newest frame.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

import cv2
import numpy as np


class FrameError(ValueError):
    """A frame that cannot be decoded or encoded."""


class Refused(Exception):
    """The hub will not serve this request; `status` is the HTTP answer (400, 503) and the text says why."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass
class Frame:
    """One received image, decoded lazily."""

    seq: int
    stamp: float                     # header stamp [s since epoch]
    received: float                  # time.time() at arrival
    decode: Callable[[], np.ndarray]  # -> BGR or mono uint8 image
    jpeg: Optional[bytes] = None     # original bytes when the topic is already JPEG
    _image: Optional[np.ndarray] = None
    _encoded: dict = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _encode_lock: threading.Lock = field(default_factory=threading.Lock)

    def image(self) -> np.ndarray:
        with self._lock:
            if self._image is None:
                self._image = self.decode()
            return self._image

    def encoded(self, fmt: str, width: int, height: int, quality: int, invert: bool = False,
                stats: Optional['TopicFrames'] = None) -> bytes:
        """JPEG/PNG bytes of this frame at the requested size, made once per variant.

        `stats` (the frame's topic) counts the encodes and the seconds they took."""
        key = (fmt, width, height, quality, invert)
        # One encode per variant even when several clients ask at the same moment.
        with self._encode_lock:
            cached = self._encoded.get(key)
            if cached is None:
                if fmt == 'jpeg' and self.jpeg is not None and not width and not height and not invert:
                    cached = self.jpeg  # forward the camera's own JPEG untouched
                else:
                    start = time.perf_counter()
                    cached = encode(self.image(), fmt, width, height, quality, invert)
                    if stats is not None:
                        stats.count_encode(time.perf_counter() - start)
                self._encoded[key] = cached
        return cached


def encode(image: np.ndarray, fmt: str, width: int = 0, height: int = 0, quality: int = 80,
           invert: bool = False) -> bytes:
    """Resize (keeping aspect when only one side is given) and encode."""
    h, w = image.shape[:2]
    if width or height:
        if not width:
            width = max(1, round(w * height / h))
        if not height:
            height = max(1, round(h * width / w))
        if (width, height) != (w, h):
            interp = cv2.INTER_AREA if width < w else cv2.INTER_LINEAR
            image = cv2.resize(image, (width, height), interpolation=interp)
    if invert:
        image = cv2.bitwise_not(image)
    if fmt == 'jpeg':
        ok, buf = cv2.imencode('.jpg', image, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    elif fmt == 'png':
        ok, buf = cv2.imencode('.png', image, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    else:
        raise FrameError(f'unknown output format {fmt!r}')
    if not ok:
        raise FrameError(f'{fmt} encoding failed for a {image.shape} image')
    return buf.tobytes()


class TopicFrames:
    """Newest frame of one topic plus waiters; written by ROS, read by HTTP clients."""

    def __init__(self, topic: str):
        self.topic = topic
        self.latest: Optional[Frame] = None
        self.frames_received = 0
        self.clients = 0
        self.last_client_left = time.monotonic()
        # Counters for /metrics and /health (monotonic over the subscription's life).
        self.frames_sent = 0
        self.bytes_sent = 0
        self.encodes = 0
        self.encode_seconds = 0.0
        self._cond = threading.Condition()
        self._listeners: list[Callable[[], None]] = []

    def put(self, frame: Frame) -> None:
        with self._cond:
            self.latest = frame
            self.frames_received += 1
            listeners = list(self._listeners)
            self._cond.notify_all()
        for notify in listeners:
            notify()

    def count_encode(self, seconds: float) -> None:
        with self._cond:
            self.encodes += 1
            self.encode_seconds += seconds

    def count_sent(self, nbytes: int) -> None:
        """Called from the HTTP loop for every part written to a client."""
        self.frames_sent += 1
        self.bytes_sent += nbytes

    def add_listener(self, notify: Callable[[], None]) -> None:
        """`notify()` is called from the ROS thread on every new frame (must be thread-safe)."""
        with self._cond:
            self._listeners.append(notify)

    def remove_listener(self, notify: Callable[[], None]) -> None:
        with self._cond:
            if notify in self._listeners:
                self._listeners.remove(notify)

    def wait_newer(self, seq: int, timeout: float) -> Optional[Frame]:
        """Blocking wait for a frame newer than `seq` (for thread callers)."""
        with self._cond:
            self._cond.wait_for(lambda: self.latest is not None and self.latest.seq > seq, timeout)
            frame = self.latest
        return frame if frame is not None and frame.seq > seq else None
