# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""cue_detector: camera/image_raw + `table` + `balls` -> `cue` (CueStick).

Each BallArray is paired with the recent image of the same stamp (or, when the
ball detector lags more than the kept frames, the newest one), so the stick is
searched with those balls masked out and `target_ball` indexes that array.
Without a ball detector (no BallArray for `balls_timeout_s`) images are
processed alone. Work happens on a worker thread, newest input only, on a
copy at most `work_width_px` wide (the stick's angle needs no more). With
`incremental` (default) the stick is searched again only when the picture
could hold a different one (detection.cue_incremental): not when nothing
changed; without a stick last time only after a change along the table's edge
(where a stick enters); with one, in a window round its line; the whole table
at least every `full_search_frames` frames.
"""
from __future__ import annotations

import collections
import math
import time

from billiards_interfaces.msg import BallArray, CueStick
from sensor_msgs.msg import Image

from billiards_vision.detection.cue_incremental import IncrementalCueDetector, IncrementalCueParams
from billiards_vision.detection.downscale import detect_cue_at_width
from billiards_vision.detection.params import CueParams
from billiards_vision.ros.conversions import balls_from_msg
from billiards_vision.nodes.detector_base import DetectorNode, image_to_bgr
from billiards_vision.ros.node_main import run_node
from billiards_vision.ros.node_params import Param
from billiards_vision.ros.qos import RESULT_QOS, SENSOR_QOS

NODE_PARAMS = [
    Param('balls_timeout_s', 1.0, 'without a BallArray for this long, images are processed without balls',
          range=(0.0, 60.0)),
    Param('work_width_px', 1280, 'the stick is searched on a copy of the image at most this wide [px]; 0 = full size',
          range=(0, 8192)),
    Param('incremental', True, 'search again only when the picture changed where a stick could be; false = '
          'search every frame'),
    Param('full_search_frames', 10, 'with incremental: a search at least every this many frames',
          range=(1, 1000)),
]


def _stamp_key(header) -> tuple:
    return (header.stamp.sec, header.stamp.nanosec)


class CueDetectorNode(DetectorNode):
    def __init__(self, **kwargs):
        self._images: collections.OrderedDict = collections.OrderedDict()
        self._last_balls = 0.0
        super().__init__('cue_detector', CueParams, NODE_PARAMS, **kwargs)
        self.pub = self.create_publisher(CueStick, 'cue', RESULT_QOS)
        self.balls_sub = self.create_subscription(BallArray, 'balls', self._on_balls, RESULT_QOS)
        self.sub = self.create_subscription(Image, 'camera/image_raw', self._on_image, SENSOR_QOS)

    def apply_values(self, values: dict) -> None:
        super().apply_values(values)
        self.incremental = IncrementalCueDetector(self.params, IncrementalCueParams(
            full_search_frames=int(values['full_search_frames'])), values['work_width_px']) \
            if values['incremental'] else None

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
            if image is None and self._images:
                # The ball detector lags more than the kept frames: pair with the newest
                # frame rather than never looking for the stick (balls move little meanwhile).
                image = next(reversed(self._images.values()))
        if image is not None:
            self.worker.submit((image, msg))

    def item_stamp(self, item):
        return super().item_stamp(item[0])

    def process(self, item) -> None:
        image_msg, balls_msg = item
        image = image_to_bgr(image_msg)
        with self._lock:
            table, params, width, incremental = self.table, self.params, self.values['work_width_px'], \
                self.incremental
        out = CueStick()
        out.header = image_msg.header
        out.target_ball = -1
        if incremental is not None:
            balls = balls_from_msg(balls_msg) if balls_msg is not None and table is not None else []
            cue = incremental.detect(image, table, balls)
        elif table is not None:
            balls = balls_from_msg(balls_msg) if balls_msg is not None else []
            cue = detect_cue_at_width(image, table, balls, params, width)
        else:
            cue = None
        if table is not None:
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


def main(args=None) -> int:
    return run_node(CueDetectorNode, args)


if __name__ == '__main__':
    raise SystemExit(main())
