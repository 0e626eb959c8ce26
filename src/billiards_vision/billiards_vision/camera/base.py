# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""The small interface every camera source implements, and the registry that maps
the `source` parameter string to a source class.

A source is opened and read on a capture worker (thread or child process), never on
the ROS thread, so `open()` and `read()` may block; the watchdog in capture.py copes
with calls that never return.
"""
from __future__ import annotations

import abc
import os
import re
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

import cv2
import numpy as np


@dataclass
class CaptureSettings:
    """What the node asks of a source (usb_cam parameter names where they overlap)."""

    width: int = 0              # 0: the source's own size
    height: int = 0
    framerate: float = 30.0     # device request; pace of files without a rate of their own
    pixel_format: str = 'mjpeg'  # device FOURCC: mjpeg, yuyv or any
    loop: bool = True           # files, folders and bags start again at the end
    playback: str = 'recorded'  # files and bags: 'recorded' timing or fixed 'framerate'
    open_timeout: float = 5.0   # seconds; also given to FFmpeg for streams
    read_timeout: float = 2.0


@dataclass
class Frame:
    """One captured frame. `stamp_ns` is the capture time (ns since the epoch)."""

    image: np.ndarray                 # HxWx3 uint8, BGR
    stamp_ns: int
    jpeg: Optional[bytes] = None      # the camera's own JPEG bytes, forwarded without re-encoding
    index: int = 0                    # frame number within this open
    extra: dict = field(default_factory=dict)  # e.g. synthetic ground truth


class SourceError(RuntimeError):
    """The source cannot deliver (open failed, device gone, stream ended badly): reconnect."""


class BadFrame(ValueError):
    """One unusable frame (corrupt, empty, vanished file): skip it and count it."""


class FrameSource(abc.ABC):
    """A camera source. Construction must be cheap and never block; `open` may."""

    #: capture_mode auto runs this source in a child process: its calls can hang in C (devices,
    #: streams) or hold the GIL for long (the synthetic renderer).
    prefer_process = False
    #: Seconds an open legitimately takes (building a renderer); the watchdog allows at least this.
    open_time_hint = 0.0

    def __init__(self, location: str, settings: CaptureSettings):
        self.location = location
        self.settings = settings

    @classmethod
    def validate(cls, location: str) -> Optional[str]:
        """A reason why `location` can never work for this source, else None. No I/O that may hang."""
        return None

    @abc.abstractmethod
    def open(self) -> None:
        """Connect; raise SourceError on failure."""

    @abc.abstractmethod
    def read(self) -> Optional[Frame]:
        """Block until the next frame; None at the end of a stream that does not loop."""

    def close(self) -> None:
        """Release the device or file; safe to call twice."""

    def camera_info(self) -> Optional[dict]:
        """Calibration the source knows itself (synthetic, bag): dict(width,height,K,D,distortion_model,P)."""
        return None


class Pacer:
    """Sleeps so that a file-like source releases each frame `period` after the previous one."""

    def __init__(self):
        self._last = None

    def wait(self, period: float) -> None:
        now = time.monotonic()
        target = now if self._last is None else self._last + period
        if now - target > max(period, 0.25):
            target = now  # far behind (slow disk, paused): restart instead of bursting to catch up
        if target > now:
            time.sleep(target - now)
        self._last = target


def jpeg_frame(data: np.ndarray, stamp_ns: int, index: int, where: str) -> 'Frame':
    """A Frame from the undecoded JPEG bytes OpenCV handed over; the bytes are kept for
    camera/image_raw/compressed, which then forwards them without re-encoding."""
    jpeg = np.ascontiguousarray(data).tobytes()
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise BadFrame(f'{where}: corrupt JPEG frame ({len(jpeg)} bytes)')
    return Frame(image, stamp_ns, jpeg=jpeg, index=index)


def now_ns() -> int:
    return time.time_ns()


# --- registry -------------------------------------------------------------------------

VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mkv', '.mov', '.webm', '.m4v', '.mjpeg', '.mjpg', '.mpg', '.mpeg',
                    '.wmv', '.flv', '.ts', '.gif')
BAG_EXTENSIONS = ('.mcap', '.db3')
IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp', '.ppm', '.pgm')

# scheme -> (factory, description); factories are source classes (picklable by reference,
# which the child-process capture needs).
_SCHEMES: dict[str, tuple[Callable[[str, CaptureSettings], FrameSource], str]] = {}


def register_scheme(scheme: str, factory: Callable[[str, CaptureSettings], FrameSource],
                    description: str) -> None:
    """Make `scheme://...` sources resolve to `factory` (used by the built-ins and by tests)."""
    _SCHEMES[scheme.lower()] = (factory, description)


def _builtin():
    # Imported late: the source modules import this one.
    from billiards_vision.camera import bag, device, image_folder, pattern, stream, synthetic, video_file
    return bag, device, image_folder, pattern, stream, synthetic, video_file


def source_forms() -> str:
    """The allowed `source` forms, for error messages and the parameter description."""
    _builtin()
    forms = ['/dev/videoN or a camera index (V4L2 device)',
             'a video file (' + ', '.join(VIDEO_EXTENSIONS[:5]) + ', ...)',
             'a folder of images', 'a rosbag2 file (.mcap, .db3) or folder']
    grouped: dict[str, list[str]] = {}
    for scheme, (_, desc) in sorted(_SCHEMES.items()):
        grouped.setdefault(desc, []).append(f'{scheme}://')
    forms += [' or '.join(schemes) + desc for desc, schemes in grouped.items()]
    return '; '.join(forms)


_DEVICE = re.compile(r'^(/dev/video\d+|\d+)$')
_SCHEME = re.compile(r'^([a-zA-Z][a-zA-Z0-9+.-]*)://(.*)$')


def resolve_source(text: str) -> tuple[Callable[[str, CaptureSettings], FrameSource], str]:
    """(source class, location) for a `source` string; ValueError naming the allowed forms."""
    bag, device, image_folder, _, _, _, video_file = _builtin()
    text = text.strip()
    if not text:
        raise ValueError(f'empty source; allowed: {source_forms()}')
    if _DEVICE.match(text):
        return device.DeviceSource, text
    match = _SCHEME.match(text)
    if match:
        scheme, rest = match.group(1).lower(), match.group(2)
        if scheme == 'file':
            return resolve_source(rest) if rest else _unknown(text)
        if scheme not in _SCHEMES:
            return _unknown(text)
        factory = _SCHEMES[scheme][0]
        reason = factory.validate(text)
        if reason:
            raise ValueError(f'{reason} (source {text!r})')
        return factory, text
    path = os.path.expanduser(text)
    lower = path.lower().rstrip('/')
    if lower.endswith(BAG_EXTENSIONS):
        return bag.BagSource, path
    if lower.endswith(VIDEO_EXTENSIONS):
        return video_file.VideoFileSource, path
    if os.path.isdir(path):
        if bag.is_bag_folder(path):
            return bag.BagSource, path
        return image_folder.ImageFolderSource, path
    return _unknown(text)


def _unknown(text: str):
    raise ValueError(f'unknown source form {text!r} (not an existing folder, no known extension or scheme); '
                     f'allowed: {source_forms()}')


def validate_source(text: str) -> Optional[str]:
    """A reason why `text` is not a usable source, else None (for the parameter check)."""
    try:
        resolve_source(text)
    except ValueError as exc:
        return str(exc)
    return None
