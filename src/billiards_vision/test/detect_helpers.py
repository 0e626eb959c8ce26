# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Drawn test pictures and cached synthetic frames for the detector tests."""
from __future__ import annotations

import functools

import cv2
import numpy as np

CLOTH = (150, 170, 20)      # teal, BGR
RAIL = (30, 40, 90)


def drawn_table(width=960, height=540, balls=(), markers=(), stick=None):
    """A plain table: floor, rail, cloth bed; balls as shaded discs. Returns (image, bed corners)."""
    img = np.full((height, width, 3), (160, 170, 180), np.uint8)
    m = int(0.06 * width)
    cv2.rectangle(img, (m - 30, m - 30), (width - m + 30, height - m + 30), RAIL, -1)
    corners = np.array([[m, m], [width - m, m], [width - m, height - m], [m, height - m]], float)
    cv2.rectangle(img, (m, m), (width - m, height - m), CLOTH, -1)
    for x, y, r, colour in balls:
        cv2.circle(img, (int(round(x * 16)), int(round(y * 16))), int(round(r * 16)), colour, -1, cv2.LINE_AA, 4)
        cv2.circle(img, (int(round((x - 0.3 * r) * 16)), int(round((y - 0.3 * r) * 16))), int(round(0.2 * r * 16)),
                   (255, 255, 255), -1, cv2.LINE_AA, 4)
    for x, y in markers:
        cv2.circle(img, (int(x), int(y)), 3, (235, 235, 235), -1, cv2.LINE_AA)
    if stick is not None:
        (x0, y0), (x1, y1), w = stick
        cv2.line(img, (int(x0 * 16), int(y0 * 16)), (int(x1 * 16), int(y1 * 16)), (120, 190, 225), w, cv2.LINE_AA, 4)
    return img, corners - 0.5


@functools.lru_cache(maxsize=None)
def sim_frames(scenario: str, cloth: str = 'teal', frames: tuple = (3,), width=1280, height=720, seed=1,
               **options):
    """[(image, truth)] of the given frame indices of a SyntheticTable run."""
    from billiards_vision.sim import SyntheticTable
    table = SyntheticTable(scenario, width, height, 30.0, seed=seed, cloth=cloth, **options)
    out = []
    for i in range(max(frames) + 1):
        image, truth = table.next_frame()
        if i in frames:
            out.append((image, truth))
    return out


def match_balls(truth, balls, gate=0.5):
    """(matched pairs [(truth ball, detection)], misses, false detections) by nearest centre."""
    gt = [b for b in truth['balls'] if b['visible']]
    used, pairs = set(), []
    for g in gt:
        best, best_d = None, gate * g['radius']
        for i, b in enumerate(balls):
            d = np.hypot(b.x - g['x'], b.y - g['y'])
            if i not in used and d < best_d:
                best, best_d = i, d
        if best is not None:
            used.add(best)
            pairs.append((g, balls[best]))
    return pairs, len(gt) - len(pairs), len(balls) - len(used)
