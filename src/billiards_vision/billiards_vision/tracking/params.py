# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""The tracker's settings with meanings and ranges: one table for the node's parameters,
config/billiards.yaml and process_video --params. No ROS."""
from __future__ import annotations

from dataclasses import fields
from typing import Any, Mapping

from .prediction import PredictionParams
from .tracker import TrackerParams

# name -> (description, (min, max))
KNOBS = {
    'measurement_sigma_m': ('position noise of a ball detection [m]', (0.0002, 0.05)),
    'accel_sigma_moving': ('process noise of a rolling ball [m/s^2]', (0.01, 50.0)),
    'accel_sigma_still': ('process noise of a ball at rest [m/s^2]', (0.0, 5.0)),
    'gate_m': ('association gate of a ball at rest seen in the last frame [m]', (0.002, 0.2)),
    'gate_speed_share': ('the gate grows by this share of the distance travelled since the last detection',
                         (0.0, 2.0)),
    'gate_accel': ('... and by a/2 dt^2 of unforeseen acceleration [m/s^2]', (0.0, 50.0)),
    'max_ball_speed': ('fastest ball (a break); reach of the second association round [m/s]', (0.5, 30.0)),
    'class_cost': ('association cost of a detection whose type/number contradicts the track', (0.0, 100.0)),
    'confirm_hits': ('detections that confirm a new track', (1, 10)),
    'start_distance_m': ('a ball at rest seen further than this from its spot has been struck [m]', (0.001, 0.2)),
    'still_speed': ('below this speed a track without a stop fit is at rest [m/s]', (0.0, 1.0)),
    'coast_moving_s': ('a moving ball unseen this long is dropped [s]', (0.0, 10.0)),
    'coast_still_s': ('a ball at rest unseen this long (under a hand) is dropped [s]', (0.0, 600.0)),
    'manoeuvre_nis': ('normalised innovation (chi^2, 2 dof) that restarts a velocity (collision)', (4.0, 1000.0)),
    'rolling_deceleration': ('rolling resistance of the cloth: deceleration of a rolling ball [m/s^2]',
                             (0.0, 2.0)),
    'pocketed_keep_s': ('pocketed tracks are still reported this long [s]', (0.0, 600.0)),
    'trail_length': ('image positions kept per track for the overlay trail', (0, 500)),
    'speed': ('shot prediction: assumed cue-ball speed [m/s]', (0.1, 15.0)),
    'horizon_s': ('shot prediction: simulated time at most [s]', (0.1, 20.0)),
    'max_tip_gap_m': ('shot prediction: the cue tip must be within this of the cue ball [m]', (0.01, 2.0)),
    'max_offset': ('shot prediction: the cue line within this many ball radii of the cue ball centre',
                   (0.1, 5.0)),
}


def defaults() -> dict:
    out = {f.name: f.default for f in fields(TrackerParams)}
    out.update({f.name: f.default for f in fields(PredictionParams)})
    return out


def make(values: Mapping[str, Any]) -> tuple[TrackerParams, PredictionParams]:
    """Tracker and prediction settings from a mapping (unknown keys ignored); ValueError when out of range."""
    merged = defaults()
    for name, value in values.items():
        if name not in KNOBS:
            continue
        lo, hi = KNOBS[name][1]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
            raise ValueError(f'{name}: {value!r} must be a number in [{lo}, {hi}]')
        merged[name] = type(merged[name])(value)
    tracker = TrackerParams(**{f.name: merged[f.name] for f in fields(TrackerParams)})
    prediction = PredictionParams(**{f.name: merged[f.name] for f in fields(PredictionParams)})
    return tracker, prediction
