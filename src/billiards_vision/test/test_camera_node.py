# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""camera_driver node: topics, files/folders/bags in order, parameters, exit after failed reconnects.

RosHarness (also used by test_camera_watchdog and test_camera_stream) runs the
driver and a probe node on one executor thread in their own context and domain.
"""
import json
import threading
import time

import numpy as np
import pytest
import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.executors import SingleThreadedExecutor
from rclpy.parameter import Parameter
from sensor_msgs.msg import CameraInfo, CompressedImage, Image
from std_msgs.msg import String
from std_srvs.srv import Trigger

from billiards_vision.camera import calibration
from billiards_vision.nodes.camera_driver import CameraDriver
from billiards_vision.ros.qos import LATCHED_QOS, RESULT_QOS, SENSOR_QOS
from conftest import executable, ros_env, wait_for
from test_camera_sources import STEP, write_bag, write_clip, write_folder

DOMAIN = 40


class RosHarness:
    """The driver plus a probe that records images, camera_info, status, diagnostics and timer ticks."""

    def __init__(self, domain: int, timer_period: float = 0.05, **params):
        self.context = rclpy.Context()
        rclpy.init(context=self.context, domain_id=domain)
        self.probe = rclpy.create_node('camera_probe', context=self.context)
        self.images, self.infos, self.jpegs, self.statuses = [], [], [], []
        self.diagnostics, self.ticks = [], []
        p = self.probe
        p.create_subscription(Image, 'camera/image_raw', self._on_image, SENSOR_QOS)
        p.create_subscription(CameraInfo, 'camera/camera_info', self.infos.append, SENSOR_QOS)
        p.create_subscription(String, 'camera/status', lambda m: self.statuses.append(json.loads(m.data)),
                              LATCHED_QOS)
        p.create_subscription(DiagnosticArray, '/diagnostics',
                              lambda m: self.diagnostics.append((time.monotonic(), m)), RESULT_QOS)
        p.create_timer(timer_period, lambda: self.ticks.append(time.monotonic()))
        self.reconnect_client = p.create_client(Trigger, 'camera/reconnect')
        self.driver = CameraDriver(context=self.context,
                                   parameter_overrides=[Parameter(k, value=v) for k, v in params.items()])
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.probe)
        self.executor.add_node(self.driver)
        self._thread = threading.Thread(target=self.executor.spin, daemon=True)
        self._thread.start()

    def _on_image(self, msg: Image) -> None:
        value = int(round(float(np.frombuffer(msg.data, np.uint8).mean()) / STEP))
        stamp = msg.header.stamp.sec * 10**9 + msg.header.stamp.nanosec
        self.images.append({'t': time.monotonic(), 'value': value, 'stamp': stamp, 'first': msg.data[0],
                            'size': (msg.width, msg.height), 'frame_id': msg.header.frame_id})

    def subscribe_compressed(self):
        self.probe.create_subscription(CompressedImage, 'camera/image_raw/compressed', self.jpegs.append,
                                       SENSOR_QOS)

    def frames_after(self, t: float) -> list:
        return [m for m in list(self.images) if m['t'] >= t]

    def state(self) -> str:
        return self.statuses[-1]['state'] if self.statuses else ''

    def set(self, **params):
        return self.driver.set_parameters([Parameter(k, value=v) for k, v in params.items()])

    def call_reconnect(self, timeout: float):
        """(response or None, seconds waited): the service must answer while capture hangs."""
        assert self.reconnect_client.wait_for_service(timeout_sec=5.0)
        start = time.monotonic()
        future = self.reconnect_client.call_async(Trigger.Request())
        wait_for(future.done, timeout, interval=0.01)
        return (future.result() if future.done() else None), time.monotonic() - start

    def max_tick_gap(self) -> float:
        ticks = list(self.ticks)
        return float(np.max(np.diff(ticks))) if len(ticks) > 1 else float('inf')

    def close(self):
        self.executor.shutdown(timeout_sec=2.0)
        self._thread.join(timeout=2.0)
        self.driver.destroy_node()
        self.probe.destroy_node()
        rclpy.shutdown(context=self.context)


@pytest.fixture
def harness_factory():
    made = []

    def make(domain=DOMAIN, **params):
        made.append(RosHarness(domain, **params))
        return made[-1]
    yield make
    for h in made:
        h.close()


def full_pass(values: list, count: int) -> bool:
    """True when `values` holds 0, 1, ..., count-1 back to back (one complete pass, in order)."""
    want = list(range(count))
    return any(values[i:i + count] == want for i in range(len(values) - count + 1))


def switch_source(h: RosHarness, **params) -> float:
    """Wait until the probe receives frames (so nothing of the next source is missed), then switch."""
    assert wait_for(lambda: len(h.images) >= 3, 10), 'no frames from the first source'
    result = h.set(**params)[0]
    assert result.successful, result.reason
    return time.monotonic()


def test_pattern_streams_with_info_compressed_and_diagnostics(harness_factory, tmp_path):
    cal = tmp_path / 'camera.yaml'
    calibration.save_camera_info(str(cal), {'width': 640, 'height': 360, 'D': [0.0] * 5,
                                            'K': [400.0, 0, 320, 0, 400, 180, 0, 0, 1],
                                            'distortion_model': 'plumb_bob'}, 'overhead')
    h = harness_factory(source='pattern://moving', image_width=320, image_height=180, frame_id='overhead_cam',
                        camera_name='overhead', camera_info_url=f'file://{cal}')
    h.subscribe_compressed()
    assert wait_for(lambda: len(h.images) >= 10 and len(h.jpegs) >= 3 and h.diagnostics, 10)
    first = h.images[-1]
    assert first['size'] == (320, 180) and first['frame_id'] == 'overhead_cam'
    assert abs(first['stamp'] / 1e9 - time.time()) < 5.0  # stamped at capture time (wall clock)
    info = h.infos[-1]
    assert info.header.frame_id == 'overhead_cam' and (info.width, info.height) == (320, 180)
    assert info.k[0] == pytest.approx(200.0) and info.k[2] == pytest.approx(160.0)  # scaled from 640x360
    assert bytes(h.jpegs[-1].data[:2]) == b'\xff\xd8'

    def diagnostic_values():
        return {kv.key: kv.value for kv in h.diagnostics[-1][1].status[0].values}
    assert wait_for(lambda: float(diagnostic_values()['fps']) > 10, 5)  # measured over the last 2 s
    status = h.diagnostics[-1][1].status[0]
    assert status.name == 'camera_driver: overhead' and status.hardware_id == 'pattern://moving'
    assert status.level == b'\x00' and diagnostic_values()['state'] == 'streaming'
    assert {'framerate', 'dropped', 'reconnects', 'last_error'} <= set(diagnostic_values())
    assert h.statuses[-1]['state'] == 'streaming'


def test_folder_file_and_bag_publish_frames_in_order(harness_factory, tmp_path):
    folder = tmp_path / 'frames'
    folder.mkdir()
    write_folder(folder, 12)
    clip = tmp_path / 'clip.avi'
    write_clip(clip, 8, fps=20.0)
    bag_path = tmp_path / 'run'
    stamps = write_bag(bag_path, 10)
    h = harness_factory(source='pattern://moving', image_width=64, image_height=48, framerate=20.0)

    since = switch_source(h, source=str(folder))
    assert wait_for(lambda: full_pass([m['value'] for m in h.frames_after(since)], 12), 15), \
        [m['value'] for m in h.frames_after(since)]

    since = switch_source(h, source=str(clip))
    assert wait_for(lambda: full_pass([m['value'] for m in h.frames_after(since)], 8), 15), \
        [m['value'] for m in h.frames_after(since)]

    since = switch_source(h, source=str(bag_path), loop=False)
    assert wait_for(lambda: h.state() == 'ended', 15)
    got = h.frames_after(since)
    assert [m['value'] for m in got] == list(range(10))
    assert [m['stamp'] for m in got] == stamps  # the recorded header stamps
    assert wait_for(lambda: h.infos and h.infos[-1].k[0] == 50.0, 5)  # the bag's CameraInfo


def test_synthetic_table_with_its_calibration_and_ground_truth(harness_factory):
    from billiards_interfaces.msg import Table, TrackedBall, TrackedBallArray

    from billiards_vision.sim import SyntheticTable
    h = harness_factory(source='synthetic://break', image_width=320, image_height=180)
    truth_balls, truth_tables = [], []
    h.probe.create_subscription(TrackedBallArray, 'camera/ground_truth/balls', truth_balls.append, RESULT_QOS)
    h.probe.create_subscription(Table, 'camera/ground_truth/table', truth_tables.append, LATCHED_QOS)
    assert wait_for(lambda: len(h.images) >= 3 and truth_balls and truth_tables and h.infos, 15)
    expected_k = np.ravel(SyntheticTable('break', width=320, height=180).camera_info()['K'])
    assert np.allclose(h.infos[-1].k, expected_k)
    balls = truth_balls[-1]
    assert sorted(b.id for b in balls.balls) == list(range(16))
    assert balls.balls[0].ball.type == 1 and balls.balls[0].state != TrackedBall.STATE_POCKETED
    stamp = balls.header.stamp.sec * 10**9 + balls.header.stamp.nanosec
    assert wait_for(lambda: stamp in {m['stamp'] for m in h.images}, 5)  # the stamp of its image
    table = truth_tables[-1]
    assert table.found and len(table.pockets) == 6 and table.pockets[1].kind == 1  # top side pocket


@pytest.mark.parametrize('name, value, words', [
    ('source', 'foo://bar', ["'source'", '/dev/videoN', 'rosbag2', 'pattern://', 'synthetic://', 'rtsp://']),
    ('source', 'pattern://nothing', ["'source'", 'moving']),
    ('pixel_format', 'rgb24', ["'pixel_format'", 'mjpeg, yuyv, any']),
    ('capture_mode', 'fiber', ["'capture_mode'", 'auto, thread, process']),
    ('playback', 'fast', ["'playback'", 'recorded, framerate']),
    ('camera_info_url', 'ftp://host/cam.yaml', ["'camera_info_url'", 'file://', 'package://']),
    ('framerate', 1000.0, ['framerate', 'Min: 0.5', 'Max: 240.0']),
    ('read_timeout', 0.0, ['read_timeout', 'Min: 0.1']),
    ('image_width', -5, ['image_width', 'Min: 0', 'Max: 7680']),
    ('reconnect_delay_max', 0.1, ["'reconnect_delay_max'", 'reconnect_delay']),
])
def test_bad_parameters_are_refused_with_the_allowed_values(harness_factory, name, value, words):
    h = harness_factory(source='pattern://moving', image_width=64, image_height=48, reconnect_delay=0.5)
    before = h.driver.get_parameter(name).value
    result = h.set(**{name: value})[0]
    assert not result.successful
    for word in words:
        assert word in result.reason, (word, result.reason)
    assert h.driver.get_parameter(name).value == before


def test_bad_initial_source_stops_the_node_with_the_reason():
    context = rclpy.Context()
    rclpy.init(context=context, domain_id=DOMAIN)
    try:
        with pytest.raises(ValueError, match="parameter 'source'.*allowed"):
            CameraDriver(context=context, parameter_overrides=[Parameter('source', value='webcam please')])
    finally:
        rclpy.shutdown(context=context)


def test_exits_non_zero_after_max_reconnects(processes, tmp_path):
    proc = processes.start([executable('camera_driver'), '--ros-args',
                            '-p', f'source:={tmp_path}/missing.mp4',
                            '-p', 'max_reconnects:=2', '-p', 'reconnect_delay:=0.05', '-p',
                            'reconnect_delay_max:=0.1'], env=ros_env(DOMAIN + 1))
    code = proc.wait(timeout=30)
    out = proc.stdout.read()
    assert code == 1, out
    assert 'video file not found' in out and 'failed reconnects' in out
