# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""web_video_server: MJPEG/PNG streams of any image topic for browsers.

Parameter names follow RobotWebTools' web_video_server (port, address,
default_stream_type); the HTTP side lives in billiards_vision.web.server.
One subscription per topic, shared by every client, created on the first
request and dropped when no client has wanted the topic for a while; at most
`max_topics` at once, so clients cannot make the server subscribe to anything
they like. /topics lists only topics some other node publishes.

It also follows the graph for /metrics, /health and /diagnostics: the
camera's `camera/status` and the rate and latency of the result topics.
"""
from __future__ import annotations

import asyncio
import json
import threading
import time

import numpy as np
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.node import Node
from sensor_msgs.msg import CompressedImage, Image
from std_msgs.msg import String

from billiards_interfaces.msg import BallArray, CueStick, Table, TrackedBallArray

from billiards_vision.ros import image_bridge
from billiards_vision.ros.node_main import run_node
from billiards_vision.ros.node_params import Param, declare_parameters
from billiards_vision.ros.qos import LATCHED_QOS, RESULT_QOS, qos_by_name
from billiards_vision.web.frames import Frame, FrameError, Refused, TopicFrames
from billiards_vision.web.metrics import RateMeter
from billiards_vision.web.server import ServerSettings, VideoServer

IMAGE_TYPES = {'sensor_msgs/msg/Image': Image, 'sensor_msgs/msg/CompressedImage': CompressedImage}
# Result topics whose rate and latency are reported (relative names: they follow the node's namespace).
RESULT_TOPICS = (('table', Table, LATCHED_QOS), ('balls', BallArray, RESULT_QOS), ('cue', CueStick, RESULT_QOS),
                 ('tracks', TrackedBallArray, RESULT_QOS))

PARAMS = [
    Param('port', 8080, 'TCP port of the HTTP server (0 = any free port)', range=(0, 65535), read_only=True),
    Param('address', '0.0.0.0', 'address to bind; 127.0.0.1 keeps the viewer on this machine', read_only=True),
    Param('default_stream_type', 'mjpeg', 'stream type when a request gives no `type`', choices=('mjpeg', 'png')),
    Param('quality', 80, 'JPEG quality when a request gives no `quality`', range=(1, 100)),
    Param('max_fps', 30.0, 'highest frame rate sent to one client; requests may ask for less', range=(0.1, 120.0)),
    Param('write_timeout', 10.0, 'seconds a client may take to accept a frame before it is dropped',
          range=(0.5, 120.0)),
    Param('snapshot_timeout', 2.0, 'seconds /snapshot waits for a first frame', range=(0.1, 30.0)),
    Param('default_qos_profile', 'sensor_data',
          'subscription QoS when a request gives no `qos_profile`; sensor_data matches every publisher',
          choices=('default', 'system_default', 'sensor_data')),
    Param('unsubscribe_after', 5.0, 'seconds without clients before a topic subscription is dropped',
          range=(0.0, 3600.0)),
    Param('max_clients', 20, 'concurrent stream and snapshot clients; more get 503', range=(1, 1000)),
    Param('max_topics', 8, 'image topics subscribed at once; a request for another one gets 503',
          range=(1, 100)),
    Param('diagnostics_period', 1.0, 'seconds between /diagnostics messages with the viewer and graph figures',
          range=(0.1, 60.0)),
]


def _stamp(msg) -> float:
    return msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9


def _display_image(msg: Image) -> np.ndarray:
    """Any Image encoding -> 8-bit BGR or mono for the browser."""
    if msg.encoding in ('bgr8', 'rgb8', 'bgra8', 'rgba8', '8UC3', '8UC4'):
        return image_bridge.imgmsg_to_cv2(msg, 'bgr8' if not msg.encoding.startswith('8UC') else 'passthrough')
    image = image_bridge.imgmsg_to_cv2(msg, 'passthrough')
    if image.dtype == np.uint8:
        return image
    # Depth and float images: stretch the finite range to 0..255 as web_video_server does.
    finite = image[np.isfinite(image)] if image.dtype.kind == 'f' else image.ravel()
    if finite.size == 0:
        return np.zeros(image.shape[:2], np.uint8)
    lo, hi = float(finite.min()), float(finite.max())
    scaled = (np.nan_to_num(image.astype(np.float32), nan=lo) - lo) * (255.0 / max(hi - lo, 1e-9))
    return np.clip(scaled, 0, 255).astype(np.uint8)


class WebVideoServer(Node):
    """rclpy shell around VideoServer; the HTTP loop runs on its own thread."""

    def __init__(self, **kwargs):
        super().__init__('web_video_server', **kwargs)
        values = declare_parameters(self, PARAMS, on_change=self._on_change)
        self.settings = ServerSettings(
            default_stream_type=values['default_stream_type'], quality=values['quality'],
            max_fps=values['max_fps'], write_timeout=values['write_timeout'],
            snapshot_timeout=values['snapshot_timeout'], default_qos_profile=values['default_qos_profile'],
            max_clients=values['max_clients'])
        self.unsubscribe_after = values['unsubscribe_after']
        self.max_topics = values['max_topics']
        self._camera_status: dict | None = None
        self._meters = {name: RateMeter() for name, _, _ in RESULT_TOPICS}
        for name, msg_type, qos in RESULT_TOPICS:
            self.create_subscription(msg_type, name, lambda msg, m=self._meters[name]: m.record(_stamp(msg)), qos)
        self.create_subscription(String, 'camera/status', self._on_camera_status, LATCHED_QOS)
        self._diag_pub = self.create_publisher(DiagnosticArray, '/diagnostics', RESULT_QOS)
        self._lock = threading.Lock()
        self._topics: dict[str, TopicFrames] = {}
        self._subs: dict[str, object] = {}
        # Subscriptions are destroyed on the executor's thread only: destroyed from the HTTP thread while
        # the executor builds its wait set, rclpy (Jazzy) raises InvalidHandle out of spin.
        self._doomed: list = []
        self._reaper = self.create_guard_condition(self._destroy_doomed)
        self._seq = 0
        self.server = VideoServer(self, self.settings)
        self._loop = asyncio.new_event_loop()
        self._runner = None
        started = threading.Event()
        self._error = None
        self._thread = threading.Thread(target=self._serve, args=(values['address'], values['port'], started),
                                        name='web_video_server-http', daemon=True)
        self._thread.start()
        started.wait(10.0)
        if self._error is not None:
            raise RuntimeError(f"web_video_server cannot listen on {values['address']}:{values['port']}: "
                               f'{self._error}')
        self.port = self._runner.addresses[0][1]
        host = '127.0.0.1' if values['address'] in ('0.0.0.0', '') else values['address']
        self.url = f'http://{host}:{self.port}/'
        self.get_logger().info(f'serving image topics at {self.url}')
        self.create_timer(1.0, self._drop_idle)
        self.create_timer(values['diagnostics_period'], self._publish_diagnostics)

    # ---- parameters -------------------------------------------------------------
    def _on_change(self, changed) -> None:
        for p in changed:
            if p.name == 'unsubscribe_after':
                self.unsubscribe_after = p.value
            elif p.name == 'max_topics':
                self.max_topics = p.value
            elif hasattr(self.settings, p.name):
                setattr(self.settings, p.name, p.value)
        return None

    # ---- HTTP thread --------------------------------------------------------------
    def _serve(self, address: str, port: int, started: threading.Event) -> None:
        from aiohttp import web
        asyncio.set_event_loop(self._loop)
        try:
            self._runner = web.AppRunner(self.server.app, handle_signals=False, access_log=None,
                                         shutdown_timeout=1.0)  # open MJPEG streams never end by themselves
            self._loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, address, port, reuse_address=True)
            self._loop.run_until_complete(site.start())
        except OSError as exc:
            self._error = exc
            started.set()
            self._loop.close()
            return
        started.set()
        try:
            self._loop.run_forever()
        finally:
            # Closed here, on its own thread: a loop left to the garbage collector at exit closes its
            # self-pipe after the interpreter has torn the socket down ("Invalid file descriptor: -1").
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()

    def destroy_node(self):
        if self._runner is not None and self._loop.is_running():
            future = asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop)
            try:
                future.result(timeout=5.0)
            except (TimeoutError, RuntimeError) as exc:
                self.get_logger().warning(f'HTTP server did not stop cleanly: {exc}')
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5.0)
        self.server.encoder.shutdown(wait=False, cancel_futures=True)
        return super().destroy_node()

    # ---- hub interface used by VideoServer ------------------------------------------
    def image_topics(self) -> list[tuple[str, str]]:
        """Image topics that some other node publishes (never just our own subscriptions)."""
        me = (self.get_name(), self.get_namespace())
        out = []
        for name, types in self.get_topic_names_and_types():
            kinds = [t for t in types if t in IMAGE_TYPES]
            if kinds and any((p.node_name, p.node_namespace) != me for p in self.get_publishers_info_by_topic(name)):
                out.extend((name, t) for t in kinds)
        return sorted(out)

    def acquire(self, topic: str, qos_profile: str) -> TopicFrames:
        """The shared frames of `topic` (a valid fully qualified name), subscribing on first use.

        Raises Refused: 400 for a topic that carries no images, 503 past `max_topics`."""
        with self._lock:
            frames = self._topics.get(topic)
            if frames is None:
                msg_type = self._topic_type(topic)
                self._make_room()
                if len(self._subs) >= self.max_topics:
                    raise Refused(503, f'the server already follows {len(self._subs)} topics with viewers, the '
                                       f'limit (max_topics) is {self.max_topics}; try again when viewers leave')
                frames = TopicFrames(topic)
                self._subs[topic] = self.create_subscription(
                    msg_type, topic, lambda msg, f=frames: self._on_image(f, msg), qos_by_name(qos_profile))
                self._topics[topic] = frames
                self.get_logger().info(f'subscribed to {topic} ({msg_type.__name__}, {qos_profile})')
            frames.clients += 1
        return frames

    def _make_room(self) -> None:
        """Drop lingering subscriptions without clients when the topic limit is reached (lock held)."""
        for topic, frames in sorted(self._topics.items(), key=lambda kv: kv[1].last_client_left):
            if len(self._subs) < self.max_topics:
                return
            if frames.clients == 0:
                self._unsubscribe(topic)

    def _unsubscribe(self, topic: str) -> None:
        """Forget `topic` now (lock held); its subscription goes on the executor's thread."""
        self._doomed.append(self._subs.pop(topic))
        del self._topics[topic]
        self._reaper.trigger()
        self.get_logger().info(f'unsubscribed from {topic} (no clients)')

    def _destroy_doomed(self) -> None:
        with self._lock:
            doomed, self._doomed = self._doomed, []
        for sub in doomed:
            self.destroy_subscription(sub)

    def release(self, topic: str) -> None:
        """`topic` is the one acquire() returned frames for."""
        with self._lock:
            frames = self._topics.get(topic)
            if frames is not None and frames.clients > 0:
                frames.clients -= 1
                frames.last_client_left = time.monotonic()

    def subscription_count(self) -> int:
        with self._lock:
            return len(self._subs)

    def health(self) -> dict:
        now = time.time()
        with self._lock:
            topics = {name: {'clients': f.clients, 'subscribed': name in self._subs,
                             'frames_received': f.frames_received, 'frames_sent': f.frames_sent,
                             'bytes_sent': f.bytes_sent, 'encodes': f.encodes,
                             'encode_seconds': round(f.encode_seconds, 6),
                             'last_frame_age_s': None if f.latest is None else round(now - f.latest.received, 3)}
                      for name, f in self._topics.items()}
        camera = None
        if self._camera_status is not None:
            received, status = self._camera_status
            camera = dict(status, status_age_s=round(now - received, 3))
        return {'topics': topics, 'max_topics': self.max_topics, 'camera': camera,
                'results': {name: m.snapshot(now) for name, m in self._meters.items()}}

    # ---- graph figures ----------------------------------------------------------------
    def _on_camera_status(self, msg: String) -> None:
        try:
            status = json.loads(msg.data)
        except ValueError as exc:
            self.get_logger().warning(f'camera/status is not JSON: {exc}', throttle_duration_sec=10.0)
            return
        if not isinstance(status, dict):
            self.get_logger().warning('camera/status is not a JSON object', throttle_duration_sec=10.0)
            return
        self._camera_status = (time.time(), status)

    def _publish_diagnostics(self) -> None:
        """The /health figures on /diagnostics (one status for the viewer, one per result topic)."""
        data = self.server.health_data()
        ok, warn = DiagnosticStatus.OK, DiagnosticStatus.WARN
        viewer = DiagnosticStatus(name='web_video_server: viewer', hardware_id=self.url, level=ok,
                                  message=f"{data['clients']} clients, {len(data['topics'])} topics")
        keys = ('clients', 'max_clients', 'max_topics', 'parts_sent', 'refused')
        viewer.values = [KeyValue(key=k, value=str(data[k])) for k in keys]
        for name, t in data['topics'].items():
            viewer.values += [KeyValue(key=f'{name} {k}', value=str(v)) for k, v in t.items()]
        statuses = [viewer]
        for name, r in data['results'].items():
            stale = r['messages'] == 0 or r['rate_hz'] == 0.0
            status = DiagnosticStatus(name=f'web_video_server: {name} rate', hardware_id=name,
                                      level=warn if stale and name != 'table' else ok,
                                      message=f"{r['rate_hz']:.1f} Hz, latency {r['latency_s']} s")
            status.values = [KeyValue(key=k, value=str(v)) for k, v in r.items()]
            statuses.append(status)
        array = DiagnosticArray(status=statuses)
        array.header.stamp = self.get_clock().now().to_msg()
        self._diag_pub.publish(array)

    def _topic_type(self, topic: str):
        """Message class of an image topic; nobody publishing it yet: guessed from the name (and we wait)."""
        for name, types in self.get_topic_names_and_types():
            if name == topic:
                for t in types:
                    if t in IMAGE_TYPES:
                        return IMAGE_TYPES[t]
                if types:
                    raise Refused(400, f'{topic} carries {", ".join(types)}, not sensor_msgs/Image or '
                                       'CompressedImage')
        return CompressedImage if topic.endswith('/compressed') else Image

    def _on_image(self, frames: TopicFrames, msg) -> None:
        self._seq += 1
        stamp = _stamp(msg)
        if isinstance(msg, CompressedImage):
            fmt = msg.format.lower()
            jpeg = bytes(msg.data) if ('jpeg' in fmt or 'jpg' in fmt) and 'png' not in fmt else None
            frame = Frame(self._seq, stamp, time.time(), lambda m=msg: image_bridge.compressed_imgmsg_to_cv2(m),
                          jpeg=jpeg)
        else:
            if msg.width == 0 or msg.height == 0 or msg.encoding not in image_bridge.ENCODINGS:
                self.get_logger().warning(f'dropping image on {frames.topic}: {msg.width}x{msg.height} '
                                          f'encoding {msg.encoding!r}', throttle_duration_sec=5.0)
                return
            frame = Frame(self._seq, stamp, time.time(), lambda m=msg: self._decode(m))
        frames.put(frame)

    @staticmethod
    def _decode(msg: Image) -> np.ndarray:
        try:
            return _display_image(msg)
        except image_bridge.CvBridgeError as exc:
            raise FrameError(str(exc)) from exc

    def _drop_idle(self) -> None:
        now = time.monotonic()
        with self._lock:
            for topic, frames in list(self._topics.items()):
                if frames.clients == 0 and topic in self._subs and \
                        now - frames.last_client_left >= self.unsubscribe_after:
                    self._unsubscribe(topic)


def main(args=None) -> int:
    return run_node(WebVideoServer, args)
