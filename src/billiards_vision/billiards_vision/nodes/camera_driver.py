# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""camera_driver: publishes camera/image_raw, camera/camera_info and
camera/image_raw/compressed from the `source` parameter, and never blocks.

Capture runs on a watchdog-supervised worker (billiards_vision.camera.capture);
frames are published by a publisher thread, so the executor only runs the 1 Hz
diagnostics, the reconnect service and parameter changes, which always answer.
"""
from __future__ import annotations

import json
import threading
from typing import Optional

import cv2
from billiards_interfaces.msg import CueStick, Table, TrackedBallArray
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.node import Node
from rclpy.parameter import Parameter
from sensor_msgs.msg import CameraInfo, CompressedImage, Image
from std_msgs.msg import Header, String
from std_srvs.srv import Trigger

from billiards_vision.camera.base import CaptureSettings, Frame, source_forms, validate_source
from billiards_vision.camera import ground_truth
from billiards_vision.camera.bag import BagSource
from billiards_vision.camera.calibration import (URL_FORMS, load_camera_info, scale_camera_info, uncalibrated,
                                                 url_to_path)
from billiards_vision.camera.capture import MODES, Capture, CaptureConfig, FrameHandoff
from billiards_vision.camera.video_file import VideoFileSource
from billiards_vision.ros.image_bridge import cv2_to_imgmsg
from billiards_vision.ros.node_main import run_node
from billiards_vision.ros.node_params import Param, declare_parameters
from billiards_vision.ros.qos import LATCHED_QOS, RESULT_QOS, SENSOR_QOS

DEFAULT_CAPTURE_MODE = 'auto'  # from `python -m billiards_vision.camera.bench`; see the README
_LEVELS = {'streaming': DiagnosticStatus.OK, 'ended': DiagnosticStatus.OK,
           'connecting': DiagnosticStatus.WARN, 'stalled': DiagnosticStatus.WARN,
           'reconnecting': DiagnosticStatus.WARN,
           'failed': DiagnosticStatus.ERROR}


def _check_url(url: str) -> Optional[str]:
    try:
        path = url_to_path(url)
    except ValueError as exc:
        return str(exc)
    if path is not None and not path.endswith(('.yaml', '.yml')):
        return f'{url!r} is not a .yaml file; allowed: {URL_FORMS}'
    return None


PARAMS = (
    Param('source', 'pattern://moving', 'Camera source; one of: ' + source_forms(), check=validate_source),
    Param('image_width', 0, 'Frame width in pixels: requested from a device, other sources are resized; '
          '0 keeps the source size', range=(0, 7680)),
    Param('image_height', 0, 'Frame height in pixels (see image_width); 0 keeps the source size',
          range=(0, 4320)),
    Param('framerate', 30.0, 'Frames per second requested from a device; pace of folders, patterns, '
          'synthetic scenes, and of files and bags with playback=framerate', range=(0.5, 240.0)),
    Param('pixel_format', 'mjpeg', 'V4L2 pixel format (FOURCC set before size and rate)',
          choices=('mjpeg', 'yuyv', 'any')),
    Param('frame_id', 'camera', 'header.frame_id of camera/image_raw and camera/camera_info'),
    Param('camera_name', 'camera', 'Camera name in diagnostics and in written calibration files'),
    Param('camera_info_url', '', 'Calibration YAML in the ROS camera_info format; ' + URL_FORMS
          + "; '' uses the source's own calibration (synthetic, rosbag2) or none", check=_check_url),
    Param('open_timeout', 5.0, 'Seconds an open may take before the watchdog abandons it',
          range=(0.1, 120.0)),
    Param('read_timeout', 2.0, 'Seconds without a frame before the watchdog abandons the read and reconnects',
          range=(0.1, 60.0)),
    Param('reconnect_delay', 0.5, 'First delay before reconnecting, seconds; doubles per failed attempt',
          range=(0.01, 60.0)),
    Param('reconnect_delay_max', 10.0, 'Longest delay between reconnect attempts, seconds',
          range=(0.01, 600.0)),
    Param('max_reconnects', 0, 'Exit with code 1 after this many failed reconnects in a row (for launch '
          'respawn); 0 retries forever', range=(0, 1000000)),
    Param('loop', True, 'Start video files, image folders and rosbag2 sources again at their end'),
    Param('playback', 'recorded',
          'Timing of video files and rosbag2 sources: their recorded rate, or framerate',
          choices=('recorded', 'framerate')),
    Param('capture_mode', DEFAULT_CAPTURE_MODE,
          'Where open/read run: thread (cheapest; a hung call is abandoned), '
          'process (a hung call is killed; frames via shared memory), or auto: process for devices, '
          'streams and synthetic://, thread for files, folders, bags and pattern://', choices=MODES),
    Param('jpeg_quality', 90, 'JPEG quality of camera/image_raw/compressed when frames must be encoded',
          range=(1, 100)),
)


class CameraDriver(Node):
    """The camera driver node; `kwargs` go to rclpy Node (parameter_overrides, context, ...)."""

    def __init__(self, **kwargs):
        super().__init__('camera_driver', **kwargs)
        self.exit_code = 0
        self._values = declare_parameters(self, PARAMS, on_change=self._on_parameters)
        self._calibration = self._load_calibration(self._values['camera_info_url'])
        self._info_cache: tuple = ((None, None), None)
        self._image_pub = self.create_publisher(Image, 'camera/image_raw', SENSOR_QOS)
        self._info_pub = self.create_publisher(CameraInfo, 'camera/camera_info', SENSOR_QOS)
        self._jpeg_pub = self.create_publisher(CompressedImage, 'camera/image_raw/compressed', SENSOR_QOS)
        self._diag_pub = self.create_publisher(DiagnosticArray, '/diagnostics', RESULT_QOS)
        self._status_pub = self.create_publisher(String, 'camera/status', LATCHED_QOS)
        # Ground truth of synthetic://, with the stamp of its image (nothing is published for other sources).
        self._truth_pubs = (self.create_publisher(TrackedBallArray, 'camera/ground_truth/balls', RESULT_QOS),
                            self.create_publisher(Table, 'camera/ground_truth/table', LATCHED_QOS),
                            self.create_publisher(CueStick, 'camera/ground_truth/cue', RESULT_QOS))
        self.create_service(Trigger, 'camera/reconnect', self._on_reconnect)
        self._state_changed = self.create_guard_condition(self._publish_health)
        self._fatal = self.create_guard_condition(self._shutdown_after_failure)
        self._fatal_reason = ''
        self._handoff = FrameHandoff(on_dropped=lambda n: self._capture.count_dropped(n))
        self._capture = Capture(self._capture_config(self._values), on_frame=self._handoff.put,
                                on_state=lambda state: self._state_changed.trigger(),
                                on_fatal=self._on_fatal, log=self._log)
        self._running = True
        self._publish_error = ''
        self._publisher = threading.Thread(target=self._publish_loop, name='camera-publisher', daemon=True)
        self._publisher.start()
        self._capture.start()
        self.create_timer(1.0, self._publish_health)
        self.get_logger().info(f'camera_driver: source {self._values["source"]} '
                               f'({self._values["capture_mode"]} capture)')

    # --- parameters ---------------------------------------------------------------------

    @staticmethod
    def _capture_config(v: dict) -> CaptureConfig:
        settings = CaptureSettings(width=v['image_width'], height=v['image_height'], framerate=v['framerate'],
                                   pixel_format=v['pixel_format'], loop=v['loop'], playback=v['playback'],
                                   open_timeout=v['open_timeout'], read_timeout=v['read_timeout'])
        return CaptureConfig(source=v['source'], settings=settings, mode=v['capture_mode'],
                             reconnect_delay=v['reconnect_delay'],
                             reconnect_delay_max=v['reconnect_delay_max'],
                             max_reconnects=v['max_reconnects'], jpeg_quality=v['jpeg_quality'])

    def _on_parameters(self, changed: list[Parameter]) -> Optional[str]:
        values = dict(self._values)
        values.update({p.name: p.value for p in changed if p.name in values})
        if values['reconnect_delay_max'] < values['reconnect_delay']:
            return (f"parameter 'reconnect_delay_max': {values['reconnect_delay_max']} is below "
                    f"reconnect_delay ({values['reconnect_delay']}); allowed: >= reconnect_delay")
        if values['camera_info_url'] != self._values['camera_info_url']:
            self._calibration = self._load_calibration(values['camera_info_url'])
        self._values = values
        self._capture.reconfigure(self._capture_config(values))
        return None

    def _load_calibration(self, url: str) -> Optional[dict]:
        path = url_to_path(url)
        if path is None:
            return None
        try:
            info = load_camera_info(path)
        except ValueError as exc:  # keep streaming, uncalibrated, as camera_info_manager does
            self.get_logger().warning(f'camera_info_url: {exc}; publishing an uncalibrated camera_info')
            return None
        self.get_logger().info(f'calibration loaded from {path} ({info["width"]}x{info["height"]})')
        return info

    # --- frames (publisher thread) ------------------------------------------------------

    def _publish_loop(self) -> None:
        while self._running:
            frame = self._handoff.take(timeout=0.2)
            if frame is not None and self._running:
                try:
                    self._publish_frame(frame)
                except Exception as exc:  # a context shut down under us, or a conversion bug
                    if self._running and self.context.ok() and str(exc) != self._publish_error:
                        self.get_logger().error(f'publishing a frame failed: {exc} (logged once per error)')
                    self._publish_error = str(exc)

    def _publish_frame(self, frame: Frame) -> None:
        header = Header(frame_id=self._values['frame_id'])
        header.stamp.sec, header.stamp.nanosec = divmod(frame.stamp_ns, 1_000_000_000)
        image = frame.image
        self._image_pub.publish(cv2_to_imgmsg(image, 'bgr8', header=header))
        info = self._camera_info(image.shape[1], image.shape[0])
        info.header = header
        self._info_pub.publish(info)
        truth = frame.extra.get('truth')
        if truth is not None:
            balls, table, cue = self._truth_pubs
            balls.publish(ground_truth.balls_msg(truth, header))
            table.publish(ground_truth.table_msg(truth, header, image))
            cue.publish(ground_truth.cue_msg(truth, header))
        if self._capture.want_jpeg:
            jpeg = frame.jpeg
            if jpeg is None:  # subscribed since the worker last checked: encode here once
                quality = [cv2.IMWRITE_JPEG_QUALITY, self._values['jpeg_quality']]
                ok, buf = cv2.imencode('.jpg', image, quality)
                jpeg = buf.tobytes() if ok else None
            if jpeg is not None:
                self._jpeg_pub.publish(CompressedImage(header=header, format='bgr8; jpeg compressed bgr8',
                                                       data=jpeg))

    def _camera_info(self, width: int, height: int) -> CameraInfo:
        info = self._calibration or self._capture.camera_info
        (cached_size, cached_info), msg = self._info_cache
        if cached_size == (width, height) and cached_info is info:  # a new source or calibration: new dict
            return msg
        if info is None:
            info = uncalibrated(width, height)
        elif (info['width'], info['height']) != (width, height):
            self.get_logger().warning(f'calibration is for {info["width"]}x{info["height"]}, frames are '
                                      f'{width}x{height}: scaling K and P')
            info = scale_camera_info(info, width, height)
        msg = CameraInfo(width=width, height=height, distortion_model=info.get('distortion_model', ''),
                         d=[float(v) for v in info.get('D', [])], k=[float(v) for v in info['K']],
                         p=[float(v) for v in info['P']],
                         r=[float(v) for v in info.get('R', [1.0, 0, 0, 0, 1.0, 0, 0, 0, 1.0])])
        self._info_cache = (((width, height), info), msg)
        return msg

    # --- health (executor) --------------------------------------------------------------

    def _health(self) -> tuple[int, str, dict]:
        snap = self._capture.snapshot()
        state, v = snap['state'], self._values
        level, message = _LEVELS[state], state
        own_rate = self._capture.source_class in (VideoFileSource, BagSource) and v['playback'] == 'recorded'
        if state == 'streaming' and not own_rate and snap['fps'] < 0.8 * v['framerate']:
            level, message = DiagnosticStatus.WARN, f'streaming below framerate ({snap["fps"]:.1f} fps)'
        elif state != 'streaming' and snap['last_error']:
            message = f'{state}: {snap["last_error"]}'
        return level, message, snap

    def _publish_health(self) -> None:
        try:
            self._publish_health_now()
        except Exception:
            if self._running and self.context.ok():
                raise
            # Shutting down: the publishers may already be gone; nothing to report to.

    def _publish_health_now(self) -> None:
        self._capture.want_jpeg = self._jpeg_pub.get_subscription_count() > 0
        level, message, snap = self._health()
        status = DiagnosticStatus(level=level, name=f'camera_driver: {self._values["camera_name"]}',
                                  message=message, hardware_id=self._values['source'])
        status.values = [KeyValue(key=k, value=str(val)) for k, val in snap.items()]
        array = DiagnosticArray(status=[status])
        array.header.stamp = self.get_clock().now().to_msg()
        self._diag_pub.publish(array)
        level_name = {0: 'OK', 1: 'WARN', 2: 'ERROR'}[ord(level) if isinstance(level, bytes) else int(level)]
        self._status_pub.publish(String(data=json.dumps(dict(snap, level=level_name, message=message))))

    def _on_reconnect(self, request, response):
        self._capture.reconnect('reconnect requested (camera/reconnect)')
        response.success = True
        response.message = f'reconnecting to {self._values["source"]}'
        return response

    # --- failure and shutdown -------------------------------------------------------------

    def _on_fatal(self, reason: str) -> None:
        self._fatal_reason = reason
        self._fatal.trigger()

    def _shutdown_after_failure(self) -> None:
        if self.exit_code:
            return
        self.exit_code = 1
        self.get_logger().fatal(f'camera_driver gives up: {self._fatal_reason}; exiting with code 1')
        self._publish_health()
        self.context.try_shutdown()

    def _log(self, level: str, text: str) -> None:
        # One call site per severity: rclpy loggers refuse a severity change at one call site.
        logger = self.get_logger()
        if level == 'error':
            logger.error(text)
        elif level == 'warn':
            logger.warning(text)
        else:
            logger.info(text)

    def destroy_node(self):
        self._running = False
        self._capture.stop(timeout=1.0)
        self._publisher.join(timeout=1.0)
        return super().destroy_node()


def main(args=None) -> int:
    return run_node(CameraDriver, args)


if __name__ == '__main__':
    raise SystemExit(main())
