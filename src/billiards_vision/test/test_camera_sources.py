# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Camera sources, calibration files and the capture supervisor, without ROS."""
import os
import socket
import threading
import time

import cv2
import numpy as np
import pytest
from rosbags.rosbag2 import StoragePlugin, Writer
from rosbags.typesys import Stores, get_typestore

from billiards_vision.camera import (bag, base, calibration, image_folder, pattern, stream, synthetic,
                                     video_file)
from billiards_vision.camera.base import BadFrame, CaptureSettings, Frame, FrameSource, SourceError
from billiards_vision.camera.capture import Capture, CaptureConfig
from billiards_vision.camera.device import DeviceSource
from billiards_vision.camera.worker import normalise
from conftest import wait_for

STEP = 20  # frame i is filled with the value i * STEP


def frame_value(image: np.ndarray) -> int:
    return int(round(float(image.mean()) / STEP))


def write_folder(folder, count, size=(64, 48)):
    for i in range(count):  # names chosen so that text order differs from natural order
        cv2.imwrite(str(folder / f'frame_{i}.png'), np.full((size[1], size[0], 3), i * STEP, np.uint8))


def write_clip(path, count, size=(64, 48), fps=20.0):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'MJPG'), fps, size)
    for i in range(count):
        writer.write(np.full((size[1], size[0], 3), i * STEP, np.uint8))
    writer.release()


