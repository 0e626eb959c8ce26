# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""tracker: `balls` + `cue` + `table` -> `tracks`, `events`, `shot_prediction`, /diagnostics.

A thin shell around billiards_vision.tracking: every BallArray is one tracker
step at its header stamp (any detection rate), published at once as a
TrackedBallArray with the same header; events go out as they are found (their
stamps say when they happened). While a cue aims at the cue ball, the predicted
shot (valid = false otherwise) is computed after the tracks are out, on a thread
for the newest frame only and within a CPU share (tracking/prediction_worker.py):
a slow prediction never holds up tracks; its header is the balls header it was
computed for. A BallArray older than the
previous one is dropped with a warning, one more than `reset_after_s` older (a
bag or clip started again) restarts the tracker.
"""
from __future__ import annotations

import collections
import time

import numpy as np
from billiards_interfaces.msg import (Ball, BallArray, BallPath, CueStick, GameEvent, ShotPrediction, Table,
                                      TrackedBall, TrackedBallArray)
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from geometry_msgs.msg import Point, Vector3
from rclpy.node import Node

from billiards_vision.ros.conversions import TYPE_CODES, TYPE_NAMES
from billiards_vision.ros.node_main import run_node
from billiards_vision.ros.node_params import Param, declare_parameters
from billiards_vision.ros.qos import LATCHED_QOS, RESULT_QOS
from billiards_vision.table_geometry import BALL_RADIUS_M, TableGeometry, apply_homography
from billiards_vision.tracking import params as tracking_params
from billiards_vision.tracking.events import EVENT_TYPES
from billiards_vision.tracking.prediction_worker import PredictionRequest, PredictionWorker, snapshot
from billiards_vision.tracking.session import TrackingSession
from billiards_vision.tracking.tracker import MOVING, OCCLUDED, POCKETED, Observation

STATES = {MOVING: TrackedBall.STATE_MOVING, OCCLUDED: TrackedBall.STATE_OCCLUDED,
          POCKETED: TrackedBall.STATE_POCKETED}
_DEFAULTS = tracking_params.defaults()
PARAMS = [Param(name, _DEFAULTS[name], desc, range=rng) for name, (desc, rng) in tracking_params.KNOBS.items()] + [
    Param('cue_max_age_s', 0.5, 'a cue message further than this from the balls stamp is not used [s]',
          range=(0.0, 10.0)),
    Param('reset_after_s', 1.0, 'balls stamped this much before the previous ones restart the tracker [s]',
          range=(0.0, 3600.0)),
    Param('diagnostics_period_s', 1.0, 'period of the /diagnostics status [s]', range=(0.1, 60.0)),
    Param('prediction_cpu_share', 0.3, 'share of a core the shot prediction may use while the cue aims '
          '(it then runs less often)', range=(0.05, 1.0), read_only=True),
    Param('prediction_niceness', 5, 'the shot prediction thread runs this much nicer than the tracks (0..19)',
          range=(0, 19), read_only=True),
]


def _stamp(header) -> float:
    return header.stamp.sec + header.stamp.nanosec * 1e-9


def _time_msg(seconds: float, like):
    out = type(like)()
    out.sec = int(np.floor(seconds))
    out.nanosec = min(int(round((seconds - np.floor(seconds)) * 1e9)), 999_999_999)
    return out


class TrackerNode(Node):
    def __init__(self, **kwargs):
        super().__init__('tracker', **kwargs)
        self.values = declare_parameters(self, PARAMS, on_change=self._on_change)
        self.session = TrackingSession(*tracking_params.make(self.values))
        self.cue: CueStick | None = None
        self.frames = collections.deque(maxlen=200)      # wall times of processed BallArrays
        self.last_count = 0
        self.dropped = 0
        self.tracks_pub = self.create_publisher(TrackedBallArray, 'tracks', RESULT_QOS)
        self.events_pub = self.create_publisher(GameEvent, 'events', RESULT_QOS)
        self.prediction_pub = self.create_publisher(ShotPrediction, 'shot_prediction', RESULT_QOS)
        self.diag_pub = self.create_publisher(DiagnosticArray, '/diagnostics', 10)
        self.create_subscription(Table, 'table', self._on_table, LATCHED_QOS)
        self.create_subscription(CueStick, 'cue', self._on_cue, RESULT_QOS)
        self.create_subscription(BallArray, 'balls', self._on_balls, RESULT_QOS)
        self.create_timer(self.values['diagnostics_period_s'], self._publish_diagnostics)
        self.prediction = PredictionWorker(self.session.predictor.predict, self._publish_prediction,
                                           self._on_prediction_error, self.values['prediction_cpu_share'],
                                           self.values['prediction_niceness'])

    def _on_change(self, changed):
        new = dict(self.values)
        new.update({p.name: p.value for p in changed})
        try:
            tracker, prediction = tracking_params.make(new)
        except ValueError as exc:
            return str(exc)
        self.values = new
        self.session.tracker.params = tracker
        self.session.predictor.params = prediction
        return None

    def _on_table(self, msg: Table) -> None:
        if not msg.found:
            return
        try:
            geometry = TableGeometry(float(msg.length_m), float(msg.width_m))
            to_image = np.linalg.inv(np.array(msg.homography, dtype=np.float64).reshape(3, 3))
        except (ValueError, np.linalg.LinAlgError) as exc:
            self.get_logger().warning(f'dropped a table message: {exc}')
            return
        self.session.set_table(geometry, lambda pts: apply_homography(to_image, pts))

    def _on_cue(self, msg: CueStick) -> None:
        self.cue = msg

    def _cue_for(self, stamp: float):
        cue = self.cue
        if cue is None or not cue.found or not cue.tip_valid or \
                abs(_stamp(cue.header) - stamp) > self.values['cue_max_age_s']:
            return None
        return {'tip_m': [cue.tip.x, cue.tip.y], 'angle': float(cue.angle), 'tip_px': [cue.tip_px.x, cue.tip_px.y],
                'butt_px': [cue.butt_px.x, cue.butt_px.y]}

    def _on_balls(self, msg: BallArray) -> None:
        stamp = _stamp(msg.header)
        last = self.session.tracker.t
        if last is not None and stamp < last:
            if last - stamp > self.values['reset_after_s']:
                self.get_logger().info('balls went back in time (source restarted): tracker reset')
                self.session.tracker.reset()
            else:
                self.dropped += 1
                self.get_logger().warning(f'dropped balls stamped {last - stamp:.3f} s before the previous ones',
                                          throttle_duration_sec=5.0)
                return
        obs = []
        for b in msg.balls:
            if not b.position_valid or not np.isfinite([b.position.x, b.position.y]).all():
                continue
            obs.append(Observation(b.position.x, b.position.y, b.x_px, b.y_px, b.radius_px,
                                   TYPE_NAMES.get(b.type, 'unknown'), int(b.number) if b.number >= 0 else None,
                                   b.type_confidence, b.confidence))
        cue = self._cue_for(stamp)
        record = self.session.track(0, stamp, obs, cue)
        self.frames.append(time.monotonic())
        tracks = self.session.tracker.confirmed()
        self.last_count = len([t for t in tracks if t.state != POCKETED])
        self.tracks_pub.publish(self._tracks_msg(msg.header, tracks, stamp))
        for e in record['events']:
            self.events_pub.publish(self._event_msg(msg.header, e))
        self.prediction.submit(PredictionRequest(msg.header, snapshot(tracks), cue, self.session.geometry))

    def _publish_prediction(self, header, prediction) -> None:
        if self.context.ok():
            self.prediction_pub.publish(self._prediction_msg(header, prediction))

    def _on_prediction_error(self, exc: Exception) -> None:
        self.get_logger().warning(f'shot prediction failed: {type(exc).__name__}: {exc}', throttle_duration_sec=5.0)

    def _tracks_msg(self, header, tracks, stamp: float) -> TrackedBallArray:
        out = TrackedBallArray(header=header)
        for t in tracks:
            ball = Ball(x_px=float(t.px[0]), y_px=float(t.px[1]), radius_px=float(t.obs.radius_px),
                        position=Point(x=float(t.pos[0]), y=float(t.pos[1]), z=BALL_RADIUS_M), position_valid=True,
                        type=TYPE_CODES.get(t.type, Ball.TYPE_UNKNOWN),
                        number=t.number if t.number is not None else -1,
                        type_confidence=float(t.type_confidence), confidence=float(t.obs.confidence))
            v = t.velocity
            out.balls.append(TrackedBall(id=t.id, ball=ball, velocity=Vector3(x=float(v[0]), y=float(v[1])),
                                         state=STATES.get(t.state, TrackedBall.STATE_STATIONARY),
                                         age=float(stamp - t.t_first), frames_seen=int(t.hits)))
        return out

    def _event_msg(self, header, e: dict) -> GameEvent:
        msg = GameEvent(type=EVENT_TYPES.index(e['type']), ball_ids=e['ball_ids'],
                        position=Point(x=e['position'][0], y=e['position'][1]), pocket=e['pocket'],
                        detail=e['detail'])
        msg.header.frame_id = 'table'
        msg.header.stamp = _time_msg(e['stamp'], header.stamp)
        return msg

    def _prediction_msg(self, header, pred) -> ShotPrediction:
        msg = ShotPrediction(header=header, valid=False, first_contact_id=-1)
        if not pred or not pred['valid']:
            return msg
        msg.valid = True
        msg.cue_ball_id = pred['cue_ball_id']
        msg.first_contact_id = pred['first_contact_id']
        if pred['first_contact'] is not None:
            msg.first_contact = Point(x=pred['first_contact'][0], y=pred['first_contact'][1], z=BALL_RADIUS_M)
        msg.speed = float(pred['speed'])
        for p in pred['paths']:
            msg.paths.append(BallPath(ball_id=p['ball_id'], pocketed=p['pocketed'], pocket=p['pocket'],
                                      points=[Point(x=x, y=y, z=BALL_RADIUS_M) for x, y in p['points']]))
        return msg

    def rate(self) -> float:
        now = time.monotonic()
        recent = [t for t in self.frames if now - t <= 5.0]
        if len(recent) < 2:
            return 0.0
        return (len(recent) - 1) / max(recent[-1] - recent[0], 1e-6)

    def _publish_diagnostics(self) -> None:
        rate = self.rate()
        idle = not self.frames or time.monotonic() - self.frames[-1] > 5.0
        status = DiagnosticStatus(name='tracker', hardware_id='tracker',
                                  level=DiagnosticStatus.WARN if idle else DiagnosticStatus.OK,
                                  message='no balls for 5 s' if idle else f'{self.last_count} tracks at {rate:.1f} Hz')
        status.values = [KeyValue(key='rate_hz', value=f'{rate:.2f}'),
                         KeyValue(key='tracks', value=str(self.last_count)),
                         KeyValue(key='frames', value=str(self.session.tracker.frames)),
                         KeyValue(key='dropped', value=str(self.dropped)),
                         KeyValue(key='predictions', value=str(self.prediction.computed)),
                         KeyValue(key='predictions_skipped', value=str(self.prediction.replaced))]
        diag = DiagnosticArray(status=[status])
        diag.header.stamp = self.get_clock().now().to_msg()
        self.diag_pub.publish(diag)

    def destroy_node(self):
        self.prediction.stop()
        return super().destroy_node()


def main(args=None) -> int:
    return run_node(TrackerNode, args)


if __name__ == '__main__':
    raise SystemExit(main())
