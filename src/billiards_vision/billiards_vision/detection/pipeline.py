# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""The three detectors on one image, the detection JSON format, and an annotated picture."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import cv2
import numpy as np

from .balls import BallDetection, detect_balls
from .cue import CueDetection, detect_cue
from .params import DetectorParams
from .table import TableDetection, detect_table

TYPE_COLOURS = {'cue': (255, 255, 255), 'eight': (40, 40, 40), 'solid': (0, 200, 255),
                'stripe': (255, 0, 255), 'unknown': (128, 128, 128)}


@dataclass
class Detections:
    table: Optional[TableDetection] = None
    balls: list[BallDetection] = field(default_factory=list)
    cue: Optional[CueDetection] = None

    def to_json(self) -> dict:
        return {'table': self.table.to_json() if self.table is not None else None,
                'balls': [b.to_json() for b in self.balls],
                'cue': self.cue.to_json() if self.cue is not None else None}


def detect_all(image_bgr: np.ndarray, params: Optional[DetectorParams] = None,
               table: Optional[TableDetection] = None) -> Detections:
    """Table (unless given), then balls on it, then the cue."""
    params = params or DetectorParams()
    if image_bgr is None or image_bgr.ndim != 3 or image_bgr.shape[2] != 3:
        raise ValueError('expected a BGR image (H x W x 3)')
    if table is None:
        table = detect_table(image_bgr, params.table)
    if table is None:
        return Detections()
    balls = detect_balls(image_bgr, table, params.balls)
    cue = detect_cue(image_bgr, table, balls, params.cue)
    return Detections(table, balls, cue)


def annotate(image_bgr: np.ndarray, det: Detections) -> np.ndarray:
    """A copy of the image with the table outline, pockets, balls and cue drawn on it."""
    out = image_bgr.copy()
    thick = max(1, int(round(image_bgr.shape[1] / 800)))
    if det.table is not None:
        cv2.polylines(out, [np.round(det.table.corners_px * 16).astype(np.int32)], True, (0, 0, 255),
                      thick, cv2.LINE_AA, 4)
        for (x, y), r in zip(det.table.pockets_px, det.table.pocket_radii_px):
            cv2.circle(out, (int(round(x * 16)), int(round(y * 16))), int(round(r * 16)), (0, 128, 255),
                       thick, cv2.LINE_AA, 4)
    for b in det.balls:
        colour = TYPE_COLOURS.get(b.type, (128, 128, 128))
        cv2.circle(out, (int(round(b.x * 16)), int(round(b.y * 16))), int(round(b.radius * 16)), colour,
                   thick, cv2.LINE_AA, 4)
        label = b.type[0].upper() + ('' if b.number is None else str(b.number))
        cv2.putText(out, label, (int(b.x + b.radius), int(b.y - b.radius)), cv2.FONT_HERSHEY_SIMPLEX,
                    0.4 * thick, colour, thick, cv2.LINE_AA)
    if det.cue is not None:
        tip = tuple(int(round(v)) for v in det.cue.tip_px)
        butt = tuple(int(round(v)) for v in det.cue.butt_px)
        cv2.line(out, butt, tip, (0, 255, 0), thick, cv2.LINE_AA)
        cv2.circle(out, tip, 3 * thick, (0, 255, 0), -1, cv2.LINE_AA)
    return out
