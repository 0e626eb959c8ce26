# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""A tracker, its events and the shot prediction behind one call per detection frame. No ROS.

`TrackingSession.step(...)` returns the frame as one JSON-ready record (the
`process_video` line format):
{"frame", "stamp", "tracks": [{"id", "x_px", "y_px", "radius_px", "x_m", "y_m", "vx", "vy",
"type", "number", "state", "type_confidence", "age", "frames_seen"}], "events": [...],
"cue": {...} | null, "prediction": {...} | null}.
"""
from __future__ import annotations

from typing import Optional

from ..table_geometry import TableGeometry
from .prediction import PredictionParams, ShotPredictor
from .tracker import Observation, Tracker, TrackerParams


def track_json(tr, now: float) -> dict:
    x, y = (float(v) for v in tr.pos)
    vx, vy = (float(v) for v in tr.velocity)
    return {'id': tr.id, 'x_px': round(float(tr.px[0]), 2), 'y_px': round(float(tr.px[1]), 2),
            'radius_px': round(float(tr.obs.radius_px), 2), 'x_m': round(x, 4), 'y_m': round(y, 4),
            'vx': round(vx, 4), 'vy': round(vy, 4), 'type': tr.type, 'number': tr.number, 'state': tr.state,
            'type_confidence': round(tr.type_confidence, 3), 'age': round(now - tr.t_first, 3),
            'frames_seen': tr.hits}


class TrackingSession:
    def __init__(self, params: TrackerParams | None = None, prediction: PredictionParams | None = None):
        self.tracker = Tracker(params)
        self.predictor = ShotPredictor(prediction)
        self.geometry: Optional[TableGeometry] = None

    def set_table(self, geometry: Optional[TableGeometry], to_image=None) -> None:
        if geometry != self.geometry:
            self.geometry = geometry
        self.tracker.set_table(geometry, to_image)

    def step(self, frame: int, stamp: float, observations: list[Observation], cue: Optional[dict] = None) -> dict:
        """cue: {"tip_m": [x, y], "angle": rad (table frame, butt -> tip), ...} or None."""
        events = self.tracker.update(stamp, observations)
        tracks = self.tracker.confirmed()
        prediction = self.predictor.predict(tracks, cue, self.geometry)
        return {'frame': int(frame), 'stamp': float(stamp), 'tracks': [track_json(t, stamp) for t in tracks],
                'events': events, 'cue': cue, 'prediction': prediction}
