# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""A rosbag2 (.mcap/.db3 file or bag folder) replayed with `rosbags`, no ROS needed.

The first image topic (Image or CompressedImage; `.../image_raw` preferred) is
replayed at the recorded rate or at `framerate`, with the recorded header stamps;
each further loop shifts them by the bag's length so time never runs backwards.
A CameraInfo topic in the bag supplies the calibration.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator, Optional

import cv2
import numpy as np

from billiards_vision.camera.base import (BadFrame, CaptureSettings, Frame, FrameSource, Pacer, SourceError)

IMAGE_TYPES = ('sensor_msgs/msg/Image', 'sensor_msgs/msg/CompressedImage')
_TO_BGR = {'rgb8': cv2.COLOR_RGB2BGR, 'bgra8': cv2.COLOR_BGRA2BGR, 'rgba8': cv2.COLOR_RGBA2BGR,
           'mono8': cv2.COLOR_GRAY2BGR, '8UC1': cv2.COLOR_GRAY2BGR,
           'bayer_rggb8': cv2.COLOR_BayerBG2BGR, 'bayer_bggr8': cv2.COLOR_BayerRG2BGR,
           'bayer_gbrg8': cv2.COLOR_BayerGR2BGR, 'bayer_grbg8': cv2.COLOR_BayerGB2BGR,
           'yuv422': cv2.COLOR_YUV2BGR_UYVY, 'yuv422_yuy2': cv2.COLOR_YUV2BGR_YUY2}
_CHANNELS = {'bgr8': 3, '8UC3': 3, 'rgb8': 3, 'bgra8': 4, 'rgba8': 4, 'mono8': 1, '8UC1': 1,
             'yuv422': 2, 'yuv422_yuy2': 2}


def is_bag_folder(path: str) -> bool:
    return os.path.isfile(os.path.join(path, 'metadata.yaml'))


def image_to_bgr(msg) -> np.ndarray:
    """A (rosbags) sensor_msgs/Image -> BGR uint8; BadFrame for what cannot be shown."""
    enc = msg.encoding
    data = np.asarray(msg.data, dtype=np.uint8)
    if msg.height == 0 or msg.width == 0 or data.size < msg.step * msg.height:
        raise BadFrame(f'image message {msg.width}x{msg.height} step {msg.step} holds {data.size} bytes')
    rows = data[:msg.step * msg.height].reshape(msg.height, msg.step)
    if enc == 'mono16':
        grey = rows[:, :msg.width * 2].copy().view('>u2' if msg.is_bigendian else '<u2')
        return cv2.cvtColor((grey >> 8).astype(np.uint8), cv2.COLOR_GRAY2BGR)
    channels = 1 if enc.startswith('bayer_') else _CHANNELS.get(enc)
    if channels is None:
        raise BadFrame(f'image encoding {enc!r} is not supported')
    image = rows[:, :msg.width * channels].reshape(msg.height, msg.width, channels)
    code = _TO_BGR.get(enc)
    return np.ascontiguousarray(image) if code is None else cv2.cvtColor(image, code)


def _info_dict(msg) -> dict:
    return {'width': int(msg.width), 'height': int(msg.height), 'K': [float(v) for v in msg.k],
            'D': [float(v) for v in msg.d], 'distortion_model': msg.distortion_model,
            'P': [float(v) for v in msg.p], 'R': [float(v) for v in msg.r]}


class BagSource(FrameSource):
    def __init__(self, location: str, settings: CaptureSettings):
        super().__init__(location, settings)
        self._reader = None
        self._conn = None
        self._info = None
        self._messages: Optional[Iterator] = None
        self._pacer = Pacer()
        self._last_t = None
        self._loop_shift = 0
        self._index = 0

    def open(self) -> None:
        from rosbags.highlevel import AnyReader
        from rosbags.typesys import Stores, get_typestore
        if not os.path.exists(self.location):
            raise SourceError(f'rosbag2 not found: {self.location}')
        try:
            reader = AnyReader([Path(self.location)], default_typestore=get_typestore(Stores.ROS2_JAZZY))
            reader.open()
        except Exception as exc:  # rosbags raises several unrelated types for unreadable bags
            raise SourceError(f'cannot read rosbag2 {self.location}: {exc}') from exc
        images = [c for c in reader.connections if c.msgtype in IMAGE_TYPES]
        if not images:
            reader.close()
            raise SourceError(f'no sensor_msgs Image or CompressedImage topic in {self.location}')
        images.sort(key=lambda c: (not c.topic.endswith('image_raw'), c.msgtype != IMAGE_TYPES[0], c.topic))
        self._reader, self._conn = reader, images[0]
        infos = [c for c in reader.connections if c.msgtype == 'sensor_msgs/msg/CameraInfo']
        for conn, _, raw in reader.messages(connections=infos[:1]):
            self._info = _info_dict(reader.deserialize(raw, conn.msgtype))
            break
        self._messages = reader.messages(connections=[self._conn])

    def _next_message(self):
        for item in self._messages:
            return item
        return None

    def read(self) -> Optional[Frame]:
        item = self._next_message()
        if item is None:
            if not self.settings.loop or self._index == 0:
                return None
            start, end = self._reader.start_time, self._reader.end_time
            self._loop_shift += end - start + int(1e9 / self.settings.framerate)
            self._messages = self._reader.messages(connections=[self._conn])
            self._last_t = None
            item = self._next_message()
            if item is None:
                return None
        conn, t, raw = item
        if self.settings.playback == 'recorded':
            period = 0.0 if self._last_t is None else min(max((t - self._last_t) / 1e9, 0.0), 5.0)
        else:
            period = 1.0 / self.settings.framerate
        self._last_t = t
        self._pacer.wait(period)
        msg = self._reader.deserialize(raw, conn.msgtype)
        stamp = msg.header.stamp.sec * 1_000_000_000 + msg.header.stamp.nanosec or t
        self._index += 1
        jpeg = None
        if conn.msgtype == IMAGE_TYPES[1]:
            data = np.asarray(msg.data, dtype=np.uint8)
            image = cv2.imdecode(data, cv2.IMREAD_COLOR)
            if image is None:
                raise BadFrame(f'cannot decode compressed image ({msg.format!r}, {data.size} bytes)')
            jpeg = data.tobytes() if 'jpeg' in msg.format.lower() or 'jpg' in msg.format.lower() else None
        else:
            image = image_to_bgr(msg)
        return Frame(image, stamp + self._loop_shift, jpeg=jpeg, index=self._index,
                     extra={'topic': conn.topic})

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def camera_info(self) -> Optional[dict]:
        return self._info
