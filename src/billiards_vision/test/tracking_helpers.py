# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Small builders shared by the tracker rule tests (test_tracking_rules.py, test_tracking_contact_rules.py)."""
import numpy as np

from billiards_vision.tracking import Observation


def ball(x, y, kind, number=None, **kw):
    """A detection at (x, y) m with its type and number read."""
    return Observation(x, y, type=kind, number=number, type_confidence=0.9, **kw)


def track_near(tracker, x, y):
    """The confirmed track nearest (x, y), and its distance."""
    tracks = tracker.confirmed()
    d = [np.hypot(t.pos[0] - x, t.pos[1] - y) for t in tracks]
    k = int(np.argmin(d))
    return tracks[k], d[k]


def settle(tracker, seen, dt):
    """The detections `seen` at rest for 4 frames `dt` apart, from time 0 (confirmed with their numbers);
    returns the confirmed tracks' ids by number."""
    for k in range(4):
        tracker.update(k * dt, seen)
    return {t.number: t.id for t in tracker.confirmed()}