def write_bag(path, count, size=(64, 48), start_s=1000, with_info=True):
    """An mcap rosbag2 of bgr8 frames (value i*STEP) stamped start_s + i/10 s, plus CameraInfo."""
    store = get_typestore(Stores.ROS2_JAZZY)
    Image, Header = store.types['sensor_msgs/msg/Image'], store.types['std_msgs/msg/Header']
    Time, Info = store.types['builtin_interfaces/msg/Time'], store.types['sensor_msgs/msg/CameraInfo']
    RoI = store.types['sensor_msgs/msg/RegionOfInterest']
    stamps = []
    with Writer(str(path), version=9, storage_plugin=StoragePlugin.MCAP) as writer:
        conn = writer.add_connection('/camera/image_raw', Image.__msgtype__, typestore=store)
        info_conn = writer.add_connection('/camera/camera_info', Info.__msgtype__, typestore=store)
        for i in range(count):
            ns = start_s * 10**9 + i * 10**8 + 7
            stamp = Time(sec=ns // 10**9, nanosec=ns % 10**9)
            header = Header(stamp=stamp, frame_id='recorded')
            data = np.full((size[1], size[0], 3), i * STEP, np.uint8)
            msg = Image(header=header, height=size[1], width=size[0], encoding='bgr8', is_bigendian=0,
                        step=size[0] * 3, data=data.ravel())
            writer.write(conn, ns, store.serialize_cdr(msg, Image.__msgtype__))
            if with_info and i == 0:
                k = np.array([50.0, 0, 32, 0, 50.0, 24, 0, 0, 1])
                info = Info(header=header, height=size[1], width=size[0], distortion_model='plumb_bob',
                            d=np.zeros(5), k=k, r=np.eye(3).ravel(),
                            p=np.array([50.0, 0, 32, 0, 0, 50.0, 24, 0, 0, 0, 1, 0]),
                            binning_x=0, binning_y=0,
                            roi=RoI(x_offset=0, y_offset=0, height=0, width=0, do_rectify=False))
                writer.write(info_conn, ns, store.serialize_cdr(info, Info.__msgtype__))
            stamps.append(ns)
    return stamps


def read_all(source: FrameSource, limit: int = 100) -> list:
    source.open()
    frames = []
    try:
        while len(frames) < limit:
            try:
                frame = source.read()
            except BadFrame as exc:
                frames.append(exc)
                continue
            if frame is None:
                break
            frames.append(frame)
    finally:
        source.close()
    return frames


# --- source forms ----------------------------------------------------------------------

def test_source_forms_resolve_to_their_classes(tmp_path):
    write_folder(tmp_path, 1)
    (tmp_path / 'bagdir').mkdir()
    (tmp_path / 'bagdir' / 'metadata.yaml').write_text('rosbag2_bagfile_information: {}\n')
    cases = {'/dev/video0': DeviceSource, '2': DeviceSource, 'clip.mp4': video_file.VideoFileSource,
             'file:///tmp/clip.MKV': video_file.VideoFileSource,
             str(tmp_path): image_folder.ImageFolderSource,
             str(tmp_path / 'bagdir'): bag.BagSource, 'run.mcap': bag.BagSource, 'run.db3': bag.BagSource,
             'http://10.0.0.1:8080/video': stream.StreamSource, 'rtsp://cam/stream1': stream.StreamSource,
             'pattern://moving': pattern.PatternSource}
    for text, cls in cases.items():
        assert base.resolve_source(text)[0] is cls, text


@pytest.mark.parametrize('text', ['foo://bar', 'notes.txt', '/no/such/folder', '', 'pattern://static',
                                  'http://'])
def test_unknown_source_forms_name_the_allowed_ones(text):
    reason = base.validate_source(text)
    assert reason
    if text in ('foo://bar', 'notes.txt', '/no/such/folder', ''):
        for form in ('/dev/videoN', 'video file', 'folder of images', 'rosbag2', 'rtsp://', 'pattern://',
                     'synthetic://'):
            assert form in reason, (form, reason)
    elif text == 'pattern://static':
        assert 'moving' in reason


# --- file-like sources ---------------------------------------------------------------------

def test_image_folder_in_natural_order_and_a_broken_image_is_a_bad_frame(tmp_path):
    write_folder(tmp_path, 12)
    (tmp_path / 'frame_5.png').write_bytes(b'not a png at all')
    settings = CaptureSettings(framerate=240, loop=False)
    frames = read_all(image_folder.ImageFolderSource(str(tmp_path), settings))
    assert len(frames) == 12
    assert isinstance(frames[5], BadFrame) and 'frame_5.png' in str(frames[5])
    good = [f for f in frames if isinstance(f, Frame)]
    assert [frame_value(f.image) for f in good] == [i for i in range(12) if i != 5]


def test_image_folder_loops_and_an_empty_folder_cannot_open(tmp_path):
    write_folder(tmp_path, 3)
    frames = read_all(image_folder.ImageFolderSource(str(tmp_path), CaptureSettings(framerate=240)), limit=7)
    assert [frame_value(f.image) for f in frames] == [0, 1, 2, 0, 1, 2, 0]
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(SourceError, match='no images'):
        image_folder.ImageFolderSource(str(empty), CaptureSettings()).open()


def test_video_file_in_order_looping_and_paced(tmp_path):
    clip = tmp_path / 'clip.avi'
    write_clip(clip, 5, fps=20.0)
    source = video_file.VideoFileSource(str(clip), CaptureSettings(loop=True))
    frames = read_all(source, limit=12)
    assert [frame_value(f.image) for f in frames] == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1]
    gaps = np.diff([f.stamp_ns for f in frames]) / 1e9
    assert np.median(gaps) == pytest.approx(1 / 20.0, abs=0.02)  # the file's own rate (playback=recorded)
    once = read_all(video_file.VideoFileSource(str(clip), CaptureSettings(loop=False, framerate=240,
                                                                          playback='framerate')))
    assert [frame_value(f.image) for f in once] == [0, 1, 2, 3, 4]


def test_video_file_that_vanishes_is_a_source_error(tmp_path):
    clip = tmp_path / 'clip.avi'
    write_clip(clip, 3)
    source = video_file.VideoFileSource(str(clip), CaptureSettings(framerate=240, playback='framerate'))
    source.open()
    for _ in range(3):
        assert source.read() is not None
    clip.unlink()
    with pytest.raises(SourceError, match='vanished'):
        source.read()
    source.close()
    with pytest.raises(SourceError, match='not found'):
        video_file.VideoFileSource(str(clip), CaptureSettings()).open()


def test_rosbag_replays_frames_stamps_and_calibration(tmp_path):
    path = tmp_path / 'run'
    stamps = write_bag(path, 6)
    source = bag.BagSource(str(path), CaptureSettings(loop=False))
    start = time.monotonic()
    frames = read_all(source)
    elapsed = time.monotonic() - start
    assert [frame_value(f.image) for f in frames] == list(range(6))
    assert [f.stamp_ns for f in frames] == stamps
    assert elapsed >= 0.4  # recorded rate: 5 gaps of 0.1 s
    assert source.camera_info()['K'][0] == 50.0 and source.camera_info()['width'] == 64
    looped = read_all(bag.BagSource(str(tmp_path / 'run' / 'run.mcap'),
                                    CaptureSettings(loop=True, playback='framerate', framerate=200)), limit=9)
    assert [frame_value(f.image) for f in looped] == [0, 1, 2, 3, 4, 5, 0, 1, 2]
    assert all(b > a for a, b in zip([f.stamp_ns for f in looped], [f.stamp_ns for f in looped][1:]))


