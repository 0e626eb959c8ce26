# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""image_bridge follows cv_bridge semantics."""
import numpy as np
import pytest
from sensor_msgs.msg import Image
from std_msgs.msg import Header

from billiards_vision.ros import image_bridge as ib


def test_bgr8_roundtrip_keeps_pixels_and_header():
    image = np.random.default_rng(1).integers(0, 256, (7, 11, 3), dtype=np.uint8)
    header = Header(frame_id='camera')
    msg = ib.cv2_to_imgmsg(image, 'bgr8', header=header)
    assert (msg.height, msg.width, msg.step, msg.encoding) == (7, 11, 33, 'bgr8')
    assert msg.header.frame_id == 'camera'
    out = ib.imgmsg_to_cv2(msg)
    assert out.dtype == np.uint8 and np.array_equal(out, image)
    out[0, 0] = 0  # the result is writable and independent of the message
    assert ib.imgmsg_to_cv2(msg)[0, 0].tolist() == image[0, 0].tolist()


def test_colour_conversions():
    bgr = np.zeros((2, 2, 3), np.uint8)
    bgr[..., 0] = 200  # blue
    rgb = ib.imgmsg_to_cv2(ib.cv2_to_imgmsg(bgr, 'bgr8'), 'rgb8')
    assert rgb[0, 0].tolist() == [0, 0, 200]
    rgba = ib.cv2_to_imgmsg(np.dstack([rgb, np.full((2, 2), 255, np.uint8)]), 'rgba8')
    assert ib.imgmsg_to_cv2(rgba, 'bgr8')[1, 1].tolist() == [200, 0, 0]
    mono = ib.cv2_to_imgmsg(np.full((3, 4), 77, np.uint8), 'mono8')
    assert ib.imgmsg_to_cv2(mono, 'bgr8').shape == (3, 4, 3)
    assert ib.imgmsg_to_cv2(mono, 'bgr8')[2, 3].tolist() == [77, 77, 77]


def test_row_padding_is_skipped():
    image = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    padded = np.zeros((2, 12), np.uint8)  # 9 data bytes + 3 padding per row
    padded[:, :9] = image.reshape(2, 9)
    msg = Image(height=2, width=3, encoding='bgr8', step=12, data=padded.tobytes())
    assert np.array_equal(ib.imgmsg_to_cv2(msg), image)


def test_big_endian_16bit():
    depth = np.array([[1, 2], [258, 65535]], dtype='>u2')
    msg = Image(height=2, width=2, encoding='16UC1', is_bigendian=1, step=4, data=depth.tobytes())
    out = ib.imgmsg_to_cv2(msg)
    assert out.dtype == np.uint16 and out.tolist() == [[1, 2], [258, 65535]]


def test_passthrough_picks_generic_encoding():
    assert ib.cv2_to_imgmsg(np.zeros((2, 2), np.float32)).encoding == '32FC1'
    assert ib.cv2_to_imgmsg(np.zeros((2, 2, 3), np.uint8)).encoding == '8UC3'


@pytest.mark.parametrize('msg, reason', [
    (Image(height=2, width=2, encoding='bayer_weird', step=2, data=bytes(4)), 'unsupported image encoding'),
    (Image(height=2, width=2, encoding='bgr8', step=6, data=bytes(5)), r'expected step\*height'),
    (Image(height=2, width=2, encoding='bgr8', step=3, data=bytes(12)), 'smaller than a row'),
    (Image(height=0, width=2, encoding='bgr8', step=6, data=b''), 'zero width or height'),
])
def test_malformed_messages_raise_with_reason(msg, reason):
    with pytest.raises(ib.CvBridgeError, match=reason):
        ib.imgmsg_to_cv2(msg)


def test_wrong_array_for_encoding_raises():
    with pytest.raises(ib.CvBridgeError, match='needs 3 channel'):
        ib.cv2_to_imgmsg(np.zeros((2, 2), np.uint8), 'bgr8')
    with pytest.raises(ib.CvBridgeError, match='cannot convert'):
        ib.imgmsg_to_cv2(ib.cv2_to_imgmsg(np.zeros((2, 2), np.float32), '32FC1'), 'bgr8')


def test_compressed_roundtrip():
    image = np.zeros((32, 48, 3), np.uint8)
    image[:, 24:] = (0, 0, 255)
    msg = ib.cv2_to_compressed_imgmsg(image, 'jpg', quality=95)
    assert msg.format == 'jpeg' and bytes(msg.data[:2]) == b'\xff\xd8'
    out = ib.compressed_imgmsg_to_cv2(msg)
    assert out.shape == image.shape
    assert np.abs(out.astype(int) - image.astype(int)).mean() < 4
    png = ib.cv2_to_compressed_imgmsg(image, 'png')
    assert png.format == 'png' and np.array_equal(ib.compressed_imgmsg_to_cv2(png), image)
    msg.data = b'not an image'
    with pytest.raises(ib.CvBridgeError, match='cannot decode'):
        ib.compressed_imgmsg_to_cv2(msg)


def test_view_reads_the_message_buffer_without_a_copy():
    image = np.random.default_rng(2).integers(0, 256, (5, 6, 3), dtype=np.uint8)
    msg = ib.cv2_to_imgmsg(image, 'bgr8')
    view = ib.imgmsg_view(msg, 'bgr8')
    assert np.array_equal(view, image)
    assert np.shares_memory(view, np.frombuffer(msg.data, np.uint8))
    padded = np.zeros((5, 20), np.uint8)  # 18 data bytes + 2 padding per row
    padded[:, :18] = image.reshape(5, 18)
    msg = Image(height=5, width=6, encoding='bgr8', step=20, data=padded.tobytes())
    view = ib.imgmsg_view(msg, 'bgr8')
    assert np.array_equal(view, image) and np.shares_memory(view, np.frombuffer(msg.data, np.uint8))
    rgb = ib.cv2_to_imgmsg(image[..., ::-1].copy(), 'rgb8')       # a conversion: a new array, same pixels
    assert np.array_equal(ib.imgmsg_view(rgb, 'bgr8'), image)
    with pytest.raises(ib.CvBridgeError):
        ib.imgmsg_view(Image(height=2, width=2, encoding='bgr8', step=6, data=b'\0' * 5), 'bgr8')


def test_outgoing_pixels_are_copied_once():
    """cv2_to_imgmsg hands its one copy to the message (the generated setter would copy it again)."""
    image = np.random.default_rng(3).integers(0, 256, (4, 5, 3), dtype=np.uint8)
    msg = ib.cv2_to_imgmsg(image, 'bgr8')
    data = msg.data
    assert np.array_equal(np.frombuffer(data, np.uint8).reshape(4, 5, 3), image)
    buf = ib.new_data(60)
    out = Image(height=4, width=5, encoding='bgr8', step=15)
    ib.set_data(out, buf)
    assert out.data is buf
