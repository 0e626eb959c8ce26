# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""ball_detector: camera/image_raw + `table` -> `balls` (BallArray).

Only the newest frame is processed, on a worker thread. `balls/image_annotated`
(bgr8) is drawn and published only while someone subscribes to it.
"""
from __future__ import annotations

import threading
from typing import Optional

from billiards_interfaces.msg import Ball, BallArray, Table
from rclpy.node import Node
from sensor_msgs.msg import Image

from . import image_bridge
from .detection.balls import BallDetection, detect_balls
from .detection.params import BallParams, make_params
from .detection.pipeline import Detections, annotate
from .node_main import run_node
from .node_params import declare_parameters
from .qos import LATCHED_QOS, RESULT_QOS, SENSOR_QOS
from .table_detector_node import LatestFrameWorker, image_to_bgr, params_from_knobs, table_from_msg
from .table_geometry import BALL_RADIUS_M

TYPE_CODES = {'unknown': Ball.TYPE_UNKNOWN, 'cue': Ball.TYPE_CUE, 'eight': Ball.TYPE_EIGHT,
              'solid': Ball.TYPE_SOLID, 'stripe': Ball.TYPE_STRIPE}
TYPE_NAMES = {v: k for k, v in TYPE_CODES.items()}


def balls_to_msg(balls: list[BallDetection], header) -> BallArray:
    out = BallArray()
    out.header = header
    for b in balls:
        m = Ball()
        m.x_px, m.y_px, m.radius_px = float(b.x), float(b.y), float(b.radius)
        if b.position_m is not None:
            m.position.x, m.position.y, m.position.z = float(b.position_m[0]), float(b.position_m[1]), BALL_RADIUS_M
            m.position_valid = True
        m.type = TYPE_CODES.get(b.type, Ball.TYPE_UNKNOWN)
        m.number = int(b.number) if b.number is not None else -1
        m.type_confidence = float(b.type_confidence)
        m.confidence = float(b.confidence)
        out.balls.append(m)
    return out


def balls_from_msg(msg: BallArray) -> list[BallDetection]:
    return [BallDetection(float(b.x_px), float(b.y_px), float(b.radius_px), float(b.confidence),
                          TYPE_NAMES.get(b.type, 'unknown'), int(b.number) if b.number >= 0 else None,
                          float(b.type_confidence)) for b in msg.balls]


class BallDetectorNode(Node):
    def __init__(self, **kwargs):
        super().__init__('ball_detector', **kwargs)
        self.values = declare_parameters(self, params_from_knobs(BallParams), on_change=self._on_change)
        self.params = make_params(BallParams, self.values)
        self._lock = threading.Lock()
        self.table = None
        self.pub = self.create_publisher(BallArray, 'balls', RESULT_QOS)
        self.annotated_pub = self.create_publisher(Image, 'balls/image_annotated', SENSOR_QOS)
        self.worker = LatestFrameWorker(self._process, self._on_error)
        self.table_sub = self.create_subscription(Table, 'table', self._on_table, LATCHED_QOS)
        self.sub = self.create_subscription(Image, 'camera/image_raw', self._on_image, SENSOR_QOS)

    def _on_change(self, changed) -> Optional[str]:
        new = dict(self.values)
        new.update({p.name: p.value for p in changed})
        with self._lock:
            self.values = new
            self.params = make_params(BallParams, new)
        return None

    def _on_table(self, msg: Table) -> None:
        with self._lock:
            self.table = table_from_msg(msg)

    def _on_image(self, msg: Image) -> None:
        self.worker.submit(msg)

    def _on_error(self, exc: Exception) -> None:
        self.get_logger().warning(f'dropped a frame: {exc}', throttle_duration_sec=5.0)

    def _process(self, msg: Image) -> None:
        image = image_to_bgr(msg)
        with self._lock:
            table, params = self.table, self.params
        if table is None:
            self.get_logger().info('waiting for the table', throttle_duration_sec=10.0)
            balls = []
        else:
            balls = detect_balls(image, table, params)
        self.pub.publish(balls_to_msg(balls, msg.header))
        if self.annotated_pub.get_subscription_count() > 0:
            out = image_bridge.cv2_to_imgmsg(annotate(image, Detections(table, balls)), 'bgr8', msg.header)
            self.annotated_pub.publish(out)

    def destroy_node(self):
        self.worker.stop()
        return super().destroy_node()


def main(args=None) -> int:
    return run_node(BallDetectorNode, args)


if __name__ == '__main__':
    raise SystemExit(main())
