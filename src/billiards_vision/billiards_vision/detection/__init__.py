# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Classical OpenCV detectors (no ROS): table (table.py, table_tracker.py), balls (balls.py,
classify.py), cue (cue.py), shared settings (params.py) and the one-image pipeline (pipeline.py)."""
from .params import BallParams, CueParams, DetectorParams, TableParams
from .pipeline import Detections, annotate, detect_all

__all__ = ['BallParams', 'CueParams', 'DetectorParams', 'Detections', 'TableParams', 'annotate', 'detect_all']
