# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""overlay: the detections drawn on the camera picture, and rviz markers.

Publishes `vision/image_annotated` (only while someone watches it) and
`vision/markers` (MarkerArray in the `table` frame: cloth outline, pockets,
balls as spheres, the cue as an arrow, track ids as text, the predicted shot
as line strips). Tracks are drawn with their id, a short trail and a velocity
arrow (where the ball will be in `arrow_seconds`), the predicted shot as lines.

The annotated stream runs at the camera's rate (up to `max_rate`): every frame
is drawn with the newest results, and its corner says how many balls the
detector last reported and how old those results are against the frame. An
earlier design drew each BallArray on the frame it came from and filled the
gaps with "fresh" results only; when the detector lagged by more than
`stale_after` the gap frames said "0 balls" over a full rack.
"""
from __future__ import annotations

import collections
import math
import time

import cv2

import numpy as np
from builtin_interfaces.msg import Duration
from geometry_msgs.msg import Point
from rclpy.node import Node
from sensor_msgs.msg import Image
from std_msgs.msg import ColorRGBA
from visualization_msgs.msg import Marker, MarkerArray

from billiards_interfaces.msg import BallArray, CueStick, ShotPrediction, Table, TrackedBall, TrackedBallArray

from billiards_vision.ros import image_bridge
from billiards_vision.ros.conversions import TYPE_NAMES, table_from_msg
from billiards_vision.ros.node_main import run_node
from billiards_vision.ros.node_params import Param, declare_parameters
from billiards_vision.web.overlay import (BallMark, NewestResults, Scene, TrackMark, ball_colour, draw,
                                          label_from_tracks, results_text)
from billiards_vision.ros.rate_gate import RateGate
from billiards_vision.ros.qos import LATCHED_QOS, NEWEST_FRAME_QOS, RESULT_QOS, SENSOR_QOS
from billiards_vision.table_geometry import BALL_RADIUS_M, apply_homography

PARAMS = [
    Param('max_rate', 30.0, 'highest rate of vision/image_annotated [Hz]; below it, the camera rate',
          range=(0.5, 120.0)),
    Param('max_width', 1280, 'annotated images wider than this are scaled down [px]; 0 keeps the size',
          range=(0, 8192)),
    Param('stale_after', 1.0, 'results older than this relative to the image are marked STALE [s]',
          range=(0.0, 10.0)),
    Param('marker_lifetime', 1.0, 'rviz markers vanish after this long without an update [s]', range=(0.0, 60.0)),
    Param('table_frame_id', 'table', 'frame of the rviz markers (the table frame of the messages)'),
    Param('trail_length', 15, 'image positions of each track drawn as its trail', range=(0, 200)),
    Param('arrow_seconds', 0.3, 'velocity arrows point where the ball will be after this long [s]',
          range=(0.0, 5.0)),
]


def _stamp(header) -> float:
    return header.stamp.sec + header.stamp.nanosec * 1e-9


def _rgba(bgr, alpha=1.0) -> ColorRGBA:
    return ColorRGBA(r=bgr[2] / 255.0, g=bgr[1] / 255.0, b=bgr[0] / 255.0, a=alpha)


class Overlay(Node):
    def __init__(self, **kwargs):
        super().__init__('overlay', **kwargs)
        self.params = declare_parameters(self, PARAMS, on_change=self._on_change)
        self.table: Table | None = None
        self.balls: BallArray | None = None
        self.cue: CueStick | None = None
        self.draw_gate = RateGate()
        self.results = NewestResults()
        self.image_pub = self.create_publisher(Image, 'vision/image_annotated', SENSOR_QOS)
        self.marker_pub = self.create_publisher(MarkerArray, 'vision/markers', RESULT_QOS)
        self.create_subscription(Image, 'camera/image_raw', self._on_image, NEWEST_FRAME_QOS)
        self.create_subscription(Table, 'table', self._on_table, LATCHED_QOS)
        self.create_subscription(BallArray, 'balls', self._on_balls, RESULT_QOS)
        self.create_subscription(CueStick, 'cue', self._on_cue, RESULT_QOS)
        self._init_tracks()

    def _on_change(self, changed):
        for p in changed:
            self.params[p.name] = p.value
        return None

    def _on_table(self, msg: Table):
        if msg.found:
            try:
                table_from_msg(msg)   # the checks the detectors make; _to_image inverts its homography
            except ValueError as exc:
                self.get_logger().warning(f'dropped a table message: {exc}', throttle_duration_sec=5.0)
                return
        self.table = msg if msg.found else None
        self._publish_markers()

    def _on_balls(self, msg: BallArray):
        if self.results.update('balls', _stamp(msg.header), msg):
            self.balls = msg
            self._publish_markers()

    def _on_cue(self, msg: CueStick):
        if self.results.update('cue', _stamp(msg.header), msg):
            self.cue = msg

    # ---- annotated image ---------------------------------------------------------
    def _on_image(self, msg: Image):
        if self.image_pub.get_subscription_count() == 0:
            return  # nobody watches: spend no CPU
        if not self.draw_gate.ready(time.monotonic(), self.params['max_rate']):
            return
        try:
            # The received message is ours: its pixels are drawn on where they lie (no copy).
            image = image_bridge.imgmsg_view(msg, 'bgr8')
        except image_bridge.CvBridgeError as exc:
            self.get_logger().warning(f'dropping image: {exc}', throttle_duration_sec=5.0)
            return
        self.image_pub.publish(self.annotated(msg, image))

    def annotated(self, msg: Image, image: np.ndarray) -> Image:
        """The outgoing message: the picture at most `max_width` wide with the scene drawn on it,
        written once - into the received message's own buffer when it is bgr8 at that size, else
        into a new buffer (the scaled copy) that the message then takes over without a copy."""
        width = self.params['max_width']
        scale = 1.0
        h, w = image.shape[:2]
        if width and w > width:
            scale = width / w
            size = (width, round(h * scale))
            data = image_bridge.new_data(size[0] * size[1] * 3)
            canvas = np.frombuffer(data, np.uint8).reshape(size[1], size[0], 3)
            # Bilinear: 1920 -> 1280 costs INTER_AREA 8 ms CPU a frame (no fast path for 1.5x),
            # bilinear about 1 ms; the marks are drawn after scaling, as sharp either way.
            cv2.resize(image, size, dst=canvas, interpolation=cv2.INTER_LINEAR)
        elif msg.encoding == 'bgr8' and np.shares_memory(image, np.frombuffer(msg.data, np.uint8)) \
                and image.flags.c_contiguous:
            data, canvas = msg.data, image
        else:  # converted (rgb8, mono8, ...) or padded rows: one copy into a new buffer
            data = image_bridge.new_data(h * w * 3)
            canvas = np.frombuffer(data, np.uint8).reshape(h, w, 3)
            canvas[...] = image
        draw(canvas, self.scene(_stamp(msg.header)).scaled(scale), in_place=True)
        out = Image(header=msg.header, height=canvas.shape[0], width=canvas.shape[1], encoding='bgr8',
                    is_bigendian=0, step=canvas.shape[1] * 3)
        image_bridge.set_data(out, data)
        return out

    def scene(self, stamp: float) -> Scene:
        """The newest results for the image stamped `stamp`, with their age in the corner."""
        scene = Scene()
        if self.table is not None:
            scene.corners = np.asarray(self.table.corners_px, np.float64).reshape(4, 2)
            scene.pockets = [(p.x_px, p.y_px, p.radius_px) for p in self.table.pockets]
        if self.balls is not None:
            scene.balls = [BallMark(b.x_px, b.y_px, b.radius_px, TYPE_NAMES.get(b.type, 'unknown'), b.number)
                           for b in self.balls.balls]
        if self.cue is not None and self.cue.found:
            scene.cue_tip = (self.cue.tip_px.x, self.cue.tip_px.y)
            scene.cue_butt = (self.cue.butt_px.x, self.cue.butt_px.y)
        scene.text = self.results_line(stamp)
        self._track_scene(scene)
        return scene

    def results_line(self, stamp: float) -> str:
        balls_stamp, balls = self.results.get('balls')
        return results_text(None if balls is None else len(balls.balls),
                            None if balls is None else stamp - balls_stamp,
                            self.params['stale_after'], self.table is not None)

    # ---- rviz markers --------------------------------------------------------------
    def _marker(self, ns: str, mid: int, kind: int, header) -> Marker:
        m = Marker(ns=ns, id=mid, type=kind, action=Marker.ADD)
        m.header.frame_id = self.params['table_frame_id']
        m.header.stamp = header.stamp
        life = self.params['marker_lifetime']
        m.lifetime = Duration(sec=int(life), nanosec=int((life % 1) * 1e9))
        m.pose.orientation.w = 1.0
        return m

    def _publish_markers(self):
        if self.marker_pub.get_subscription_count() == 0:
            return  # no rviz or recorder: building them cost the overlay CPU on every balls and tracks message
        markers = MarkerArray()
        clear = Marker(action=Marker.DELETEALL)
        clear.header.frame_id = self.params['table_frame_id']
        markers.markers.append(clear)
        if self.table is not None:
            hl, hw = self.table.length_m / 2, self.table.width_m / 2
            outline = self._marker('table', 0, Marker.LINE_STRIP, self.table.header)
            outline.scale.x = 0.01
            outline.color = _rgba((0, 255, 255))
            outline.points = [Point(x=x, y=y) for x, y in ((-hl, hw), (hl, hw), (hl, -hw), (-hl, -hw), (-hl, hw))]
            markers.markers.append(outline)
            for i, pocket in enumerate(self.table.pockets):
                m = self._marker('pockets', i, Marker.CYLINDER, self.table.header)
                m.pose.position = Point(x=pocket.position.x, y=pocket.position.y, z=0.0)
                m.scale.x = m.scale.y = 0.12
                m.scale.z = 0.005
                m.color = _rgba((255, 0, 255), 0.6)
                markers.markers.append(m)
        if self.balls is not None:
            for i, ball in enumerate(b for b in self.balls.balls if b.position_valid):
                m = self._marker('balls', i, Marker.SPHERE, self.balls.header)
                m.pose.position = Point(x=ball.position.x, y=ball.position.y, z=BALL_RADIUS_M)
                m.scale.x = m.scale.y = m.scale.z = 2 * BALL_RADIUS_M
                m.color = _rgba(ball_colour(ball.number, TYPE_NAMES.get(ball.type, 'unknown')))
                markers.markers.append(m)
        if self.cue is not None and self.cue.found and self.cue.tip_valid:
            m = self._marker('cue', 0, Marker.ARROW, self.cue.header)
            tip = self.cue.tip
            length = 0.4
            start = Point(x=tip.x - length * math.cos(self.cue.angle), y=tip.y - length * math.sin(self.cue.angle),
                          z=BALL_RADIUS_M)
            m.points = [start, Point(x=tip.x, y=tip.y, z=BALL_RADIUS_M)]
            m.scale.x, m.scale.y, m.scale.z = 0.012, 0.025, 0.03
            m.color = _rgba((0, 140, 255))
            markers.markers.append(m)
        self._track_markers(markers)
        self.marker_pub.publish(markers)

    # ---- tracks and the predicted shot (tracker) --------------------------------------
    def _init_tracks(self):
        self.tracks: TrackedBallArray | None = None
        self.prediction: ShotPrediction | None = None
        self.trails: dict = {}
        self.create_subscription(TrackedBallArray, 'tracks', self._on_tracks, RESULT_QOS)
        self.create_subscription(ShotPrediction, 'shot_prediction', self._on_prediction, RESULT_QOS)

    def _on_tracks(self, msg: TrackedBallArray):
        if not self.results.update('tracks', _stamp(msg.header), msg):
            return  # older than the tracks held
        self.tracks = msg
        alive = set()
        for t in msg.balls:
            if t.state == TrackedBall.STATE_POCKETED:
                continue
            alive.add(t.id)
            trail = self.trails.setdefault(t.id, collections.deque(maxlen=max(self.params['trail_length'], 1)))
            trail.append((t.ball.x_px, t.ball.y_px))
        for gone in set(self.trails) - alive:
            del self.trails[gone]
        self._publish_markers()

    def _on_prediction(self, msg: ShotPrediction):
        self.prediction = msg if msg.valid else None

    def _to_image(self, pts_m):
        h = np.asarray(self.table.homography, np.float64).reshape(3, 3)
        return apply_homography(np.linalg.inv(h), np.asarray(pts_m, np.float64).reshape(-1, 2))

    def _track_scene(self, scene: Scene):
        if self.tracks is not None:  # newest, as the balls; the corner text says how old
            numbers = []    # (x, y, kind, number) of the tracks on the table: the balls' labels
            for t in self.tracks.balls:
                if t.state == TrackedBall.STATE_POCKETED:
                    continue
                numbers.append((t.ball.x_px, t.ball.y_px, TYPE_NAMES.get(t.ball.type, 'unknown'), t.ball.number))
                arrow = None
                speed = math.hypot(t.velocity.x, t.velocity.y)
                if self.table is not None and speed > 0.05 and self.params['arrow_seconds'] > 0:
                    k = self.params['arrow_seconds']
                    end = self._to_image([[t.ball.position.x + k * t.velocity.x, t.ball.position.y + k * t.velocity.y]])
                    arrow = tuple(end[0])
                keep = self.params['trail_length']
                trail = list(self.trails.get(t.id, ()))[-keep:] if keep else []
                scene.tracks.append(TrackMark(t.ball.x_px, t.ball.y_px, f'#{t.id}', trail, arrow,
                                              occluded=t.state == TrackedBall.STATE_OCCLUDED))
            label_from_tracks(scene.balls, numbers)
        if self.table is not None and self.prediction is not None:
            for path in self.prediction.paths:
                if len(path.points) >= 2:
                    line = self._to_image([[p.x, p.y] for p in path.points])
                    scene.paths.append(([tuple(p) for p in line], path.pocketed))

    def _track_markers(self, markers: MarkerArray):
        if self.tracks is not None:
            for t in self.tracks.balls:
                if t.state == TrackedBall.STATE_POCKETED:
                    continue
                m = self._marker('track_ids', t.id, Marker.TEXT_VIEW_FACING, self.tracks.header)
                m.pose.position = Point(x=t.ball.position.x, y=t.ball.position.y, z=3 * BALL_RADIUS_M)
                m.scale.z = 0.04
                m.color = _rgba((80, 255, 80))
                m.text = str(t.id)
                markers.markers.append(m)
        if self.prediction is not None:
            for i, path in enumerate(self.prediction.paths):
                m = self._marker('shot_prediction', i, Marker.LINE_STRIP, self.prediction.header)
                m.points = [Point(x=p.x, y=p.y, z=BALL_RADIUS_M) for p in path.points]
                m.scale.x = 0.008
                m.color = _rgba((0, 255, 0) if path.pocketed else (255, 255, 0))
                markers.markers.append(m)


def main(args=None) -> int:
    return run_node(Overlay, args)
