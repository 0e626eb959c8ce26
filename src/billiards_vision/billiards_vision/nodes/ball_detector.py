# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""ball_detector: camera/image_raw + `table` -> `balls` (BallArray).

Only the newest frame is processed, on a worker thread. Between full searches
only the parts of the table that changed are searched again
(detection.incremental); `full_search_every_frame` turns that off for
comparison. `balls/image_annotated` (bgr8) is drawn and published only while
someone subscribes to it.
"""
from __future__ import annotations

import time

from billiards_interfaces.msg import BallArray
from sensor_msgs.msg import Image

from billiards_vision.ros import image_bridge
from rclpy.time import Time

from billiards_vision.detection.incremental import IncrementalBallDetector, IncrementalParams
from billiards_vision.detection.params import BallParams
from billiards_vision.detection.pipeline import Detections, annotate
from billiards_vision.ros.conversions import balls_to_msg
from billiards_vision.nodes.detector_base import DetectorNode, image_to_bgr
from billiards_vision.ros.node_main import run_node
from billiards_vision.ros.node_params import Param
from billiards_vision.ros.qos import RESULT_QOS, SENSOR_QOS

NODE_PARAMS = [
    Param('full_search_every_frame', False, 'search the whole table on every frame (no incremental detection; '
          'for comparison)'),
    Param('full_search_interval_s', 5.0, 'seconds of frame time between scheduled full searches',
          range=(0.1, 3600.0)),
    Param('full_search_frames', 6, 'frames a scheduled full search is spread over, one band of the table a frame '
          '(1 = the whole table in one frame)', range=(1, 100)),
    Param('full_search_change', 0.3, 'share of the table whose picture changed that triggers a full search',
          range=(0.0, 1.0)),
    Param('change_threshold', 12.0, 'a part of the table changed when a colour channel of its shrunk picture '
          'moved more than this (0..255)', range=(1.0, 255.0)),
    Param('tile_balls', 2.0, 'side of the tiles searched again where the picture changed [ball diameters]',
          range=(0.5, 20.0)),
    Param('crop_cost_px', 40000.0, 'fixed cost of searching one more crop, in pixels searched: two changed areas '
          'are searched as one crop when it is no larger than the two apart plus this', range=(0.0, 1e7)),
    Param('sweep_frames', 60, 'frames in which the whole table is searched again slice by slice without '
          'change (0 = no sweep)', range=(0, 100000)),
]


class BallDetectorNode(DetectorNode):
    def __init__(self, **kwargs):
        self._stats = {'frames': 0, 'full': 0, 'searched': 0.0, 'since': time.monotonic()}
        super().__init__('ball_detector', BallParams, NODE_PARAMS, **kwargs)
        self.pub = self.create_publisher(BallArray, 'balls', RESULT_QOS)
        self.annotated_pub = self.create_publisher(Image, 'balls/image_annotated', SENSOR_QOS)
        self.sub = self.create_subscription(Image, 'camera/image_raw', self.worker.submit, SENSOR_QOS)

    def apply_values(self, values: dict) -> None:
        # Settings changed: the kept balls were found with the old ones, so start with a full search.
        super().apply_values(values)
        self.detector = IncrementalBallDetector(
            self.params, IncrementalParams.from_mapping(values),
            force_full=bool(values['full_search_every_frame']))

    def _count(self, last: dict) -> None:
        # What incremental detection saves, in the log every 30 s: frames, full searches, share searched.
        n = self._stats
        n['frames'] += 1
        n['full'] += last.get('mode') == 'full'
        n['searched'] += last.get('searched', 1.0)
        now = time.monotonic()
        if now - n['since'] >= 30.0:
            self.get_logger().info(f"{n['frames']} frames in {now - n['since']:.0f} s, {n['full']} full searches, "
                                   f"{100.0 * n['searched'] / max(1, n['frames']):.0f} % of the table searched a frame")
            self._stats = {'frames': 0, 'full': 0, 'searched': 0.0, 'since': now}

    def process(self, msg: Image) -> None:
        image = image_to_bgr(msg)   # a view of the message's buffer (the detector only reads it)
        with self._lock:
            table, detector = self.table, self.detector
        if table is None:
            self.get_logger().info('waiting for the table', throttle_duration_sec=10.0)
            balls = []
        else:
            balls = detector.detect(image, table, Time.from_msg(msg.header.stamp).nanoseconds * 1e-9)
            self._count(detector.last)
        self.pub.publish(balls_to_msg(balls, msg.header))
        if self.annotated_pub.get_subscription_count() > 0:
            out = image_bridge.cv2_to_imgmsg(annotate(image, Detections(table, balls)), 'bgr8', msg.header)
            self.annotated_pub.publish(out)


def main(args=None) -> int:
    return run_node(BallDetectorNode, args)


if __name__ == '__main__':
    raise SystemExit(main())
