# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""table_detector: camera/image_raw -> `table` (latched).

A full search at start and when the picture changes (detection.TableTracker),
cheap checks in between; only the newest frame is processed, on a worker
thread, so parameter services stay responsive. The table stands still: frames
are looked at no more often than `max_check_rate` (the camera moving is seen
within 1 / max_check_rate s), the others dropped on arrival, and a frame is
read in place (no copy of its pixels).
"""
from __future__ import annotations

import time
from typing import Optional

from billiards_interfaces.msg import Table
from rclpy.time import Time
from sensor_msgs.msg import Image

from billiards_vision.detection.params import TableParams, make_params
from billiards_vision.detection.table_tracker import TableTracker
from billiards_vision.ros.conversions import table_to_msg
from billiards_vision.nodes.detector_base import DetectorNode, image_to_bgr
from billiards_vision.ros.node_main import run_node
from billiards_vision.ros.node_params import Param
from billiards_vision.ros.qos import LATCHED_QOS, NEWEST_FRAME_QOS
from billiards_vision.ros.rate_gate import RateGate
from billiards_vision.table_geometry import TableGeometry

NODE_PARAMS = [
    Param('redetect_interval_s', 10.0, 'seconds between full table searches while the picture is unchanged',
          range=(0.1, 3600.0)),
    Param('change_threshold', 0.05,
          'share of the table area whose cloth mask changed that triggers a full search (camera moved)',
          range=(0.0, 1.0)),
    Param('smoothing', 0.3, 'weight of a new search result in the corner average (1 = no smoothing)',
          range=(0.0, 1.0)),
    Param('max_check_rate', 5.0, 'frames are checked at most this often [Hz]; the others are dropped',
          range=(0.1, 1000.0)),
]


def _check_geometry(values: dict) -> Optional[str]:
    corners = values.get('manual_corners') or []
    if corners and len(corners) != 8:
        return "parameter 'manual_corners': needs 8 numbers x0,y0,..,x3,y3 or none"
    if values.get('table_size') == 'custom':
        try:
            TableGeometry(float(values['table_length_m']), float(values['table_width_m']))
        except (TypeError, ValueError) as exc:
            return f'custom table size: {exc}'
    return None


class TableDetectorNode(DetectorNode):
    def __init__(self, **kwargs):
        super().__init__('table_detector', TableParams, NODE_PARAMS, subscribe_table=False, **kwargs)
        self.pub = self.create_publisher(Table, 'table', LATCHED_QOS)
        self.check_gate = RateGate()
        self.sub = self.create_subscription(Image, 'camera/image_raw', self._on_image, NEWEST_FRAME_QOS)

    def _on_image(self, msg: Image) -> None:
        with self._lock:
            rate = self.values['max_check_rate']
        if self.check_gate.ready(time.monotonic(), rate):
            self.worker.submit(msg)

    def check_values(self, values: dict) -> Optional[str]:
        return _check_geometry(values)

    def apply_values(self, values: dict) -> None:
        # Settings changed: search again from scratch.
        self.tracker = TableTracker(make_params(TableParams, values), values['redetect_interval_s'],
                                    values['change_threshold'], values['smoothing'])

    def process(self, msg: Image) -> None:
        image = image_to_bgr(msg)
        t = Time.from_msg(msg.header.stamp).nanoseconds * 1e-9
        with self._lock:
            table, changed = self.tracker.update(image, t)
        if changed:
            self.pub.publish(table_to_msg(table, msg.header))


def main(args=None) -> int:
    return run_node(TableDetectorNode, args)


if __name__ == '__main__':
    raise SystemExit(main())
