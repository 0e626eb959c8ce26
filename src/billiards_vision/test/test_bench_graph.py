# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""bench_graph's measuring pieces: stamps read from raw CDR bytes, CPU time and child processes from /proc."""
import os
import subprocess
import sys
import time

import pytest

from billiards_interfaces.msg import BallArray
from rclpy.serialization import serialize_message
from sensor_msgs.msg import Image

from billiards_vision.tools.bench_graph import _cpu_ticks, _descendants, _stamp, parse_variant


def test_stamp_is_read_from_the_raw_message():
    for msg in (BallArray(), Image(height=2, width=2, encoding='bgr8', step=6, data=bytes(12))):
        msg.header.stamp.sec, msg.header.stamp.nanosec = 1733300000, 250_000_000
        msg.header.frame_id = 'camera'
        assert abs(_stamp(serialize_message(msg)) - 1733300000.25) < 1e-6


def test_cpu_time_and_children_of_a_process():
    child = subprocess.Popen([sys.executable, '-c', 'import time\nt = time.process_time()\n'
                              'while time.process_time() - t < 0.3: pass\ntime.sleep(30)'])
    try:
        assert child.pid in _descendants(os.getpid())
        deadline = time.monotonic() + 20
        while _cpu_ticks(child.pid) < 0.2 * os.sysconf('SC_CLK_TCK') and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _cpu_ticks(child.pid) >= 0.2 * os.sysconf('SC_CLK_TCK')
    finally:
        child.kill()
        child.wait()
    assert _cpu_ticks(child.pid) == 0


def test_variants_name_parameters_per_node_and_refuse_what_they_cannot_start():
    name, overrides = parse_variant('nice0:ball_detector.worker_niceness=0, cue_detector.worker_niceness=0')
    assert name == 'nice0'
    assert overrides == {'ball_detector': ['worker_niceness:=0'], 'cue_detector': ['worker_niceness:=0']}
    for bad in ('nice0', ':ball_detector.x=1', 'v:ball_detector.x', 'v:no_such_node.x=1', 'v:ball_detector=1'):
        with pytest.raises(ValueError):
            parse_variant(bad)
