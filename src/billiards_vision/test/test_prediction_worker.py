# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""The shot prediction worker: the tracker hands it frames and goes on; only the newest frame is predicted.

The real ShotPredictor runs behind a gate the test holds closed (a slow prediction):
submitting returns while it is held, requests that queue meanwhile are replaced by
the newest, and results come out in order with the token they were computed for.
"""
import math
import threading

import numpy as np
import pytest

from billiards_vision.table_geometry import BALL_RADIUS_M, TableGeometry
from billiards_vision.tracking.prediction import ShotPredictor
from billiards_vision.tracking.prediction_worker import PredictionRequest, PredictionWorker, TrackView, snapshot
from billiards_vision.tracking.tracker import Observation, Tracker

GEOMETRY = TableGeometry(2.54, 1.27)
WAIT_S = 30.0   # a bound on hanging, not a timing assertion


def scene(object_y: float):
    """A cue ball at rest, an object ball ahead of it and a cue aiming straight at it."""
    tracks = [TrackView(1, np.array([-0.6, 0.0]), 'stationary', 'cue', False),
              TrackView(2, np.array([0.2, object_y]), 'stationary', 'solid', False)]
    angle = math.atan2(object_y, 0.8)
    tip = np.array([-0.6, 0.0]) - 0.1 * np.array([math.cos(angle), math.sin(angle)])
    return tracks, {'tip_m': tip.tolist(), 'angle': angle}


class Gate:
    """The real predictor, held before each call until the test releases it."""

    def __init__(self):
        self.predictor = ShotPredictor()
        self.entered = threading.Semaphore(0)
        self.release = threading.Semaphore(0)

    def __call__(self, tracks, cue, geometry):
        self.entered.release()
        assert self.release.acquire(timeout=WAIT_S), 'the test never released the prediction'
        return self.predictor.predict(tracks, cue, geometry)


@pytest.fixture
def worker():
    gate, delivered, errors = Gate(), [], []
    done = threading.Semaphore(0)

    def deliver(token, result):
        delivered.append((token, result))
        done.release()
    w = PredictionWorker(gate, deliver, errors.append, cpu_share=1.0)
    yield w, gate, delivered, done, errors
    for _ in range(8):
        gate.release.release()
    w.stop()


def test_a_held_prediction_does_not_block_submits_and_only_the_newest_waiting_frame_is_predicted(worker):
    w, gate, delivered, done, errors = worker
    tracks, cue = scene(0.0)
    w.submit(PredictionRequest('S1', tracks, cue, GEOMETRY))
    assert gate.entered.acquire(timeout=WAIT_S)          # S1 is being predicted, and held
    for token in ('S2', 'S3', 'S4'):                     # the tracker goes on publishing meanwhile
        w.submit(PredictionRequest(token, tracks, cue, GEOMETRY))
    assert delivered == [] and not w.idle()
    gate.release.release()
    assert done.acquire(timeout=WAIT_S) and delivered[0][0] == 'S1'
    assert gate.entered.acquire(timeout=WAIT_S)          # then the newest one, S4; S2 and S3 were replaced
    gate.release.release()
    assert done.acquire(timeout=WAIT_S)
    assert [token for token, _ in delivered] == ['S1', 'S4']
    assert w.replaced == 2 and w.computed == 2 and not errors
    expected = ShotPredictor().predict(tracks, cue, GEOMETRY)
    assert expected['valid'] and expected['first_contact_id'] == 2
    assert delivered[1][1] == expected


def test_a_request_without_a_cue_clears_the_prediction_in_turn(worker):
    w, gate, delivered, done, errors = worker
    tracks, cue = scene(0.05)
    w.submit(PredictionRequest('aim', tracks, cue, GEOMETRY))
    assert gate.entered.acquire(timeout=WAIT_S)
    w.submit(PredictionRequest('gone', tracks, None, GEOMETRY))   # the cue left while 'aim' is predicted
    for _ in range(2):
        gate.release.release()
        assert done.acquire(timeout=WAIT_S)
    assert [token for token, _ in delivered] == ['aim', 'gone']
    assert delivered[0][1]['valid'] and delivered[1][1] is None


def test_a_failing_prediction_is_reported_and_the_next_one_runs():
    delivered, errors = [], []
    done = threading.Semaphore(0)

    def deliver(token, result):
        delivered.append((token, result))
        done.release()
    w = PredictionWorker(ShotPredictor().predict, deliver, errors.append, cpu_share=1.0)
    try:
        tracks, cue = scene(0.0)
        w.submit(PredictionRequest('bad', tracks, {'tip_m': [-0.7, 0.0], 'angle': None}, GEOMETRY))
        assert done.acquire(timeout=WAIT_S)
        w.submit(PredictionRequest('good', tracks, cue, GEOMETRY))
        assert done.acquire(timeout=WAIT_S)
    finally:
        w.stop()
    assert [t for t, _ in delivered] == ['bad', 'good'] and delivered[0][1] is None and delivered[1][1]['valid']
    assert len(errors) == 1


def test_cpu_share_must_be_a_share():
    with pytest.raises(ValueError, match='cpu_share'):
        PredictionWorker(lambda *a: None, lambda *a: None, lambda e: None, cpu_share=0.0)


def test_snapshot_does_not_follow_the_tracker():
    tracker = Tracker()
    tracker.set_table(GEOMETRY)
    for k in range(3):
        tracker.update(0.1 * k, [Observation(0.1, 0.2, 600.0, 300.0, 11.0, 'cue', 0, 0.9, 0.95)])
    tracks = tracker.confirmed()
    views = snapshot(tracks)
    before = views[0].pos.copy()
    for k in range(3, 8):                                # the ball rolls on in the tracker
        tracker.update(0.1 * k, [Observation(0.1 + 0.05 * (k - 2), 0.2, 600.0, 300.0, 11.0, 'cue', 0, 0.9, 0.95)])
    assert np.linalg.norm(tracks[0].pos - before) > 4 * BALL_RADIUS_M
    assert np.array_equal(views[0].pos, before) and views[0].type == 'cue'
