# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""What the table, ball and cue detector nodes share: their knobs as declared
parameters, a newest-frame worker thread and the latched table subscription."""
from __future__ import annotations

import os
import threading
import time
from typing import Callable, Optional

import numpy as np
from billiards_interfaces.msg import Table
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.node import Node
from sensor_msgs.msg import Image

from billiards_vision.ros import image_bridge
from billiards_vision.detection.params import knobs, make_params
from billiards_vision.ros.conversions import table_from_msg
from billiards_vision.ros.node_params import Param, declare_parameters
from billiards_vision.ros.qos import LATCHED_QOS, RESULT_QOS
from billiards_vision.ros.work_stats import WorkStats


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


WORKER_NICENESS = Param('worker_niceness', 5, 'the detection thread runs this much nicer than the rest (0..19): '
                        'with every core busy, capture and publishing go first', range=(0, 19), read_only=True)
DIAGNOSTICS_PERIOD = Param('diagnostics_period_s', 2.0, 'seconds between /diagnostics messages with the rate, '
                           'frame age, work time and skipped frames of the detection', range=(0.1, 3600.0),
                           read_only=True)


class LatestFrameWorker:
    """Runs `process(item)` on a thread for the newest submitted item; older ones are dropped.

    `niceness` lowers the priority of that thread only (on Linux the nice value is
    per thread), so the node's callbacks and other processes keep theirs.
    """

    def __init__(self, process: Callable, on_error: Callable[[Exception], None], niceness: int = 0):
        self._process = process
        self._on_error = on_error
        self._niceness = int(niceness)
        self._cond = threading.Condition()
        self._item = None
        self._stopped = False
        self.busy = False
        self.replaced = 0    # items dropped because a newer one came before the thread took them
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def submit(self, item) -> None:
        with self._cond:
            self.replaced += self._item is not None
            self._item = item
            self._cond.notify()

    def _run(self) -> None:
        if self._niceness > 0:
            os.nice(self._niceness)
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
    """bgr8 (or any 8-bit colour/mono encoding) Image -> BGR array; raises on malformed data.
    A bgr8 message is not copied: the array is a view of msg.data (the detectors only read it)."""
    image = image_bridge.imgmsg_view(msg, 'bgr8')
    if image.ndim != 3 or image.shape[2] != 3 or image.shape[0] < 16 or image.shape[1] < 16:
        raise ValueError(f'unusable image {image.shape}')
    return image


class DetectorNode(Node):
    """Base of the detector nodes. Subclasses define `process(item)`, run on the worker
    thread for the newest submitted item, and may override `check_values` (cross-parameter
    checks, returns a reason) and `apply_values` (called under the lock after a change)."""

    def __init__(self, name: str, params_cls, extra_params=(), subscribe_table: bool = True, **kwargs):
        super().__init__(name, **kwargs)
        self.params_cls = params_cls
        self.values = declare_parameters(self, params_from_knobs(params_cls) + list(extra_params)
                                         + [WORKER_NICENESS, DIAGNOSTICS_PERIOD], on_change=self._on_change)
        reason = self.check_values(self.values)
        if reason:
            raise ValueError(reason)
        self._lock = threading.Lock()
        self.table = None
        self.apply_values(self.values)
        self.work_stats = WorkStats()
        self.worker = LatestFrameWorker(self._timed_process, self._on_error, self.values['worker_niceness'])
        if subscribe_table:
            self.table_sub = self.create_subscription(Table, 'table', self._on_table, LATCHED_QOS)
        self.diag_pub = self.create_publisher(DiagnosticArray, '/diagnostics', RESULT_QOS)
        self.create_timer(self.values['diagnostics_period_s'], self.publish_diagnostics)

    def check_values(self, values: dict) -> Optional[str]:
        return None

    def item_stamp(self, item) -> Optional[float]:
        """Capture stamp [s] of a worker item (an Image by default)."""
        stamp = item.header.stamp
        return stamp.sec + 1e-9 * stamp.nanosec

    def _timed_process(self, item) -> None:
        start, cpu = time.time(), time.thread_time()
        self.process(item)
        self.work_stats.record(self.item_stamp(item), start, time.time(), time.thread_time() - cpu)

    def diagnostics(self) -> DiagnosticStatus:
        """The work figures of the last few seconds as a DiagnosticStatus (WARN when no frame was processed)."""
        s = self.work_stats.summary()
        name = self.get_name()
        idle = s['rate_hz'] <= 0.0

        def ms(key):
            return f'{s[key][0]:.1f} / {s[key][1]:.1f}'
        status = DiagnosticStatus(name=name, hardware_id=name,
                                  level=DiagnosticStatus.WARN if idle else DiagnosticStatus.OK,
                                  message=f'no frame processed for {self.work_stats.window_s:.0f} s' if idle else
                                  f"{s['rate_hz']:.1f} Hz, work {s['work_ms'][0]:.0f} ms, "
                                  f"capture->result {s['latency_ms'][0]:.0f} ms (p50)")
        status.values = [KeyValue(key='rate_hz', value=f"{s['rate_hz']:.2f}"),
                         KeyValue(key='processed', value=str(s['processed'])),
                         KeyValue(key='skipped', value=str(self.worker.replaced)),
                         KeyValue(key='errors', value=str(s['errors'])),
                         KeyValue(key='input_age_ms_p50_p95', value=ms('input_age_ms')),
                         KeyValue(key='work_ms_p50_p95', value=ms('work_ms')),
                         KeyValue(key='work_cpu_ms_p50_p95', value=ms('work_cpu_ms')),
                         KeyValue(key='latency_ms_p50_p95', value=ms('latency_ms'))]
        return status

    def publish_diagnostics(self) -> None:
        array = DiagnosticArray(status=[self.diagnostics()])
        array.header.stamp = self.get_clock().now().to_msg()
        self.diag_pub.publish(array)

    def apply_values(self, values: dict) -> None:
        self.params = make_params(self.params_cls, values)

    def _on_change(self, changed) -> Optional[str]:
        new = dict(self.values)
        new.update({p.name: p.value for p in changed})
        reason = self.check_values(new)
        if reason:
            return reason
        with self._lock:
            self.values = new
            self.apply_values(new)
        return None

    def _on_table(self, msg: Table) -> None:
        try:
            table = table_from_msg(msg)
        except ValueError as exc:   # numpy's LinAlgError included: keep the table held
            self.get_logger().warning(f'dropped a table message: {exc}', throttle_duration_sec=5.0)
            return
        with self._lock:
            self.table = table

    def _on_error(self, exc: Exception) -> None:
        self.work_stats.errors += 1
        if not self.context.ok():
            return  # shutting down: the frame in flight cannot be published any more
        self.get_logger().warning(f'dropped a frame: {exc}', throttle_duration_sec=5.0)

    def destroy_node(self):
        self.worker.stop()
        return super().destroy_node()
