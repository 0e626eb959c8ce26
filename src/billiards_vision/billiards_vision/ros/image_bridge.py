# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""sensor_msgs/Image <-> NumPy with cv_bridge semantics.

Uses the real cv_bridge where it is importable (the target machine); otherwise
this module's own conversion, which follows cv_bridge: the same function
names, 'passthrough' keeps the message encoding, rows may carry padding
(`step`), big-endian data is swapped, colour conversions between the 8-bit
colour encodings and mono8 go through OpenCV, and anything else raises
CvBridgeError with the reason.
"""
from __future__ import annotations

import array

import cv2
import numpy as np
from sensor_msgs.msg import CompressedImage, Image


class CvBridgeError(TypeError):
    """Raised for an encoding or buffer that cannot be converted."""


# encoding -> (numpy dtype, channels)
ENCODINGS = {
    'bgr8': (np.uint8, 3), 'rgb8': (np.uint8, 3), 'bgra8': (np.uint8, 4), 'rgba8': (np.uint8, 4),
    'mono8': (np.uint8, 1), 'mono16': (np.uint16, 1),
    'bgr16': (np.uint16, 3), 'rgb16': (np.uint16, 3),
    '8UC1': (np.uint8, 1), '8UC3': (np.uint8, 3), '8UC4': (np.uint8, 4),
    '16UC1': (np.uint16, 1), '16SC1': (np.int16, 1), '32FC1': (np.float32, 1), '32SC1': (np.int32, 1),
    '64FC1': (np.float64, 1),
}
_COLOUR8 = {'bgr8', 'rgb8', 'bgra8', 'rgba8', 'mono8'}
_CONVERSIONS = {
    ('rgb8', 'bgr8'): cv2.COLOR_RGB2BGR, ('bgr8', 'rgb8'): cv2.COLOR_BGR2RGB,
    ('bgra8', 'bgr8'): cv2.COLOR_BGRA2BGR, ('rgba8', 'bgr8'): cv2.COLOR_RGBA2BGR,
    ('bgra8', 'rgb8'): cv2.COLOR_BGRA2RGB, ('rgba8', 'rgb8'): cv2.COLOR_RGBA2RGB,
    ('bgr8', 'bgra8'): cv2.COLOR_BGR2BGRA, ('rgb8', 'bgra8'): cv2.COLOR_RGB2BGRA,
    ('bgr8', 'rgba8'): cv2.COLOR_BGR2RGBA, ('rgb8', 'rgba8'): cv2.COLOR_RGB2RGBA,
    ('rgba8', 'bgra8'): cv2.COLOR_RGBA2BGRA, ('bgra8', 'rgba8'): cv2.COLOR_BGRA2RGBA,
    ('mono8', 'bgr8'): cv2.COLOR_GRAY2BGR, ('mono8', 'rgb8'): cv2.COLOR_GRAY2RGB,
    ('mono8', 'bgra8'): cv2.COLOR_GRAY2BGRA, ('mono8', 'rgba8'): cv2.COLOR_GRAY2RGBA,
    ('bgr8', 'mono8'): cv2.COLOR_BGR2GRAY, ('rgb8', 'mono8'): cv2.COLOR_RGB2GRAY,
    ('bgra8', 'mono8'): cv2.COLOR_BGRA2GRAY, ('rgba8', 'mono8'): cv2.COLOR_RGBA2GRAY,
}


def imgmsg_to_cv2(msg: Image, desired_encoding: str = 'passthrough') -> np.ndarray:
    """Image message -> HxW or HxWxC array (a copy, safe to modify)."""
    return _to_array(msg, desired_encoding, copy=True)


def imgmsg_view(msg: Image, desired_encoding: str = 'passthrough') -> np.ndarray:
    """Image message -> array like `imgmsg_to_cv2`, but without copying the pixels when the
    message already has the desired layout: a view of `msg.data` (row padding skipped by strides;
    writable when msg.data is, as the array.array of a received message is). Use it where the
    message is the caller's own (a subscription callback's) and the pixels are read, or written
    on purpose (the overlay draws on it). A conversion (rgb8 -> bgr8, big-endian data) returns a
    new array as `imgmsg_to_cv2` does. Always this module's conversion, with or without cv_bridge."""
    return _to_array(msg, desired_encoding, copy=False)


def _to_array(msg: Image, desired_encoding: str, copy: bool) -> np.ndarray:
    if msg.encoding not in ENCODINGS:
        raise CvBridgeError(f'unsupported image encoding {msg.encoding!r}')
    dtype, channels = ENCODINGS[msg.encoding]
    dtype = np.dtype(dtype).newbyteorder('>' if msg.is_bigendian else '<')
    row_bytes = msg.width * channels * dtype.itemsize
    if msg.height == 0 or msg.width == 0:
        raise CvBridgeError('image has zero width or height')
    if msg.step < row_bytes:
        raise CvBridgeError(f'step {msg.step} is smaller than a row ({row_bytes} bytes)')
    data = msg.data if isinstance(msg.data, (bytes, bytearray, memoryview, array.array)) else bytes(msg.data)
    buf = np.frombuffer(data, dtype=np.uint8)
    if buf.size < msg.step * msg.height:
        raise CvBridgeError(f'data holds {buf.size} bytes, expected step*height = {msg.step * msg.height}')
    rows = buf[:msg.step * msg.height].reshape(msg.height, msg.step)[:, :row_bytes]
    if copy or dtype.itemsize > 1 and (msg.step % dtype.itemsize or not dtype.isnative):
        rows = rows.copy()  # own, writable, aligned copy
    image = rows.view(dtype).reshape(msg.height, msg.width, channels)
    image = image.astype(dtype.newbyteorder('='), copy=False)
    if channels == 1:
        image = image[:, :, 0]
    return _convert(image, msg.encoding, desired_encoding)


