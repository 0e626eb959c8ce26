# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""topic_rates: rate and capture→arrival latency of the graph's topics, measured from another process.

  topic_rates --seconds 15                  # while `make run` or `ros2 launch` runs
  topic_rates --seconds 15 --json --topics /camera/image_raw /balls

Latency is arrival time (this machine's clock) minus header.stamp, which the
camera driver sets at capture and every result copies from its image. Each
topic is counted from its first message on, so discovery time does not lower
the rate. The camera is measured by default on /camera/camera_info, sent with
every frame and the same stamp: a fourth subscriber of the raw pictures (ball,
cue and table detectors, overlay) would cost the graph the CPU of taking each
frame (7 % of a core at 720p) while it is being measured; /camera/image_raw
can still be asked for. Subscribing to /vision/image_annotated makes the
overlay draw it, as a browser does. `--diagnostics` also prints the last /diagnostics status of
each node (the detectors' frame age, work time and skipped frames say where a
slow topic loses its time).
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.executors import SingleThreadedExecutor
from sensor_msgs.msg import CameraInfo, Image

from billiards_interfaces.msg import BallArray, CueStick, ShotPrediction, Table, TrackedBallArray
from billiards_vision.ros.malloc import keep_image_buffers
from billiards_vision.ros.qos import LATCHED_QOS, RESULT_QOS, SENSOR_QOS

TOPICS = {
    '/camera/camera_info': (CameraInfo, SENSOR_QOS),
    '/camera/image_raw': (Image, SENSOR_QOS),
    '/balls': (BallArray, RESULT_QOS),
    '/cue': (CueStick, RESULT_QOS),
    '/tracks': (TrackedBallArray, RESULT_QOS),
    '/shot_prediction': (ShotPrediction, RESULT_QOS),
    '/table': (Table, LATCHED_QOS),  # latched: published when the table changes, so its rate is ~0
    '/vision/image_annotated': (Image, SENSOR_QOS),
}
DEFAULT_TOPICS = ('/camera/camera_info', '/balls', '/cue', '/tracks', '/vision/image_annotated')


class Arrivals:
    def __init__(self):
        self.times: list[float] = []
        self.latencies_ms: list[float] = []
        self.size = ''  # WIDTHxHEIGHT of image topics

    def __call__(self, msg) -> None:
        now_ns = time.time_ns()
        self.times.append(time.monotonic())
        stamp_ns = msg.header.stamp.sec * 1_000_000_000 + msg.header.stamp.nanosec
        self.latencies_ms.append((now_ns - stamp_ns) / 1e6)
        if isinstance(msg, (Image, CameraInfo)):
            self.size = f'{msg.width}x{msg.height}'

    def summary(self) -> dict:
        n = len(self.times)
        rate = (n - 1) / (self.times[-1] - self.times[0]) if n > 1 and self.times[-1] > self.times[0] else 0.0
        p50, p95 = np.percentile(self.latencies_ms, [50, 95]) if n else (float('nan'), float('nan'))
        return {'messages': n, 'rate_hz': round(rate, 2), 'latency_p50_ms': round(float(p50), 1),
                'latency_p95_ms': round(float(p95), 1), 'size': self.size}


def measure(topics: list[str], seconds: float, first_timeout: float = 30.0,
            statuses: dict | None = None) -> dict:
    """{topic: summary}; each topic's window starts at its first message (or after first_timeout).
    With `statuses` (a dict) the last /diagnostics status of each name is put there too."""
    keep_image_buffers()   # a probe that takes every frame should cost what a node does (ros.malloc)
    rclpy.init()
    node = rclpy.create_node('topic_rates')
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    arrivals = {t: Arrivals() for t in topics}
    for topic in topics:
        msg_type, qos = TOPICS[topic]
        node.create_subscription(msg_type, topic, arrivals[topic], qos)
    if statuses is not None:
        def on_diagnostics(msg):
            for st in msg.status:
                statuses[st.name] = {'message': st.message, **{kv.key: kv.value for kv in st.values}}
        node.create_subscription(DiagnosticArray, '/diagnostics', on_diagnostics, RESULT_QOS)
    try:
        deadline = time.monotonic() + first_timeout
        while time.monotonic() < deadline and not all(a.times for a in arrivals.values()):
            executor.spin_once(timeout_sec=0.05)
        for a in arrivals.values():  # count from here on: all topics over the same window
            a.times.clear()
            a.latencies_ms.clear()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            executor.spin_once(timeout_sec=0.05)
    finally:
        executor.shutdown()
        node.destroy_node()
        rclpy.try_shutdown()
    return {t: a.summary() for t, a in arrivals.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='topic_rates', description=__doc__.split('\n')[0])
    parser.add_argument('--seconds', type=float, default=15.0, help='measuring window (default 15)')
    parser.add_argument('--topics', nargs='+', default=list(DEFAULT_TOPICS), choices=list(TOPICS), metavar='TOPIC',
                        help=f'topics to measure, of {", ".join(TOPICS)} (default: {" ".join(DEFAULT_TOPICS)})')
    parser.add_argument('--json', action='store_true', help='one JSON object instead of a table')
    parser.add_argument('--diagnostics', action='store_true',
                        help="also print each node's last /diagnostics status (JSON: key 'diagnostics')")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.seconds <= 0:
        parser.error('--seconds must be > 0')
    statuses = {} if args.diagnostics else None
    results = measure(args.topics, args.seconds, statuses=statuses)
    if args.json:
        print(json.dumps(dict(results, diagnostics=statuses) if args.diagnostics else results))
        return 0
    print(f'| topic | size | messages | rate Hz | stamp→arrival p50 ms | p95 ms |  ({args.seconds:g} s)')
    print('|---|---|---|---|---|---|')
    for topic, r in results.items():
        print(f"| `{topic}` | {r['size']} | {r['messages']} | {r['rate_hz']} | {r['latency_p50_ms']} | "
              f"{r['latency_p95_ms']} |")
    for name, values in sorted((statuses or {}).items()):
        print(f'{name}: ' + ', '.join(f'{k} {v}' for k, v in values.items()))
    return 0


if __name__ == '__main__':
    sys.exit(main())
