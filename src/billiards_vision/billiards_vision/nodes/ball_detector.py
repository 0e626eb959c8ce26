# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""ball_detector: camera/image_raw + `table` -> `balls` (BallArray).

Only the newest frame is processed, on a worker thread. `balls/image_annotated`
(bgr8) is drawn and published only while someone subscribes to it.
"""
from __future__ import annotations

from billiards_interfaces.msg import BallArray
from sensor_msgs.msg import Image

from billiards_vision.ros import image_bridge
from billiards_vision.detection.balls import detect_balls
from billiards_vision.detection.params import BallParams
from billiards_vision.detection.pipeline import Detections, annotate
from billiards_vision.ros.conversions import balls_to_msg
from billiards_vision.nodes.detector_base import DetectorNode, image_to_bgr
from billiards_vision.ros.node_main import run_node
from billiards_vision.ros.qos import RESULT_QOS, SENSOR_QOS


class BallDetectorNode(DetectorNode):
    def __init__(self, **kwargs):
        super().__init__('ball_detector', BallParams, **kwargs)
        self.pub = self.create_publisher(BallArray, 'balls', RESULT_QOS)
        self.annotated_pub = self.create_publisher(Image, 'balls/image_annotated', SENSOR_QOS)
        self.sub = self.create_subscription(Image, 'camera/image_raw', self.worker.submit, SENSOR_QOS)

    def process(self, msg: Image) -> None:
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


def main(args=None) -> int:
    return run_node(BallDetectorNode, args)


if __name__ == '__main__':
    raise SystemExit(main())
