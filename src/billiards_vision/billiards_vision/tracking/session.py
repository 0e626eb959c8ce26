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

from dataclasses import replace
from typing import Optional

import numpy as np

from ..table_geometry import TableGeometry
from .prediction import PredictionParams, ShotPredictor
from .tracker import BRIDGE, SHAFT, Observation, Tracker, TrackerParams

# The bridge zone round a detected tip [m] (mark_stick).
BRIDGE_AHEAD_M = 0.12
BRIDGE_BEHIND_M = 0.35
BRIDGE_ACROSS_M = 0.07


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
        events = self.tracker.update(stamp, mark_stick(observations, cue))
        tracks = self.tracker.confirmed()
        return {'frame': int(frame), 'stamp': float(stamp), 'tracks': [track_json(t, stamp) for t in tracks],
                'events': events, 'cue': cue, 'prediction': None}


def mark_stick(observations: list[Observation], cue: Optional[dict]) -> list[Observation]:
    """The detections, those where a detected cue stick lies marked (`near_cue`), for the tracker:

    - SHAFT: on the stick behind its tip (its wrap and butt can pass for balls); only a ball rolling there
      (the cue ball after the shot, under the stick) may take one, and none starts a track;
    - BRIDGE: around the tip, up to BRIDGE_AHEAD_M ahead of it (a tip found short ends where the fingers cover
      the shaft, up to 0.12 m short on the synthetic clips) and BRIDGE_BEHIND_M behind, within BRIDGE_ACROSS_M
      of the line: the bridge hand, whose knuckles pass for balls; a new track there is not confirmed.
    A ball ahead of the tip (the cue ball) is tracked as ever: it was confirmed before the stick came.
    """
    if not cue or cue.get('tip_m') is None or cue.get('angle') is None:
        return observations
    back = -np.array([np.cos(cue['angle']), np.sin(cue['angle'])])    # tip -> butt, table frame
    tip_m = np.asarray(cue['tip_m'], float)
    tip_px, butt_px = cue.get('tip_px'), cue.get('butt_px')
    shaft_u, length = None, 0.0
    if tip_px is not None and butt_px is not None:
        tip_px, butt_px = np.asarray(tip_px, float), np.asarray(butt_px, float)
        length = float(np.linalg.norm(butt_px - tip_px))
        if length > 0:
            shaft_u = (butt_px - tip_px) / length
    out = []
    for o in observations:
        kind = ''
        if shaft_u is not None:
            rel = np.array([o.x_px, o.y_px]) - tip_px
            along, across = float(rel @ shaft_u), abs(float(rel[0] * shaft_u[1] - rel[1] * shaft_u[0]))
            if 1.5 * o.radius_px < along <= length + o.radius_px and across < o.radius_px:
                kind = SHAFT
        if not kind:
            rel = np.array([o.x_m, o.y_m]) - tip_m
            along, across = float(rel @ back), abs(float(rel[0] * back[1] - rel[1] * back[0]))
            if -BRIDGE_AHEAD_M <= along <= BRIDGE_BEHIND_M and across <= BRIDGE_ACROSS_M:
                kind = BRIDGE
        out.append(replace(o, near_cue=kind) if kind != o.near_cue else o)
    return out
