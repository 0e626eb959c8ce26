# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Ball detections made from synthetic ground truth with realistic faults. No ROS.

For tracker tests and measurements without the cost of rendering and detecting:
every visible ball becomes a detection with Gaussian position noise, balls are
missed now and then (more often when motion blur smears them), types and numbers
are sometimes wrong or missing. Defaults are set a little worse than what
`make eval` measured for the real detectors at 1280x720 (recall 0.997, centre
error median 0.5-1 px, type accuracy 0.999).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tracking.tracker import Observation
from ..table_geometry import ball_type_of_number

TYPES = ('cue', 'eight', 'solid', 'stripe')


@dataclass
class DetectionFaults:
    sigma_m: float = 0.002           # position noise per axis [m]
    miss: float = 0.01               # chance to miss a ball at rest
    miss_fast: float = 0.05          # ... a ball faster than 2 m/s (blur)
    wrong_type: float = 0.02         # chance of a wrong type
    no_number: float = 0.3           # chance that no number is read
    wrong_number: float = 0.03       # chance of a wrong number


def px_per_m(truth: dict) -> float:
    corners = np.asarray(truth['table']['corners_px'], float)
    return float(np.linalg.norm(corners[1] - corners[0]) / truth['table']['size_m'][0])


def observations_from_truth(truth: dict, rng: np.random.Generator,
                            faults: DetectionFaults | None = None) -> list[Observation]:
    f = faults or DetectionFaults()
    scale = px_per_m(truth)
    out = []
    for b in truth['balls']:
        if not b['visible']:
            continue
        speed = float(np.hypot(*b['velocity_mps']))
        if rng.random() < (f.miss_fast if speed > 2.0 else f.miss):
            continue
        noise = rng.normal(0.0, f.sigma_m, 2)
        x, y = np.asarray(b['position_m']) + noise
        kind, number = b['type'], b['number']
        if rng.random() < f.wrong_type:
            kind = str(rng.choice([t for t in TYPES if t != kind]))
            number = None
        elif rng.random() < f.no_number:
            number = None
        elif rng.random() < f.wrong_number:
            number = int(rng.choice([n for n in range(16) if ball_type_of_number(n) == kind and n != number]
                                    or [number]))
        # Image y runs against table y on the synthetic camera (top of the picture = +y).
        out.append(Observation(float(x), float(y), b['x'] + noise[0] * scale, b['y'] - noise[1] * scale,
                               b['radius'], kind, number, 0.9, 1.0))
    rng.shuffle(out)
    return out
