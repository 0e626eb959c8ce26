# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""table_detector: camera/image_raw -> `table` (latched).

A full search at start and when the picture changes (detection.TableTracker),
cheap checks in between; only the newest frame is processed, on a worker
thread, so parameter services stay responsive. Also holds the message
conversions and the worker shared by the ball and cue detector nodes.
"""
from __future__ import annotations

import threading
from typing import Callable, Optional

import cv2
import numpy as np
from billiards_interfaces.msg import Pocket, Table
from rclpy.node import Node
from rclpy.time import Time
from sensor_msgs.msg import Image

from . import image_bridge
from .detection.colors import ClothModel
from .detection.params import TableParams, knobs, make_params
from .detection.table import TableDetection, table_from_corners
from .detection.table_tracker import TableTracker
from .node_main import run_node
from .node_params import Param, declare_parameters
from .qos import LATCHED_QOS, SENSOR_QOS
from .table_geometry import POCKET_CORNER, TableGeometry, apply_homography


def params_from_knobs(cls, read_only: tuple = ()) -> list[Param]:
    """node_params.Param entries for every field of a detector params dataclass."""
    out = []
    for name, default, meta in knobs(cls):
        # An empty list has no ROS type of its own: list knobs take any array type.
        out.append(Param(name, default, meta['description'], range=meta.get('range'), choices=meta.get('choices'),
                         read_only=name in read_only, dynamic_typing=isinstance(default, list),
                         check=_number_list if isinstance(default, list) else None))
    return out


def _number_list(value) -> Optional[str]:
    # An empty YAML list arrives as "not set" (None) or an empty array of any type.
    if value is None or (isinstance(value, (str, bytes)) and len(value) == 0):
        return None
    try:
        [float(v) for v in value]
    except (TypeError, ValueError):
        return 'expected a list of numbers'
    return None


class LatestFrameWorker:
    """Runs `process(item)` on a thread for the newest submitted item; older ones are dropped."""

    def __init__(self, process: Callable, on_error: Callable[[Exception], None]):
        self._process = process
        self._on_error = on_error
        self._cond = threading.Condition()
        self._item = None
        self._stopped = False
        self.busy = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def submit(self, item) -> None:
        with self._cond:
            self._item = item
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._item is None and not self._stopped:
                    self._cond.wait()
                if self._stopped:
                    return
                item, self._item = self._item, None
                self.busy = True
            try:
                self._process(item)
            except Exception as exc:  # a bad frame must not kill the node; it is reported
                self._on_error(exc)
            finally:
                self.busy = False

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()
        self._thread.join(timeout=5.0)


def image_to_bgr(msg: Image) -> np.ndarray:
    """bgr8 (or any 8-bit colour/mono encoding) Image -> BGR array; raises on malformed data."""
    image = image_bridge.imgmsg_to_cv2(msg, 'bgr8')
    if image.ndim != 3 or image.shape[2] != 3 or image.shape[0] < 16 or image.shape[1] < 16:
        raise ValueError(f'unusable image {image.shape}')
    return image


def table_to_msg(table: Optional[TableDetection], header) -> Table:
    msg = Table()
    msg.header = header
    if table is None:
        msg.found = False
        return msg
    msg.found = True
    msg.corners_px = [float(v) for v in table.corners_px.ravel()]
    pockets_m = table.to_table(table.pockets_px)
    for (x, y), r, kind, (mx, my) in zip(table.pockets_px, table.pocket_radii_px, table.pocket_kinds, pockets_m):
        p = Pocket()
        p.kind = Pocket.KIND_CORNER if kind == POCKET_CORNER else Pocket.KIND_SIDE
        p.x_px, p.y_px, p.radius_px = float(x), float(y), float(r)
        p.position.x, p.position.y = float(mx), float(my)
        msg.pockets.append(p)
    msg.homography = [float(v) for v in table.homography.ravel()]
    msg.length_m, msg.width_m = float(table.geometry.length), float(table.geometry.width)
    if table.cloth is not None:
        msg.cloth_bgr = [int(np.clip(v, 0, 255)) for v in table.cloth.bgr]
    msg.manual = bool(table.manual)
    msg.confidence = float(table.confidence)
    return msg


def table_from_msg(msg: Table) -> Optional[TableDetection]:
    """The detector-side table of a Table message (None when not found)."""
    if not msg.found:
        return None
    corners = np.array(msg.corners_px, dtype=np.float64).reshape(4, 2)
    h = np.array(msg.homography, dtype=np.float64).reshape(3, 3)
    m = apply_homography(h, corners)
    horizontal = bool(abs(m[1, 0] - m[0, 0]) >= abs(m[1, 1] - m[0, 1]))
    bgr = np.uint8([[list(msg.cloth_bgr)]])
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)[0, 0]
    cloth = ClothModel(float(hsv[0]), float(hsv[1]), float(hsv[2]), tuple(int(v) for v in msg.cloth_bgr)) \
        if any(msg.cloth_bgr) else None
    params = TableParams(table_size='custom', table_length_m=float(msg.length_m), table_width_m=float(msg.width_m))
    table = table_from_corners(corners, params, manual=msg.manual, cloth=cloth, horizontal=horizontal)
    table.confidence = float(msg.confidence)
    return table


NODE_PARAMS = [
    Param('redetect_interval_s', 10.0, 'seconds between full table searches while the picture is unchanged',
          range=(0.1, 3600.0)),
    Param('change_threshold', 0.05,
          'share of the table area whose cloth mask changed that triggers a full search (camera moved)',
          range=(0.0, 1.0)),
    Param('smoothing', 0.3, 'weight of a new search result in the corner average (1 = no smoothing)',
          range=(0.0, 1.0)),
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


class TableDetectorNode(Node):
    def __init__(self, **kwargs):
        super().__init__('table_detector', **kwargs)
        specs = params_from_knobs(TableParams) + NODE_PARAMS
        self.values = declare_parameters(self, specs, on_change=self._on_change)
        reason = _check_geometry(self.values)
        if reason:
            raise ValueError(reason)
        self._lock = threading.Lock()
        self._make_tracker()
        self.pub = self.create_publisher(Table, 'table', LATCHED_QOS)
        self.worker = LatestFrameWorker(self._process, self._on_error)
        self.sub = self.create_subscription(Image, 'camera/image_raw', self._on_image, SENSOR_QOS)

    def _make_tracker(self) -> None:
        v = self.values
        self.tracker = TableTracker(make_params(TableParams, v), v['redetect_interval_s'], v['change_threshold'],
                                    v['smoothing'])

    def _on_change(self, changed) -> Optional[str]:
        new = dict(self.values)
        new.update({p.name: p.value for p in changed})
        reason = _check_geometry(new)
        if reason:
            return reason
        with self._lock:
            self.values = new
            self._make_tracker()  # settings changed: search again from scratch
        return None

    def _on_image(self, msg: Image) -> None:
        self.worker.submit(msg)

    def _on_error(self, exc: Exception) -> None:
        self.get_logger().warning(f'dropped a frame: {exc}', throttle_duration_sec=5.0)

    def _process(self, msg: Image) -> None:
        image = image_to_bgr(msg)
        t = Time.from_msg(msg.header.stamp).nanoseconds * 1e-9
        with self._lock:
            table, changed = self.tracker.update(image, t)
        if changed:
            self.pub.publish(table_to_msg(table, msg.header))

    def destroy_node(self):
        self.worker.stop()
        return super().destroy_node()


def main(args=None) -> int:
    return run_node(TableDetectorNode, args)


if __name__ == '__main__':
    raise SystemExit(main())
