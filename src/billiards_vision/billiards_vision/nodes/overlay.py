# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""overlay: the detections drawn on the camera picture, and rviz markers.

Publishes `vision/image_annotated` (only while someone watches it) and
`vision/markers` (MarkerArray in the `table` frame: cloth outline, pockets,
balls as spheres, the cue as an arrow).

The annotated stream runs at the camera's rate (up to `max_rate`): every frame
is drawn with the newest results, and its corner says how many balls the
detector last reported and how old those results are against the frame. An
earlier design drew each BallArray on the frame it came from and filled the
gaps with "fresh" results only; when the detector lagged by more than
`stale_after` the gap frames said "0 balls" over a full rack.
"""
from __future__ import annotations

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

from billiards_interfaces.msg import BallArray, CueStick, Table

from billiards_vision.ros import image_bridge
from billiards_vision.ros.node_main import run_node
from billiards_vision.ros.node_params import Param, declare_parameters
from billiards_vision.web.overlay import BallMark, NewestResults, Scene, ball_colour, draw, results_text
from billiards_vision.ros.qos import LATCHED_QOS, RESULT_QOS, SENSOR_QOS
from billiards_vision.table_geometry import BALL_RADIUS_M, BALL_TYPES

PARAMS = [
    Param('max_rate', 30.0, 'highest rate of vision/image_annotated [Hz]; below it, the camera rate',
          range=(0.5, 120.0)),
    Param('max_width', 1280, 'annotated images wider than this are scaled down [px]; 0 keeps the size',
          range=(0, 8192)),
    Param('stale_after', 1.0, 'results older than this relative to the image are marked STALE [s]',
          range=(0.0, 10.0)),
    Param('marker_lifetime', 1.0, 'rviz markers vanish after this long without an update [s]', range=(0.0, 60.0)),
    Param('table_frame_id', 'table', 'frame of the rviz markers (the table frame of the messages)'),
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
        self.last_drawn = 0.0
        self.results = NewestResults()
        self.image_pub = self.create_publisher(Image, 'vision/image_annotated', SENSOR_QOS)
        self.marker_pub = self.create_publisher(MarkerArray, 'vision/markers', RESULT_QOS)
        self.create_subscription(Image, 'camera/image_raw', self._on_image, SENSOR_QOS)
        self.create_subscription(Table, 'table', self._on_table, LATCHED_QOS)
        self.create_subscription(BallArray, 'balls', self._on_balls, RESULT_QOS)
        self.create_subscription(CueStick, 'cue', self._on_cue, RESULT_QOS)

    def _on_change(self, changed):
        for p in changed:
            self.params[p.name] = p.value
        return None

    def _on_table(self, msg: Table):
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
        now = time.monotonic()
        if now - self.last_drawn < 1.0 / self.params['max_rate']:
            return
        try:
            image = image_bridge.imgmsg_to_cv2(msg, 'bgr8')
        except image_bridge.CvBridgeError as exc:
            self.get_logger().warning(f'dropping image: {exc}', throttle_duration_sec=5.0)
            return
        width = self.params['max_width']
        scale = 1.0
        if width and image.shape[1] > width:
            scale = width / image.shape[1]
            image = cv2.resize(image, (width, round(image.shape[0] * scale)), interpolation=cv2.INTER_AREA)
        self.last_drawn = now
        out = draw(image, self.scene(_stamp(msg.header)).scaled(scale))
        self.image_pub.publish(image_bridge.cv2_to_imgmsg(out, 'bgr8', header=msg.header))

    def scene(self, stamp: float) -> Scene:
        """The newest results for the image stamped `stamp`, with their age in the corner."""
        scene = Scene()
        if self.table is not None:
            scene.corners = np.asarray(self.table.corners_px, np.float64).reshape(4, 2)
            scene.pockets = [(p.x_px, p.y_px, p.radius_px) for p in self.table.pockets]
        if self.balls is not None:
            scene.balls = [BallMark(b.x_px, b.y_px, b.radius_px, BALL_TYPES[b.type] if b.type < len(BALL_TYPES)
                                    else 'unknown', b.number) for b in self.balls.balls]
        if self.cue is not None and self.cue.found:
            scene.cue_tip = (self.cue.tip_px.x, self.cue.tip_px.y)
            scene.cue_butt = (self.cue.butt_px.x, self.cue.butt_px.y)
        scene.text = self.results_line(stamp)
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
                kind = BALL_TYPES[ball.type] if ball.type < len(BALL_TYPES) else 'unknown'
                m.color = _rgba(ball_colour(ball.number, kind))
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
        self.marker_pub.publish(markers)


def main(args=None) -> int:
    return run_node(Overlay, args)
