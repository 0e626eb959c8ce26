# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Ball tracking in the `table` frame, game events and shot prediction. No ROS imports.

    from billiards_vision.tracking import Tracker, Observation
    tracker = Tracker(geometry=TableGeometry())
    events = tracker.update(stamp_s, [Observation(x_m, y_m, x_px, y_px, r_px, 'solid', 3, 0.9)])
    for track in tracker.confirmed(): ...
"""
from .events import EVENT_TYPES
from .prediction import ShotPredictor, predict_shot
from .tracker import MOVING, OCCLUDED, POCKETED, STATIONARY, Observation, Track, Tracker, TrackerParams

__all__ = ['EVENT_TYPES', 'MOVING', 'OCCLUDED', 'Observation', 'POCKETED', 'STATIONARY', 'ShotPredictor',
           'Track', 'Tracker', 'TrackerParams', 'predict_shot']
