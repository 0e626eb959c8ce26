# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""record: the graph's topics into a rosbag2 (MCAP) without the ROS 2 command-line tools.

    record OUT [--topics /camera/image_raw/compressed /balls ...] [--seconds S]

Messages are taken serialized (no decode/encode) and written with `rosbags`;
our own message types are registered with rosbags from their .msg files, so
the bag carries their definitions and `ros2 bag play`, `camera_driver
source:=OUT` and any rosbags reader can open it. Each topic is recorded with
the QoS its publishers offer (a latched `table` stays latched on replay).
The time of each message in the bag is its arrival time, as `ros2 bag record`
does; header stamps are untouched. Where ROS 2 is installed, `ros2 bag record`
is the usual way; this is for machines with only the wheels.
"""
from __future__ import annotations

import argparse
import collections
import importlib
import os
import signal
import sys
import time
from pathlib import Path

import rclpy
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy

from billiards_vision.ros.malloc import keep_image_buffers

DEFAULT_TOPICS = ('/camera/image_raw/compressed', '/camera/camera_info', '/table', '/balls', '/cue', '/tracks',
                  '/events')
OUR_PACKAGE = 'billiards_interfaces'


def msg_dir() -> Path:
    """Folder of our .msg files: the installed share directory, else the source tree."""
    try:
        from ament_index_python.packages import get_package_share_directory
        path = Path(get_package_share_directory(OUR_PACKAGE)) / 'msg'
        if path.is_dir():
            return path
    except (ImportError, LookupError):
        pass
    return Path(__file__).resolve().parents[3] / OUR_PACKAGE / 'msg'


def typestore():
    """rosbags' Jazzy typestore plus billiards_interfaces from the .msg files."""
    from rosbags.typesys import Stores, get_types_from_msg, get_typestore
    store = get_typestore(Stores.ROS2_JAZZY)
    types = {}
    for path in sorted(msg_dir().glob('*.msg')):
        types.update(get_types_from_msg(path.read_text(), f'{OUR_PACKAGE}/msg/{path.stem}'))
    if not types:
        raise FileNotFoundError(f'no .msg files of {OUR_PACKAGE} in {msg_dir()}')
    store.register(types)
    return store


def message_class(type_name: str):
    """'pkg/msg/Name' -> the rclpy message class."""
    package, _, name = type_name.split('/')
    return getattr(importlib.import_module(f'{package}.msg'), name)


def matching_qos(publishers) -> QoSProfile:
    """A subscription QoS that every publisher matches and that keeps what they offer (latched stays latched)."""
    reliable = bool(publishers) and all(p.qos_profile.reliability == ReliabilityPolicy.RELIABLE for p in publishers)
    latched = bool(publishers) and all(p.qos_profile.durability == DurabilityPolicy.TRANSIENT_LOCAL
                                       for p in publishers)
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=10,
                      reliability=ReliabilityPolicy.RELIABLE if reliable else ReliabilityPolicy.BEST_EFFORT,
                      durability=DurabilityPolicy.TRANSIENT_LOCAL if latched else DurabilityPolicy.VOLATILE)


def bag_qos(qos: QoSProfile):
    """The rosbags form of `qos` for the bag's offered_qos_profiles (what ros2 bag play publishes with)."""
    from rosbags.interfaces import (Qos, QosDurability, QosHistory, QosLiveliness, QosReliability, QosTime)
    infinite = QosTime(sec=2147483647, nsec=4294967295)
    return Qos(history=QosHistory.KEEP_LAST, depth=qos.depth,
               reliability=QosReliability.RELIABLE if qos.reliability == ReliabilityPolicy.RELIABLE
               else QosReliability.BEST_EFFORT,
               durability=QosDurability.TRANSIENT_LOCAL if qos.durability == DurabilityPolicy.TRANSIENT_LOCAL
               else QosDurability.VOLATILE,
               deadline=infinite, lifespan=infinite, liveliness=QosLiveliness.AUTOMATIC,
               liveliness_lease_duration=infinite, avoid_ros_namespace_conventions=False)