def _convert(image: np.ndarray, encoding: str, desired: str) -> np.ndarray:
    if desired in ('passthrough', encoding):
        return image
    code = _CONVERSIONS.get((encoding, desired))
    if code is None:
        if encoding in ('8UC3', '8UC1', '8UC4') and desired in _COLOUR8 and ENCODINGS[encoding][1] == \
                ENCODINGS[desired][1]:
            return image  # cv_bridge treats generic 8-bit types as the same layout
        raise CvBridgeError(f'cannot convert {encoding!r} to {desired!r}')
    return cv2.cvtColor(image, code)


def cv2_to_imgmsg(image: np.ndarray, encoding: str = 'passthrough', header=None) -> Image:
    """Array -> Image message. 'passthrough' picks the generic type (8UC3, ...)."""
    if not isinstance(image, np.ndarray):
        raise CvBridgeError('image must be a numpy array')
    channels = 1 if image.ndim == 2 else image.shape[2]
    if encoding == 'passthrough':
        encoding = _generic_encoding(image.dtype, channels)
    if encoding not in ENCODINGS:
        raise CvBridgeError(f'unsupported image encoding {encoding!r}')
    dtype, want_channels = ENCODINGS[encoding]
    if image.dtype != dtype or channels != want_channels:
        raise CvBridgeError(f'{encoding} needs {want_channels} channel(s) of {np.dtype(dtype).name}, '
                            f'got {channels} of {image.dtype.name}')
    msg = Image()
    if header is not None:
        msg.header = header
    msg.height, msg.width = int(image.shape[0]), int(image.shape[1])
    msg.encoding = encoding
    msg.is_bigendian = 0
    msg.step = msg.width * channels * image.dtype.itemsize
    # One copy into the array.array rclpy keeps anyway: 2-4x faster than tobytes() for
    # 1080p, and free of the per-element checks ROS_PYTHON_CHECK_FIELDS=1 would run.
    data = array.array('B')
    data.frombytes(np.ascontiguousarray(image).data.cast('B'))
    set_data(msg, data)
    return msg


def set_data(msg, data: array.array) -> None:
    """msg.data = data without the copy the generated setter makes of an array.array when
    field checks are off (it assigns `array.array('B', value)`); the message then shares `data`."""
    msg.data = array.array('B')  # the setter's own checks on an empty array
    try:
        msg._data = data
    except AttributeError:  # another message implementation: its setter, with its copy
        msg.data = data
    if msg.data is not data:
        msg.data = data


def new_data(size: int) -> array.array:
    """An array.array('B') of `size` bytes (contents undefined), to write an outgoing image into
    (np.frombuffer(...) of it) and hand to `set_data`: the pixels are written once."""
    return array.array('B', bytes(size))


def _generic_encoding(dtype: np.dtype, channels: int) -> str:
    names = {np.uint8: '8U', np.uint16: '16U', np.int16: '16S', np.int32: '32S', np.float32: '32F',
             np.float64: '64F'}
    base = names.get(np.dtype(dtype).type)
    encoding = f'{base}C{channels}' if base else None
    if encoding not in ENCODINGS:
        raise CvBridgeError(f'no encoding for {channels} channel(s) of {np.dtype(dtype).name}')
    return encoding


def cv2_to_compressed_imgmsg(image: np.ndarray, dst_format: str = 'jpg', quality: int = 90,
                             header=None) -> CompressedImage:
    """BGR/mono array -> CompressedImage (format 'jpeg' or 'png' as image_transport writes)."""
    ext = '.' + dst_format.lower().lstrip('.')
    params = [cv2.IMWRITE_JPEG_QUALITY, int(quality)] if ext in ('.jpg', '.jpeg') else []
    ok, buf = cv2.imencode(ext, image, params)
    if not ok:
        raise CvBridgeError(f'encoding to {dst_format!r} failed')
    msg = CompressedImage()
    if header is not None:
        msg.header = header
    msg.format = 'jpeg' if ext in ('.jpg', '.jpeg') else ext[1:]
    msg.data = buf.tobytes()
    return msg


def compressed_imgmsg_to_cv2(msg: CompressedImage, desired_encoding: str = 'passthrough') -> np.ndarray:
    """CompressedImage -> BGR (or mono) array."""
    data = msg.data if isinstance(msg.data, (bytes, bytearray)) else bytes(msg.data)
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise CvBridgeError(f'cannot decode compressed image (format {msg.format!r}, {len(data)} bytes)')
    encoding = 'mono8' if image.ndim == 2 else ('bgra8' if image.shape[2] == 4 else 'bgr8')
    if image.dtype == np.uint16:
        encoding = 'mono16' if image.ndim == 2 else 'bgr16'
    return _convert(image, encoding, desired_encoding)


try:  # Prefer the real cv_bridge (ROS machines); keep our error type for callers.
    from cv_bridge import CvBridge as _CvBridge
    from cv_bridge import CvBridgeError as _RealError
except ImportError:
    _CvBridge = None
else:
    _bridge = _CvBridge()
    CvBridgeError = _RealError  # noqa: F811
    imgmsg_to_cv2 = _bridge.imgmsg_to_cv2  # noqa: F811
    cv2_to_imgmsg = _bridge.cv2_to_imgmsg  # noqa: F811
    compressed_imgmsg_to_cv2 = _bridge.compressed_imgmsg_to_cv2  # noqa: F811

USING_CV_BRIDGE = _CvBridge is not None
