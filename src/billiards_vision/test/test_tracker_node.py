# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""The `tracker` executable in its own process: detections published here, tracks received.

Two balls: one at rest, one rolling along x at 0.8 m/s, as BallArrays at 10 Hz with
header stamps 0.1 s apart. Every BallArray gives one TrackedBallArray with the same
stamp; both balls keep one id each, the rolling one's velocity is measured in m/s;
the first movement of a ball at rest is a shot start; /diagnostics reports the tracker.
While the cue ball is at rest a cue aims it at the other ball: the shot prediction (computed
off the tracks' path for the newest frame) names that ball first, stamped like a BallArray sent.
"""
import math

import signal

import pytest
from billiards_interfaces.msg import (Ball, BallArray, CueStick, GameEvent, ShotPrediction, Table, TrackedBall,
                                      TrackedBallArray)
from builtin_interfaces.msg import Time
from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import Point

from billiards_vision.ros.qos import LATCHED_QOS, RESULT_QOS
from conftest import CONFIG, executable, observer, ros_env

DOMAIN = 77
SCALE = 400.0   # px per m of the fake camera


@pytest.fixture
def ros():
    with observer(DOMAIN, 'tracker_test') as node_and_spin:
        yield node_and_spin


def table_msg() -> Table:
    msg = Table(found=True, length_m=2.54, width_m=1.27)
    # [x_m, y_m, 1] ~ H [u, v, 1]: u = 640 + 400 x, v = 360 - 400 y.
    msg.homography = [1 / SCALE, 0.0, -640 / SCALE, 0.0, -1 / SCALE, 360 / SCALE, 0.0, 0.0, 1.0]
    return msg


def ball(x, y, kind, number) -> Ball:
    return Ball(x_px=640 + SCALE * x, y_px=360 - SCALE * y, radius_px=11.4, position=Point(x=x, y=y, z=0.028575),
                position_valid=True, type=kind, number=number, type_confidence=0.9, confidence=0.95)


def aiming_cue(header, cue_ball, target) -> CueStick:
    """A cue 10 cm behind the cue ball, pointing at `target` (table metres)."""
    angle = math.atan2(target[1] - cue_ball[1], target[0] - cue_ball[0])
    u = (math.cos(angle), math.sin(angle))
    tip = (cue_ball[0] - 0.1 * u[0], cue_ball[1] - 0.1 * u[1])
    butt = (cue_ball[0] - 1.2 * u[0], cue_ball[1] - 1.2 * u[1])
    return CueStick(header=header, found=True, tip_valid=True, angle=angle, tip=Point(x=tip[0], y=tip[1]),
                    tip_px=Point(x=640 + SCALE * tip[0], y=360 - SCALE * tip[1]),
                    butt_px=Point(x=640 + SCALE * butt[0], y=360 - SCALE * butt[1]))


def test_tracks_follow_published_detections(processes, ros):
    node, spin_until = ros
    proc = processes.start([executable('tracker'), '--ros-args', '--params-file', str(CONFIG)], env=ros_env(DOMAIN))
    tracks, events, diags, predictions = [], [], [], []
    node.create_subscription(TrackedBallArray, '/tracks', tracks.append, RESULT_QOS)
    node.create_subscription(GameEvent, '/events', events.append, RESULT_QOS)
    node.create_subscription(DiagnosticArray, '/diagnostics', diags.append, 10)
    node.create_subscription(ShotPrediction, '/shot_prediction', predictions.append, RESULT_QOS)
    cue_pub = node.create_publisher(CueStick, '/cue', RESULT_QOS)
    table_pub = node.create_publisher(Table, '/table', LATCHED_QOS)
    balls_pub = node.create_publisher(BallArray, '/balls', RESULT_QOS)
    table_pub.publish(table_msg())
    assert spin_until(lambda: balls_pub.get_subscription_count() > 0, 30), proc.stdout
    # Matched here is not matched there: a TrackedBallArray published before the tracker's writer
    # has discovered our reader is lost (volatile). Empty BallArrays, stamped before the clip,
    # until one comes back; a slow machine once lost the first frame and waited on it forever.
    primes, stamp = 0, None

    def answered():
        return tracks and tracks[-1].header.stamp == stamp
    while not answered():
        assert primes < 100, f'no answer to the last of {primes} empty BallArrays'
        empty = BallArray()
        empty.header.stamp = stamp = Time(sec=99, nanosec=primes * 1_000_000)
        balls_pub.publish(empty)
        primes += 1
        spin_until(answered, 0.3)
    assert not tracks[-1].balls
    tracks.clear()

    sent = []
    for k in range(30):
        t = 100.0 + 0.1 * k
        x = -0.5 + (0.8 * 0.1 * (k - 10) if k >= 10 else 0.0)   # struck at frame 10
        msg = BallArray(balls=[ball(0.3, 0.2, Ball.TYPE_SOLID, 3), ball(x, -0.1, Ball.TYPE_CUE, 0)])
        msg.header.stamp = Time(sec=int(t), nanosec=int(round((t % 1) * 1e9)))
        msg.header.frame_id = 'camera'
        if k < 10:
            cue_pub.publish(aiming_cue(msg.header, (-0.5, -0.1), (0.3, 0.2)))
        balls_pub.publish(msg)
        sent.append(msg.header.stamp)
        assert spin_until(lambda: len(tracks) >= k + 1, 10), f'frame {k}: {len(tracks)} track arrays'
    assert [m.header.stamp for m in tracks] == sent            # one TrackedBallArray per BallArray, same stamp
    late = tracks[-1]
    assert len(late.balls) == 2
    ids = {b.ball.number: b.id for b in late.balls}
    for m in tracks[5:]:                                         # confirmed within a few frames, ids kept
        assert {b.ball.number: b.id for b in m.balls} == ids
    rolling = next(b for b in late.balls if b.ball.number == 0)
    assert rolling.state == TrackedBall.STATE_MOVING
    assert rolling.velocity.x == pytest.approx(0.8, abs=0.05) and abs(rolling.velocity.y) < 0.05
    still = next(b for b in late.balls if b.ball.number == 3)
    assert still.state == TrackedBall.STATE_STATIONARY and still.velocity.x == 0.0
    assert spin_until(lambda: any(e.type == GameEvent.SHOT_STARTED for e in events), 5)
    shot = next(e for e in events if e.type == GameEvent.SHOT_STARTED)
    assert list(shot.ball_ids) == [ids[0]]
    assert spin_until(lambda: any(p.valid for p in predictions), 20)
    aimed = next(p for p in predictions if p.valid)
    assert aimed.header.stamp in sent[:10] and aimed.cue_ball_id == ids[0] and aimed.first_contact_id == ids[3]
    stamps = [p.header.stamp.sec + 1e-9 * p.header.stamp.nanosec for p in predictions]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    # A status published during the 30 frames may arrive first: wait for one that has seen them all.

    def status_after_all_frames():
        return next((s for d in reversed(diags) for s in d.status if s.name == 'tracker'
                     and {kv.key: kv.value for kv in s.values}.get('frames') == str(30 + primes)), None)
    assert spin_until(status_after_all_frames, 10)
    values = {kv.key: kv.value for kv in status_after_all_frames().values}
    assert values['tracks'] == '2' and float(values['rate_hz']) > 0

    code, out = processes.stop(proc, signal.SIGINT, timeout=15)
    assert code == 0, out
    assert 'Traceback' not in out, out