class Recorder(Node):
    """Subscribes to each wanted topic once it has a publisher and writes its serialized messages."""

    def __init__(self, out: Path, topics, store, **kwargs):
        super().__init__('record', **kwargs)
        from rosbags.rosbag2 import StoragePlugin, Writer
        self.topics = list(topics)
        self.store = store
        self.counts = collections.Counter()
        self.bytes = 0
        self._conns = {}
        self._subs = []
        # Bag format version 9 is what rosbag2 on Jazzy writes.
        self.writer = Writer(out, version=9, storage_plugin=StoragePlugin.MCAP)
        self.writer.open()
        self.create_timer(0.5, self._discover)
        self._discover()

    def _discover(self) -> None:
        types = dict(self.get_topic_names_and_types())
        for topic in self.topics:
            if topic in self._conns or not types.get(topic):
                continue
            publishers = [p for p in self.get_publishers_info_by_topic(topic) if p.node_name != self.get_name()]
            if not publishers:
                continue
            type_name = types[topic][0]
            if type_name not in self.store.types:
                self.get_logger().error(f'{topic}: type {type_name} is unknown to rosbags; not recorded')
                self._conns[topic] = None
                continue
            qos = matching_qos(publishers)
            conn = self.writer.add_connection(topic, type_name, typestore=self.store,
                                              offered_qos_profiles=[bag_qos(qos)])
            self._conns[topic] = conn
            self._subs.append(self.create_subscription(
                message_class(type_name), topic, lambda data, c=conn: self._write(c, data), qos, raw=True))
            self.get_logger().info(f'recording {topic} ({type_name})')

    def _write(self, conn, data: bytes) -> None:
        self.writer.write(conn, time.time_ns(), data)
        self.counts[conn.topic] += 1
        self.bytes += len(data)

    def close(self) -> None:
        self.writer.close()


def parse_args(argv):
    parser = argparse.ArgumentParser(prog='record', description=__doc__.split('\n')[0])
    parser.add_argument('out', help='bag folder to create (must not exist)')
    parser.add_argument('--topics', nargs='+', default=list(DEFAULT_TOPICS),
                        help=f'topics to record (default: {" ".join(DEFAULT_TOPICS)})')
    parser.add_argument('--seconds', type=float, default=0.0, help='stop after this long (default: until Ctrl-C)')
    args, ros_args = parser.parse_known_args(argv)
    if args.seconds < 0:
        parser.error('--seconds must be >= 0')
    args.topics = [t if t.startswith('/') else '/' + t for t in args.topics]
    return args, ros_args


def main(argv=None) -> int:
    args, ros_args = parse_args(list(sys.argv[1:] if argv is None else argv))
    out = Path(args.out)
    if out.exists():
        print(f'record: {out} already exists; choose another name', file=sys.stderr)
        return 2
    try:
        store = typestore()
    except FileNotFoundError as exc:
        print(f'record: {exc}', file=sys.stderr)
        return 2
    keep_image_buffers()   # it takes every frame (ros.malloc)
    rclpy.init(args=['record'] + ros_args)
    signal.signal(signal.SIGTERM, lambda *_: rclpy.try_shutdown())
    recorder = Recorder(out, args.topics, store)
    executor = SingleThreadedExecutor()
    executor.add_node(recorder)
    start = time.monotonic()
    print(f'record: writing {out} ({", ".join(args.topics)}); Ctrl-C stops', flush=True)
    try:
        while rclpy.ok() and (not args.seconds or time.monotonic() - start < args.seconds):
            executor.spin_once(timeout_sec=0.1)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        recorder.close()
        recorder.destroy_node()
        rclpy.try_shutdown()
    elapsed = time.monotonic() - start
    for topic in args.topics:
        print(f'  {topic}: {recorder.counts[topic]} messages')
    missing = [t for t in args.topics if not recorder.counts[t]]
    print(f'record: {sum(recorder.counts.values())} messages, {recorder.bytes / 1e6:.1f} MB in {elapsed:.1f} s '
          f'-> {os.fspath(out)}' + (f' (nothing on {", ".join(missing)})' if missing else ''))
    return 0


if __name__ == '__main__':
    sys.exit(main())
