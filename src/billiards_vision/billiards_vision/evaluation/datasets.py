# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Loading ground truth, predictions and the labelled real data set.

- ``load_ground_truth(path)``: synthetic ``ground_truth.jsonl`` (schema in the team brief).
- ``load_predictions(path)``: predictions ``.jsonl``, one detection object per line with a
  ``"frame"`` (int) or ``"image"`` (path) key. ``process_video`` lines (``"tracks"`` instead
  of ``"balls"``) are converted with ``tracks_as_predictions``: the tracks seen in that frame
  (moving or stationary) become balls with their track_id and velocity_mps. A ground-truth file given as predictions is
  converted with ``ground_truth_as_predictions`` (visible balls only, track_id = ball id), so
  scoring ground truth against itself gives perfect scores.
- ``load_real_dataset(root)``: records for the real labelled frames under ``root/real`` (see
  ``root/README.md``); each record looks like a ground-truth frame keyed by ``"image"``.

Keys that a data set does not label are left out of its records (no ``"table"`` / ``"cue"``
key) so the metrics skip them, while ``"cue": None`` means "labelled: no cue in view".
Malformed input raises ``DatasetError`` naming the file and line.
"""
from __future__ import annotations

import copy
import json
import math
import os
from pathlib import Path

import cv2

# Broadcast bounding-box classes (README of the data set).
BROADCAST_CLASSES = {1: 'cue', 2: 'eight', 3: 'solid', 4: 'stripe'}
BALL_TYPE_NAMES = ('cue', 'eight', 'solid', 'stripe', 'unknown')


class DatasetError(ValueError):
    """A missing or malformed ground-truth, prediction or data-set file."""


def _read_json_records(path) -> list[dict]:
    """JSON objects from a .jsonl file (one per line) or a .json file (object or list)."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f'{path}: file not found')
    text = path.read_text(encoding='utf-8')
    if path.suffix == '.json':
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DatasetError(f'{path}: not valid JSON ({exc})') from None
        records = data if isinstance(data, list) else [data]
    else:
        records = []
        for lineno, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise DatasetError(f'{path}:{lineno}: not valid JSON ({exc.msg})') from None
    for i, rec in enumerate(records, 1):
        if not isinstance(rec, dict):
            raise DatasetError(f'{path}: record {i} is {type(rec).__name__}, expected a JSON object')
    if not records:
        raise DatasetError(f'{path}: no records')
    return records


