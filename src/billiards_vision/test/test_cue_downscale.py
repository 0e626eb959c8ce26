# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""The cue detector on a 1280 px copy (what cue_detector does at 1080p) meets the full-size accuracy bar."""
import numpy as np

from billiards_vision.detection.balls import detect_balls
from billiards_vision.detection.downscale import detect_cue_at_width
from billiards_vision.detection.params import BallParams, CueParams, TableParams
from billiards_vision.detection.table import detect_table

from detect_helpers import sim_frames


def test_cue_found_on_a_smaller_copy_in_full_size_pixels():
    frames = sim_frames('cue_aiming', 'blue', frames=(52, 66), width=1920, height=1080, seed=16)
    frames += [(i, t) for i, t in sim_frames('cue_aiming', 'teal', frames=(40, 60), width=1920, height=1080, seed=7)
               if t['cue'] is not None]
    assert len(frames) >= 3
    for image, truth in frames:
        table = detect_table(image, TableParams())
        balls = detect_balls(image, table, BallParams())
        cue = detect_cue_at_width(image, table, balls, CueParams(), 1280)
        assert cue is not None
        diff = abs((cue.angle_deg - truth['cue']['angle_deg'] + 180) % 360 - 180)
        assert diff < 1.0
        assert np.hypot(*(np.array(cue.tip_px) - truth['cue']['tip_px'])) < 8.0
        assert cue.tip_m is not None and np.all(np.abs(cue.tip_m) < 1.5)
