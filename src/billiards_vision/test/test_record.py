# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""record: ~10 s of a running graph into an MCAP bag that camera_driver replays with the recorded stamps."""
import threading
import time
from pathlib import Path

import rclpy
from rclpy.executors import SingleThreadedExecutor
from sensor_msgs.msg import Image

from billiards_interfaces.msg import Ball, BallArray, GameEvent, Table, TrackedBall, TrackedBallArray
from billiards_vision.ros.qos import LATCHED_QOS, RESULT_QOS, SENSOR_QOS
from billiards_vision.tools import record
from conftest import executable, ros_env, wait_for

DOMAIN = 78


def stamp_ns(header) -> int:
    return header.stamp.sec * 1_000_000_000 + header.stamp.nanosec


class Peer:
    """Publishes our result types (as the detectors and tracker would) and collects replayed images."""

    def __init__(self):
        self.context = rclpy.Context()
        rclpy.init(context=self.context, domain_id=DOMAIN)
        self.node = rclpy.create_node('record_peer', context=self.context)
        n = self.node
        self.table_pub = n.create_publisher(Table, 'table', LATCHED_QOS)
        self.balls_pub = n.create_publisher(BallArray, 'balls', RESULT_QOS)
        self.tracks_pub = n.create_publisher(TrackedBallArray, 'tracks', RESULT_QOS)
        self.events_pub = n.create_publisher(GameEvent, 'events', RESULT_QOS)
        self.images = []
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(n)
        self.thread = threading.Thread(target=self.executor.spin, daemon=True)
        self.thread.start()

    def publish_results(self):
        stamp = self.node.get_clock().now().to_msg()
        table = Table(found=True, length_m=2.54, width_m=1.27)
        table.header.stamp = stamp
        self.table_pub.publish(table)
        balls = BallArray(balls=[Ball(x_px=10.0, y_px=20.0, radius_px=9.0, number=3)])
        balls.header.stamp = stamp
        self.balls_pub.publish(balls)
        tracks = TrackedBallArray(balls=[TrackedBall()])
        tracks.header.stamp = stamp
        self.tracks_pub.publish(tracks)
        event = GameEvent(type=GameEvent.SHOT_STARTED, ball_ids=[1], pocket=-1, detail='test')
        event.header.stamp = stamp
        self.events_pub.publish(event)

    def watch_images(self):
        self.node.create_subscription(Image, 'camera/image_raw', self.images.append, SENSOR_QOS)

    def close(self):
        self.executor.shutdown()
        self.node.destroy_node()
        rclpy.shutdown(context=self.context)
        self.thread.join(timeout=5)


def read_bag(path: Path) -> dict:
    """topic -> list of (bag time, deserialized message), through rosbags with our registered types."""
    from rosbags.highlevel import AnyReader
    out = {}
    with AnyReader([path], default_typestore=record.typestore()) as reader:
        for conn, t, raw in reader.messages():
            out.setdefault(conn.topic, []).append((t, reader.deserialize(raw, conn.msgtype)))
    return out


def test_record_then_replay_through_camera_driver(processes, tmp_path):
    env = ros_env(DOMAIN)
    bag = tmp_path / 'run'
    camera = processes.start([executable('camera_driver'), '--ros-args', '-p', 'source:=synthetic://demo',
                              '-p', 'image_width:=640', '-p', 'image_height:=360'], env)
    peer = Peer()
    try:
        peer.node.create_timer(0.2, peer.publish_results)
        recorder = processes.start([executable('record'), str(bag), '--seconds', '10'], env)
        out, _ = recorder.communicate(timeout=60)
        assert recorder.returncode == 0, out
        processes.stop(camera)
        assert 'record: ' in out and 'messages' in out

        messages = read_bag(bag)
        images = messages['/camera/image_raw/compressed']
        assert len(images) >= 30, {k: len(v) for k, v in messages.items()}  # a live camera for ~10 s
        assert messages['/camera/camera_info'] and messages['/table'] and messages['/balls']
        assert messages['/balls'][-1][1].balls[0].number == 3  # our types, decoded from their .msg definitions
        assert messages['/tracks'] and messages['/events'][0][1].detail == 'test'
        assert (bag / 'metadata.yaml').read_text().count('transient_local') == 1  # the latched /table
        recorded = {stamp_ns(m.header) for _, m in images}

        # Replay: camera_driver publishes the recorded frames with their recorded stamps.
        peer.watch_images()
        replay = processes.start([executable('camera_driver'), '--ros-args', '-p', f'source:={bag}',
                                  '-p', 'loop:=false'], env)
        assert wait_for(lambda: len(peer.images) >= 20, timeout=30), len(peer.images)
        processes.stop(replay)
        replayed = [stamp_ns(m.header) for m in peer.images]
        assert set(replayed) <= recorded
        assert replayed == sorted(replayed)
        assert time.time_ns() - max(replayed) > 1e9  # recorded stamps, not the replay's clock
    finally:
        peer.close()
