# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Thread vs child-process capture: cost per frame on the publishing side.

    python -m billiards_vision.camera.bench [--seconds 8] [--sizes 1280x720,1920x1080] [--source URL]

For each size an MJPEG .avi is written (what a USB camera sends: every frame a
JPEG to decode) and replayed by the camera_driver node at 30 fps in each capture
mode, with a subscriber in another process. Reported per published frame:
CPU of the node process (all its threads), CPU of the capture child, latency from
capture stamp to the end of publish(), and stamp-to-subscriber latency.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np

CLK_TCK = os.sysconf('SC_CLK_TCK')


def write_clip(path: str, width: int, height: int, frames: int = 60) -> None:
    """A textured MJPEG clip (a flat image would make decoding unrealistically cheap)."""
    rng = np.random.default_rng(0)
    base = cv2.resize(rng.integers(0, 255, (height // 8, width // 8, 3), dtype=np.uint8), (width, height))
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'MJPG'), 30.0, (width, height))
    for i in range(frames):
        frame = np.roll(base, 8 * i, axis=1)
        cv2.circle(frame, (50 + 10 * i, height // 2), height // 20, (255, 255, 255), -1)
        writer.write(frame)
    writer.release()


def proc_cpu_seconds(pid: int) -> float:
    with open(f'/proc/{pid}/stat') as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def subscriber(seconds: float) -> None:
    """Child process: receive camera/image_raw until SIGTERM (or `seconds`), print latencies as JSON."""
    import rclpy
    from sensor_msgs.msg import Image

    from billiards_vision.ros.qos import SENSOR_QOS
    rclpy.init()
    node = rclpy.create_node('bench_subscriber')
    latencies = []

    def on_image(msg: Image) -> None:
        latencies.append(time.time() - (msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9))
    node.create_subscription(Image, 'camera/image_raw', on_image, SENSOR_QOS)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    end = time.monotonic() + seconds
    while time.monotonic() < end and not stop:
        rclpy.spin_once(node, timeout_sec=0.1)
    print(json.dumps(latencies[len(latencies) // 5:]), flush=True)
    node.destroy_node()
    rclpy.shutdown()


def run_case(clip: str, mode: str, seconds: float, size: tuple = (0, 0)) -> dict:
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.parameter import Parameter

    from billiards_vision.nodes.camera_driver import CameraDriver
    sub = subprocess.Popen([sys.executable, '-m', 'billiards_vision.camera.bench', '--subscriber',
                            str(seconds + 120)], stdout=subprocess.PIPE, text=True)
    rclpy.init()
    overrides = [Parameter('source', value=clip), Parameter('capture_mode', value=mode),
                 Parameter('playback', value='framerate'), Parameter('image_width', value=size[0]),
                 Parameter('image_height', value=size[1])]
    node = CameraDriver(parameter_overrides=overrides)
    publish_latency = []
    publish = node._publish_frame

    def timed_publish(frame):
        publish(frame)
        publish_latency.append((time.time_ns() - frame.stamp_ns) / 1e6)
    node._publish_frame = timed_publish
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    warmup_end = time.monotonic() + 60.0  # until frames flow (a synthetic table takes seconds to open)
    while time.monotonic() < warmup_end and node._capture.frames < 30:
        executor.spin_once(timeout_sec=0.1)
    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    frames0, lat0 = node._capture.frames, len(publish_latency)
    worker = node._capture._worker
    child_pid = worker._process.pid if mode == 'process' else None
    child0 = proc_cpu_seconds(child_pid) if child_pid else 0.0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        executor.spin_once(timeout_sec=0.1)
    usage1, frames = resource.getrusage(resource.RUSAGE_SELF), node._capture.frames - frames0
    child_cpu = proc_cpu_seconds(child_pid) - child0 if child_pid else 0.0
    lat = publish_latency[lat0:]
    node_cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
    sub.terminate()
    executor.shutdown()
    node.destroy_node()
    rclpy.shutdown()
    out, _ = sub.communicate(timeout=30)
    sub_lat = json.loads(out.strip().splitlines()[-1]) if out.strip() else []
    return {'fps': frames / seconds, 'node_cpu_ms': 1000 * node_cpu / max(frames, 1),
            'child_cpu_ms': 1000 * child_cpu / max(frames, 1),
            'publish_latency_ms': statistics.median(lat) if lat else float('nan'),
            'publish_latency_p95_ms': float(np.percentile(lat, 95)) if lat else float('nan'),
            'receive_latency_ms': 1000 * statistics.median(sub_lat) if sub_lat else float('nan')}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seconds', type=float, default=8.0)
    parser.add_argument('--sizes', default='1280x720,1920x1080')
    parser.add_argument('--modes', default='thread,process')
    parser.add_argument('--source', default=None,
                        help='measure this source (e.g. synthetic://demo) instead of generated MJPEG clips')
    parser.add_argument('--subscriber', type=float, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.subscriber is not None:
        subscriber(args.subscriber)
        return 0
    print(f'{"size":>10} {"mode":>8} {"fps":>6} {"node CPU ms/frame":>18} {"child CPU ms/frame":>19} '
          f'{"capture->published ms (p50/p95)":>32} {"capture->received ms":>21}')
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes.split(','):
            width, height = (int(v) for v in size.split('x'))
            clip = args.source
            if clip is None:
                clip = os.path.join(tmp, f'clip_{size}.avi')
                write_clip(clip, width, height)
            for mode in args.modes.split(','):
                r = run_case(clip, mode, args.seconds, (width, height))
                print(f'{size:>10} {mode:>8} {r["fps"]:6.1f} {r["node_cpu_ms"]:18.2f} '
                      f'{r["child_cpu_ms"]:19.2f} '
                      f'{r["publish_latency_ms"]:15.2f} / {r["publish_latency_p95_ms"]:6.2f}'
                      f'{r["receive_latency_ms"]:20.2f}', flush=True)
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