def test_pattern_moves_and_counts():
    source = pattern.PatternSource('pattern://moving', CaptureSettings(width=320, height=180, framerate=240))
    frames = read_all(source, limit=3)
    assert frames[0].image.shape == (180, 320, 3)
    assert not np.array_equal(frames[0].image, frames[1].image)
    cx, cy = source.ball_centre(2)
    assert frames[2].image[cy, cx].min() > 200  # the white ball is where the pattern says


def test_synthetic_table_frames_truth_and_calibration():
    assert 'demo' in base.validate_source('synthetic://no-such-scenario')
    settings = CaptureSettings(width=320, height=180, framerate=240)
    source = synthetic.SyntheticSource('synthetic://demo', settings)
    frames = read_all(source, limit=2)
    assert frames[0].image.shape == (180, 320, 3) and 'balls' in frames[0].extra['truth']
    source.open()
    info = source.camera_info()
    assert len(info['K']) == 9 and len(info['P']) == 12 and info['width'] == 320
    source.close()


def test_garbage_url_fails_to_open_without_hanging():
    server = socket.socket()
    server.bind(('127.0.0.1', 0))
    server.listen(4)
    port = server.getsockname()[1]
    stop = threading.Event()

    def answer_garbage():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            conn.sendall(b'HTTP/1.0 200 OK\r\nContent-Type: video/mp4\r\n\r\n' + os.urandom(20000))
            conn.close()
    thread = threading.Thread(target=answer_garbage, daemon=True)
    thread.start()
    try:
        source = stream.StreamSource(f'http://127.0.0.1:{port}/video',
                                     CaptureSettings(open_timeout=1.0, read_timeout=1.0))
        with pytest.raises(SourceError):
            read_all(source, limit=50)
    finally:
        stop.set()
        thread.join()
        server.close()


# --- frame checks and calibration ----------------------------------------------------------

def test_normalise_converts_resizes_and_refuses_wrong_sizes():
    settings = CaptureSettings(width=32, height=24)
    frame = Frame(np.zeros((48, 64), np.uint8), 0, jpeg=b'x')
    shape = normalise(frame, None, settings)
    assert shape == (48, 64) and frame.image.shape == (24, 32, 3) and frame.jpeg is None
    with pytest.raises(BadFrame, match='wrong size 80x60'):
        normalise(Frame(np.zeros((60, 80), np.uint8), 0), shape, settings)
    with pytest.raises(BadFrame, match='empty'):
        normalise(Frame(np.zeros((0, 0, 3), np.uint8), 0), None, settings)


def test_calibration_yaml_roundtrip_scale_and_errors(tmp_path):
    info = {'width': 640, 'height': 480, 'K': [500.0, 0, 320, 0, 500, 240, 0, 0, 1],
            'D': [0.1, -0.2, 0, 0, 0],
            'R': [1.0, 0, 0, 0, 1, 0, 0, 0, 1], 'P': [500.0, 0, 320, 0, 0, 500, 240, 0, 0, 0, 1, 0],
            'distortion_model': 'plumb_bob'}
    path = tmp_path / 'camera.yaml'
    calibration.save_camera_info(str(path), info, 'overhead')
    loaded = calibration.load_camera_info(calibration.url_to_path(f'file://{path}'))
    assert loaded['K'] == info['K'] and loaded['D'] == info['D'] and loaded['camera_name'] == 'overhead'
    half = calibration.scale_camera_info(loaded, 320, 240)
    assert half['K'][0] == 250.0 and half['K'][5] == 120.0 and half['P'][2] == 160.0
    (tmp_path / 'bad.yaml').write_text('image_width: 640\nimage_height: 480\ncamera_matrix: {data: [1, 2]}\n')
    with pytest.raises(ValueError, match='camera_matrix'):
        calibration.load_camera_info(str(tmp_path / 'bad.yaml'))
    with pytest.raises(ValueError, match='file://'):
        calibration.url_to_path('ftp://host/camera.yaml')


# --- supervisor ---------------------------------------------------------------------------

