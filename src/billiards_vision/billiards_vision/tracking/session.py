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

import numpy as np

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
        """cue: {"tip_m": [x, y], "angle": rad (table frame, butt -> tip), "tip_px", "butt_px", ...} or None."""
        record = self.track(frame, stamp, observations, cue)
        record['prediction'] = self.predictor.predict(self.tracker.confirmed(), cue, self.geometry)
        return record

    def track(self, frame: int, stamp: float, observations: list[Observation], cue: Optional[dict] = None) -> dict:
        """`step` without the shot prediction ("prediction": None): the live tracker publishes this at once
        and predicts off its path (prediction_worker.py)."""
        events = self.tracker.update(stamp, off_the_stick(observations, cue))
        tracks = self.tracker.confirmed()
        return {'frame': int(frame), 'stamp': float(stamp), 'tracks': [track_json(t, stamp) for t in tracks],
                'events': events, 'cue': cue, 'prediction': None}


def off_the_stick(observations: list[Observation], cue: Optional[dict]) -> list[Observation]:
    """Detections that are not on the cue stick behind its tip (its wrap and butt can pass for balls).

    A ball ahead of the tip (the cue ball) is kept; one under the stick is hidden anyway.
    """
    if not cue or cue.get('tip_px') is None or cue.get('butt_px') is None:
        return observations
    tip, butt = np.asarray(cue['tip_px'], float), np.asarray(cue['butt_px'], float)
    length = float(np.linalg.norm(butt - tip))
    if length <= 0:
        return observations
    u = (butt - tip) / length
    kept = []
    for o in observations:
        rel = np.array([o.x_px, o.y_px]) - tip
        along, across = float(rel @ u), abs(float(rel[0] * u[1] - rel[1] * u[0]))
        if not (1.5 * o.radius_px < along <= length + o.radius_px and across < o.radius_px):
            kept.append(o)
    return kept
