# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Every custom message published in one process arrives intact in another."""
import textwrap

import pytest
import rclpy
from rclpy.serialization import deserialize_message, serialize_message
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy

from conftest import PYTHON, ros_env, wait_for
import billiards_interfaces.msg as bmsg

DOMAIN = 70
MESSAGES = ['Ball', 'BallArray', 'Pocket', 'Table', 'CueStick', 'TrackedBall', 'TrackedBallArray',
            'GameEvent', 'BallPath', 'ShotPrediction']

# Builds one message of each type with every field set to something other than its default.
SAMPLES = textwrap.dedent('''
    import billiards_interfaces.msg as m
    from geometry_msgs.msg import Point, Vector3

    def ball(i):
        return m.Ball(x_px=100.25 + i, y_px=50.5, radius_px=13.75, position=Point(x=0.5, y=-0.25, z=0.028575),
                      position_valid=True, type=m.Ball.TYPE_STRIPE, number=9 + i, type_confidence=0.75,
                      confidence=0.875)

    def header(m_):
        m_.header.frame_id = 'camera_optical'
        m_.header.stamp.sec = 1234
        m_.header.stamp.nanosec = 5678
        return m_

    def pocket(i):
        return m.Pocket(kind=m.Pocket.KIND_SIDE, x_px=640.0 + i, y_px=20.0, radius_px=22.5,
                        position=Point(x=0.0, y=0.635, z=0.0))

    def path(i):
        return m.BallPath(ball_id=7 + i, points=[Point(x=0.1 * k, y=0.2, z=0.0) for k in range(4)],
                          pocketed=True, pocket=3)

    def tracked(i):
        return m.TrackedBall(id=42 + i, ball=ball(i), velocity=Vector3(x=1.5, y=-0.5, z=0.0),
                             state=m.TrackedBall.STATE_MOVING, age=3.25, frames_seen=97)

    def samples():
        table = header(m.Table(found=True, corners_px=[1.5, 2.5, 1000.5, 3.5, 1001.5, 600.5, 0.5, 599.5],
                               pockets=[pocket(i) for i in range(6)], homography=[0.1 * k for k in range(9)],
                               length_m=2.54, width_m=1.27, cloth_bgr=[120, 110, 20], manual=True, confidence=0.5))
        cue = header(m.CueStick(found=True, tip_px=Point(x=300.5, y=200.25, z=0.0), butt_px=Point(x=900.0, y=500.0),
                                tip=Point(x=-0.3, y=0.1), tip_valid=True, angle=2.5, angle_px=-0.64, target_ball=3,
                                confidence=0.625))
        return {
            'Ball': ball(0), 'BallArray': header(m.BallArray(balls=[ball(i) for i in range(3)])),
            'Pocket': pocket(0), 'Table': table, 'CueStick': cue, 'TrackedBall': tracked(0),
            'TrackedBallArray': header(m.TrackedBallArray(balls=[tracked(i) for i in range(2)])),
            'GameEvent': header(m.GameEvent(type=m.GameEvent.BALL_POCKETED, ball_ids=[3, 11], position=Point(x=1.27),
                                            pocket=2, detail='3 in top-right')),
            'BallPath': path(0),
            'ShotPrediction': header(m.ShotPrediction(valid=True, cue_ball_id=1, paths=[path(i) for i in range(2)],
                                                      first_contact_id=5, first_contact=Point(x=0.3, y=0.2),
                                                      speed=2.5)),
        }
''')

PUBLISHER = SAMPLES + textwrap.dedent('''
    import rclpy, time
    from rclpy.qos import QoSProfile, ReliabilityPolicy, DurabilityPolicy
    rclpy.init()
    node = rclpy.create_node('roundtrip_publisher')
    qos = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL)
    pubs = {name: (node.create_publisher(type(msg), 'roundtrip/' + name, qos), msg) for name, msg in samples().items()}
    for pub, msg in pubs.values():
        pub.publish(msg)
    print('published', flush=True)
    end = time.monotonic() + 30
    while time.monotonic() < end:
        rclpy.spin_once(node, timeout_sec=0.1)
''')


def to_dict(msg):
    """Message -> plain nested structure for comparison."""
    if hasattr(msg, 'get_fields_and_field_types'):
        return {f: to_dict(getattr(msg, f)) for f in msg.get_fields_and_field_types()}
    if isinstance(msg, (list, tuple)) or hasattr(msg, 'tolist'):
        return [to_dict(v) for v in (msg.tolist() if hasattr(msg, 'tolist') else msg)]
    return msg


def test_every_message_crosses_processes(processes):
    processes.start([PYTHON, '-c', PUBLISHER], env=ros_env(DOMAIN))
    namespace = {}
    exec(SAMPLES, namespace)
    expected = namespace['samples']()
    assert sorted(expected) == sorted(MESSAGES)

    context = rclpy.Context()
    rclpy.init(context=context, domain_id=DOMAIN)
    try:
        node = rclpy.create_node('roundtrip_subscriber', context=context)
        received = {}
        qos = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                         durability=DurabilityPolicy.TRANSIENT_LOCAL)
        for name in MESSAGES:
            node.create_subscription(getattr(bmsg, name), 'roundtrip/' + name,
                                     lambda msg, n=name: received.__setitem__(n, msg), qos)
        executor = rclpy.executors.SingleThreadedExecutor(context=context)
        executor.add_node(node)
        wait_for(lambda: executor.spin_once(timeout_sec=0.1) or len(received) == len(MESSAGES), timeout=20)
        assert sorted(received) == sorted(MESSAGES), f'missing: {set(MESSAGES) - set(received)}'
        for name in MESSAGES:
            # Field by field against the sample after one CDR round trip (float32 then compares exactly).
            # Not the serialized bytes: CDR alignment padding is not zeroed, so those may differ.
            sent = deserialize_message(serialize_message(expected[name]), type(expected[name]))
            assert to_dict(received[name]) == to_dict(sent), name
        node.destroy_node()
    finally:
        rclpy.shutdown(context=context)


@pytest.mark.parametrize('name', MESSAGES)
def test_message_fields_documented(name):
    """Every field of every message has a comment (unit / frame) in its .msg file."""
    from conftest import WORKSPACE
    text = (WORKSPACE / 'src' / 'billiards_interfaces' / 'msg' / f'{name}.msg').read_text()
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith('#') or '=' in stripped.split('#')[0]:
            continue
        if stripped.startswith(('std_msgs/Header', 'Ball[]', 'TrackedBall[]')):
            continue  # self-describing containers
        assert '#' in stripped, f'{name}.msg: field without a comment: {stripped}'