class CorruptBurst(FrameSource):
    """Good frames, then a burst of corrupt and wrong-size ones, then good frames again."""

    def open(self):
        self.i = 0

    def read(self):
        self.i += 1
        time.sleep(0.005)
        if 10 <= self.i < 15:
            raise BadFrame(f'corrupt JPEG {self.i}')
        size = (40, 30) if 15 <= self.i < 20 else (64, 48)
        return Frame(np.full((size[1], size[0], 3), self.i % 256, np.uint8), time.time_ns(), index=self.i)


base.register_scheme('test-corrupt', CorruptBurst, 'burst (test double)')


def test_bad_frames_are_counted_and_logged_once_per_burst():
    frames, logs = [], []
    capture = Capture(CaptureConfig('test-corrupt://burst', mode='thread'), frames.append,
                      log=lambda level, text: logs.append((level, text)))
    capture.start()
    try:
        assert wait_for(lambda: len(frames) >= 30, 10)
    finally:
        capture.stop()
    snap = capture.snapshot()
    assert snap['bad_frames'] == 10 and snap['state'] == 'streaming' and snap['reconnects'] == 0
    assert all(f.image.shape == (48, 64, 3) for f in frames)
    assert len([text for level, text in logs if 'bad frame' in text]) == 1


def test_folder_that_vanishes_and_returns(tmp_path):
    folder = tmp_path / 'frames'
    folder.mkdir()
    write_folder(folder, 4)
    frames, logs = [], []
    capture = Capture(CaptureConfig(str(folder), CaptureSettings(framerate=60), mode='thread',
                                    reconnect_delay=0.05, reconnect_delay_max=0.2),
                      frames.append, log=lambda level, text: logs.append(text))
    capture.start()
    try:
        assert wait_for(lambda: len(frames) >= 5, 10)
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()
        assert wait_for(lambda: capture.snapshot()['reconnects'] >= 2, 10)
        assert 'image folder' in capture.snapshot()['last_error']
        folder.mkdir()
        write_folder(folder, 4)
        count = len(frames)
        assert wait_for(lambda: len(frames) >= count + 5 and capture.state == 'streaming', 10)
    finally:
        capture.stop()


class FakeV4L2:
    """Stands in for cv2.VideoCapture on a V4L2 MJPEG camera and records every call."""

    calls: list = []
    last = None

    def __init__(self, target, backend):
        FakeV4L2.last = self
        self.calls.clear()
        self.calls.append(('open', target, backend))
        self.props = {cv2.CAP_PROP_FOURCC: float(cv2.VideoWriter_fourcc(*'YUYV'))}
        self.jpeg = cv2.imencode('.jpg', np.full((48, 64, 3), 100, np.uint8))[1]

    def isOpened(self):
        return True

    def set(self, prop, value):
        self.calls.append(('set', prop, value))
        self.props[prop] = float(value)
        return True

    def get(self, prop):
        return self.props.get(prop, 0.0)

    def grab(self):
        return True

    def retrieve(self):
        if self.props.get(cv2.CAP_PROP_CONVERT_RGB, 1.0) == 0.0:
            return True, self.jpeg.reshape(1, -1)  # undecoded MJPEG buffer
        return True, np.full((48, 64, 3), 100, np.uint8)

    def release(self):
        self.calls.append(('release',))


def test_device_sets_mjpg_before_size_and_rate_and_forwards_jpeg(monkeypatch):
    from billiards_vision.camera import device
    monkeypatch.setattr(device.cv2, 'VideoCapture', FakeV4L2)
    source = DeviceSource('/dev/video3', CaptureSettings(width=1280, height=720, framerate=30.0))
    source.open()
    frame = source.read()
    source.close()
    calls = FakeV4L2.calls
    assert calls[0] == ('open', '/dev/video3', cv2.CAP_V4L2)
    props = [c[1] for c in calls if c[0] == 'set']
    order = [props.index(p) for p in (cv2.CAP_PROP_FOURCC, cv2.CAP_PROP_FRAME_WIDTH, cv2.CAP_PROP_FPS)]
    assert order == sorted(order)  # FOURCC before size before rate
    assert ('set', cv2.CAP_PROP_BUFFERSIZE, 1) in calls
    assert frame.jpeg == FakeV4L2.last.jpeg.tobytes()  # the camera's bytes, forwarded undecoded
    assert frame.image.shape == (48, 64, 3) and abs(int(frame.image.mean()) - 100) <= 1
    assert calls[-1] == ('release',)
