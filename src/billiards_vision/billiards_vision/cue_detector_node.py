# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""cue_detector: camera/image_raw + `table` + `balls` -> `cue` (CueStick).

Each BallArray is paired with the recent image of the same stamp, so the stick
is searched with those balls masked out and `target_ball` indexes that array.
Without a ball detector (no BallArray for `balls_timeout_s`) images are
processed alone. Work happens on a worker thread, newest input only.
"""
from __future__ import annotations

import collections
import math
import threading
import time
from typing import Optional

from billiards_interfaces.msg import BallArray, CueStick, Table
from rclpy.node import Node
from sensor_msgs.msg import Image

from .ball_detector_node import balls_from_msg
from .detection.cue import detect_cue
from .detection.params import CueParams, make_params
from .node_main import run_node
from .node_params import Param, declare_parameters
from .qos import LATCHED_QOS, RESULT_QOS, SENSOR_QOS
from .table_detector_node import LatestFrameWorker, image_to_bgr, params_from_knobs, table_from_msg

NODE_PARAMS = [
    Param('balls_timeout_s', 1.0, 'without a BallArray for this long, images are processed without balls',
          range=(0.0, 60.0)),
]


def _stamp_key(header) -> tuple:
    return (header.stamp.sec, header.stamp.nanosec)


class CueDetectorNode(Node):
    def __init__(self, **kwargs):
        super().__init__('cue_detector', **kwargs)
        self.values = declare_parameters(self, params_from_knobs(CueParams) + NODE_PARAMS,
                                         on_change=self._on_change)
        self.params = make_params(CueParams, self.values)
        self._lock = threading.Lock()
        self.table = None
        self._images: collections.OrderedDict = collections.OrderedDict()
        self._last_balls = 0.0
        self.pub = self.create_publisher(CueStick, 'cue', RESULT_QOS)
        self.worker = LatestFrameWorker(self._process, self._on_error)
        self.table_sub = self.create_subscription(Table, 'table', self._on_table, LATCHED_QOS)
        self.balls_sub = self.create_subscription(BallArray, 'balls', self._on_balls, RESULT_QOS)
        self.sub = self.create_subscription(Image, 'camera/image_raw', self._on_image, SENSOR_QOS)

    def _on_change(self, changed) -> Optional[str]:
        new = dict(self.values)
        new.update({p.name: p.value for p in changed})
        with self._lock:
            self.values = new
            self.params = make_params(CueParams, new)
        return None

    def _on_table(self, msg: Table) -> None:
        with self._lock:
            self.table = table_from_msg(msg)

    def _on_image(self, msg: Image) -> None:
        with self._lock:
            self._images[_stamp_key(msg.header)] = msg
            while len(self._images) > 8:
                self._images.popitem(last=False)
            alone = time.monotonic() - self._last_balls > self.values['balls_timeout_s']
        if alone:
            self.worker.submit((msg, None))

    def _on_balls(self, msg: BallArray) -> None:
        with self._lock:
            self._last_balls = time.monotonic()
            image = self._images.get(_stamp_key(msg.header))
        if image is not None:
            self.worker.submit((image, msg))

    def _on_error(self, exc: Exception) -> None:
        self.get_logger().warning(f'dropped a frame: {exc}', throttle_duration_sec=5.0)

    def _process(self, item) -> None:
        image_msg, balls_msg = item
        image = image_to_bgr(image_msg)
        with self._lock:
            table, params = self.table, self.params
        out = CueStick()
        out.header = image_msg.header
        out.target_ball = -1
        if table is not None:
            balls = balls_from_msg(balls_msg) if balls_msg is not None else []
            cue = detect_cue(image, table, balls, params)
            if cue is not None:
                out.found = True
                out.tip_px.x, out.tip_px.y = cue.tip_px
                out.butt_px.x, out.butt_px.y = cue.butt_px
                out.tip.x, out.tip.y = cue.tip_m
                out.tip_valid = True
                out.angle = float(cue.angle_table_rad)
                out.angle_px = float(math.radians(cue.angle_deg))
                out.target_ball = int(cue.target_ball) if balls_msg is not None else -1
                out.confidence = float(cue.confidence)
        self.pub.publish(out)

    def destroy_node(self):
        self.worker.stop()
        return super().destroy_node()


def main(args=None) -> int:
    return run_node(CueDetectorNode, args)


if __name__ == '__main__':
    raise SystemExit(main())