def _number(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise DatasetError(f'{where}: expected a finite number, got {value!r}')
    return float(value)


def _point(value, where: str) -> list[float]:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise DatasetError(f'{where}: expected [x, y], got {value!r}')
    return [_number(value[0], where), _number(value[1], where)]


def _check_frame(rec: dict, where: str, ball_keys=('x', 'y', 'radius')) -> None:
    """Validate the parts of a frame record that the metrics read."""
    if 'frame' not in rec and 'image' not in rec:
        raise DatasetError(f'{where}: record has neither "frame" nor "image" key')
    if 'frame' in rec and (isinstance(rec['frame'], bool) or not isinstance(rec['frame'], int)):
        raise DatasetError(f'{where}: "frame" must be an integer, got {rec["frame"]!r}')
    balls = rec.get('balls', [])
    if not isinstance(balls, list):
        raise DatasetError(f'{where}: "balls" must be a list')
    for j, ball in enumerate(balls):
        if not isinstance(ball, dict):
            raise DatasetError(f'{where}: ball {j} is not an object')
        if ball.get('visible', True) is False:
            continue  # pocketed / off-image balls may carry no image position
        for key in ball_keys:
            _number(ball.get(key), f'{where}: ball {j} "{key}"')
        if ball.get('type', 'unknown') not in BALL_TYPE_NAMES:
            raise DatasetError(f'{where}: ball {j} type {ball.get("type")!r} is not one of '
                               f'{", ".join(BALL_TYPE_NAMES)}')
    table = rec.get('table')
    if table is not None:
        if not isinstance(table, dict):
            raise DatasetError(f'{where}: "table" must be an object or null')
        corners = table.get('corners_px')
        if corners is not None:
            if len(corners) != 4:
                raise DatasetError(f'{where}: table "corners_px" needs 4 points, got {len(corners)}')
            for c in corners:
                _point(c, f'{where}: table corner')
        for p in table.get('pockets_px') or []:
            _point(p, f'{where}: table pocket')
    cue = rec.get('cue')
    if cue is not None:
        if not isinstance(cue, dict):
            raise DatasetError(f'{where}: "cue" must be an object or null')
        _point(cue.get('tip_px'), f'{where}: cue "tip_px"')
        _number(cue.get('angle_deg'), f'{where}: cue "angle_deg"')


def is_ground_truth_record(rec: dict) -> bool:
    """True for a synthetic ground-truth frame (balls carry "id" / "visible")."""
    return any(isinstance(b, dict) and ('id' in b or 'visible' in b) for b in rec.get('balls', []))


def load_ground_truth(path) -> list[dict]:
    """Frames of a synthetic ``ground_truth.jsonl``, validated, in file order."""
    records = _read_json_records(path)
    for i, rec in enumerate(records, 1):
        _check_frame(rec, f'{path}: record {i}')
        if 'frame' not in rec:
            raise DatasetError(f'{path}: record {i} has no "frame" key (not a ground_truth.jsonl?)')
    return records


def ground_truth_as_predictions(gt_frames: list[dict]) -> list[dict]:
    """Convert ground-truth frames to the prediction schema (a perfect detector and tracker)."""
    preds = []
    for rec in copy.deepcopy(gt_frames):  # predictions must not share lists with the ground truth
        pred = {k: rec[k] for k in ('frame', 'image') if k in rec}
        pred['balls'] = [
            {'x': b['x'], 'y': b['y'], 'radius': b['radius'], 'type': b.get('type', 'unknown'),
             'number': b.get('number'), 'confidence': 1.0,
             **({'track_id': b['id']} if 'id' in b else {}),
             **({'velocity_mps': b['velocity_mps']} if 'velocity_mps' in b else {})}
            for b in rec.get('balls', []) if b.get('visible', True)]
        table = rec.get('table')
        pred['table'] = None if table is None else {
            'corners_px': table.get('corners_px'), 'pockets_px': table.get('pockets_px', [])}
        cue = rec.get('cue')
        pred['cue'] = None if cue is None else {'tip_px': cue['tip_px'], 'angle_deg': cue['angle_deg']}
        preds.append(pred)
    return preds


SEEN_STATES = ('moving', 'stationary')


def tracks_as_predictions(records: list[dict], where: str = 'predictions') -> list[dict]:
    """process_video lines -> prediction frames (the line's other keys are kept for event scores)."""
    preds = []
    for i, rec in enumerate(records, 1):
        tracks = rec.get('tracks')
        if not isinstance(tracks, list):
            raise DatasetError(f'{where}: record {i} has no "tracks" list')
        balls = []
        for j, t in enumerate(tracks):
            if not isinstance(t, dict) or 'id' not in t or 'state' not in t:
                raise DatasetError(f'{where}: record {i} track {j} needs "id" and "state"')
            if t['state'] not in SEEN_STATES:
                continue
            balls.append({'x': _number(t.get('x_px'), f'{where}: record {i} track {j} "x_px"'),
                          'y': _number(t.get('y_px'), f'{where}: record {i} track {j} "y_px"'),
                          'radius': float(t.get('radius_px') or 0.0), 'type': t.get('type') or 'unknown',
                          'number': t.get('number'), 'confidence': float(t.get('type_confidence', 1.0)),
                          'track_id': t['id'], 'velocity_mps': [float(t.get('vx', 0.0)), float(t.get('vy', 0.0))]})
        pred = dict(rec)
        pred['balls'] = balls
        cue = rec.get('cue')
        has_tip = bool(cue) and cue.get('tip_px') is not None
        pred['cue'] = {'tip_px': cue['tip_px'], 'angle_deg': cue['angle_deg']} if has_tip else None
        preds.append(pred)
    return preds


def load_predictions(path) -> list[dict]:
    """Prediction frames from a .jsonl (or .json) file; ground-truth files are converted."""
    records = _read_json_records(path)
    if all('tracks' in r and 'balls' not in r for r in records):
        records = tracks_as_predictions(records, str(path))
    if any(is_ground_truth_record(r) for r in records):
        for i, rec in enumerate(records, 1):
            _check_frame(rec, f'{path}: record {i}')
        return ground_truth_as_predictions(records)
    for i, rec in enumerate(records, 1):
        _check_frame(rec, f'{path}: record {i}')
        if 'balls' not in rec:
            raise DatasetError(f'{path}: record {i} has no "balls" key')
    return records


def _image_size(path: Path) -> list[int]:
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise DatasetError(f'{path}: cannot read image')
    return [int(img.shape[1]), int(img.shape[0])]


def _target_table_records(real: Path) -> list[dict]:
    gt_path = real / 'table_w_balls.gt.json'
    try:
        gt = json.loads(gt_path.read_text(encoding='utf-8'))
    except (OSError, json.JSONDecodeError) as exc:
        raise DatasetError(f'{gt_path}: cannot read labels ({exc})') from None
    cue = gt.get('cue_ball') or {}
    balls = []
    for j, b in enumerate(gt.get('balls', [])):
        x, y = _number(b.get('x'), f'{gt_path}: ball {j} x'), _number(b.get('y'), f'{gt_path}: ball {j} y')
        r = _number(b.get('r', b.get('radius')), f'{gt_path}: ball {j} r')
        # Only the cue ball's type is labelled; the other types are "uncertain" per the labels.
        is_cue = bool(cue) and math.hypot(x - cue['x'], y - cue['y']) < 1.0
        balls.append({'x': x, 'y': y, 'radius': r, 'type': 'cue' if is_cue else 'unknown',
                      'number': 0 if is_cue else None})
    markers = [[_number(m['x'], f'{gt_path}: not_balls'), _number(m['y'], f'{gt_path}: not_balls')]
               for m in gt.get('not_balls', [])]
    records = []
    image = real / gt.get('image', 'table_w_balls.jpg')
    records.append({'image': str(image.resolve()), 'image_size': _image_size(image), 'balls': balls,
                    'not_balls': markers, 'cue': None, 'dataset': 'target_table',
                    'name': 'real/' + image.name})
    empty = real / 'empty_table.jpg'
    if empty.is_file():
        # Same fixed camera and cloth: the marker dots of the labelled frame are there too.
        records.append({'image': str(empty.resolve()), 'image_size': _image_size(empty), 'balls': [],
                        'not_balls': [list(m) for m in markers], 'cue': None,
                        'dataset': 'target_table', 'name': 'real/empty_table.jpg'})
    return records


def read_bbox_file(path) -> list[dict]:
    """Balls of one broadcast ``*_bbox.txt`` (``x y w h class``, (x, y) the top-left corner).

    The centre is taken as (x + w/2, y + h/2) and the radius as (w + h)/4, so a predicted
    ball turned back into a box [x-r, y-r, 2r, 2r] reproduces the labelled box.
    """
    balls = []
    for lineno, line in enumerate(Path(path).read_text(encoding='utf-8').splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split()
        try:
            x, y, w, h, cls = (float(p) for p in parts)
        except ValueError:
            raise DatasetError(f'{path}:{lineno}: expected "x y w h class", got {line!r}') from None
        if int(cls) not in BROADCAST_CLASSES or w <= 0 or h <= 0:
            raise DatasetError(f'{path}:{lineno}: bad box or class in {line!r}')
        balls.append({'x': x + w / 2.0, 'y': y + h / 2.0, 'radius': (w + h) / 4.0,
                      'type': BROADCAST_CLASSES[int(cls)], 'number': None, 'bbox': [x, y, w, h]})
    return balls


def _broadcast_records(real: Path) -> list[dict]:
    records = []
    for clip in sorted(p for p in (real / 'broadcast').glob('*') if p.is_dir()):
        for frame in sorted((clip / 'frames').glob('frame_*.png')):
            bbox = clip / 'bounding_boxes' / f'{frame.stem}_bbox.txt'
            if not bbox.is_file():
                raise DatasetError(f'{frame}: no labels at {bbox}')
            mask = clip / 'masks' / frame.name
            records.append({'image': str(frame.resolve()), 'image_size': _image_size(frame),
                            'balls': read_bbox_file(bbox), 'not_balls': [], 'dataset': 'broadcast',
                            'name': os.path.relpath(frame, real.parent),
                            'field_mask': str(mask.resolve()) if mask.is_file() else None})
    return records


def load_real_dataset(root) -> list[dict]:
    """Records for the labelled real frames under ``root`` (the folder with README.md and real/).

    Each record: {"image": absolute path, "image_size": [w, h], "balls": [{"x", "y", "radius",
    "type", "number", "bbox" (broadcast only)}], "not_balls": [[x, y], ...] (marker dots),
    "dataset": "target_table" | "broadcast", "name": path relative to root}. Target-table
    records carry "cue": None (no cue stick in view); broadcast records carry "field_mask"
    (class-5 playing-field mask path) and no "cue" key (cue sticks there are not labelled).
    """
    real = Path(root) / 'real'
    if not real.is_dir():
        raise DatasetError(f'{root}: no real/ folder (expected the shared data root)')
    records = []
    if (real / 'table_w_balls.gt.json').is_file():
        records += _target_table_records(real)
    if (real / 'broadcast').is_dir():
        records += _broadcast_records(real)
    if not records:
        raise DatasetError(f'{real}: no labelled frames found')
    return records
