# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Loaders: the real-data layout (rebuilt in tmp_path), prediction files, malformed input."""
import json

import cv2
import numpy as np
import pytest

from billiards_vision.evaluation import (DatasetError, load_ground_truth, load_predictions, load_real_dataset,
                                         score_detections)

FIELD = (100, 80, 500, 300)   # x0, y0, x1, y1 of the class-5 playing field in the masks


def build_real_layout(root):
    """A miniature copy of the shared data layout: target table frames and one broadcast clip."""
    real = root / 'real'
    (real / 'broadcast' / 'game1_clip1').mkdir(parents=True)
    cv2.imwrite(str(real / 'table_w_balls.jpg'), np.zeros((72, 128, 3), np.uint8))
    cv2.imwrite(str(real / 'empty_table.jpg'), np.zeros((72, 128, 3), np.uint8))
    (real / 'table_w_balls.gt.json').write_text(json.dumps({
        'image': 'table_w_balls.jpg',
        'balls': [{'x': 50.5, 'y': 20.5, 'r': 13.5}, {'x': 80.5, 'y': 40.5, 'r': 12.0}],
        'cue_ball': {'x': 80.5, 'y': 40.5},
        'not_balls': [{'x': 30, 'y': 34, 'what': 'marker dot'}, {'x': 91, 'y': 34, 'what': 'marker dot'}]}))
    clip = real / 'broadcast' / 'game1_clip1'
    for sub in ('frames', 'bounding_boxes', 'masks'):
        (clip / sub).mkdir()
    mask = np.zeros((576, 1024, 3), np.uint8)
    x0, y0, x1, y1 = FIELD
    mask[y0:y1 + 1, x0:x1 + 1] = 5
    for name, lines in (('frame_first', ['268 317 17 17 1', '469 154 15 15 2', '200 100 18 18 3']),
                        ('frame_last', ['300 200 16 18 4'])):
        cv2.imwrite(str(clip / 'frames' / f'{name}.png'), np.zeros((576, 1024, 3), np.uint8))
        cv2.imwrite(str(clip / 'masks' / f'{name}.png'), mask)
        (clip / 'bounding_boxes' / f'{name}_bbox.txt').write_text('\n'.join(lines))   # no final newline
    return real


def test_real_dataset_records(tmp_path):
    real = build_real_layout(tmp_path)
    records = load_real_dataset(tmp_path)
    names = [r['name'] for r in records]
    assert names == ['real/table_w_balls.jpg', 'real/empty_table.jpg',
                     'real/broadcast/game1_clip1/frames/frame_first.png',
                     'real/broadcast/game1_clip1/frames/frame_last.png']
    table, empty, first, last = records
    assert table['image'] == str((real / 'table_w_balls.jpg').resolve())
    assert table['image_size'] == [128, 72] and table['dataset'] == 'target_table'
    assert [(b['x'], b['y'], b['radius'], b['type']) for b in table['balls']] == [
        (50.5, 20.5, 13.5, 'unknown'), (80.5, 40.5, 12.0, 'cue')]
    assert table['not_balls'] == [[30.0, 34.0], [91.0, 34.0]] and table['cue'] is None
    assert empty['balls'] == [] and empty['not_balls'] == table['not_balls']
    assert first['image_size'] == [1024, 576] and first['dataset'] == 'broadcast'
    assert len(first['balls']) == 3 and len(last['balls']) == 1
    cue = first['balls'][0]
    assert (cue['x'], cue['y'], cue['radius'], cue['type']) == (276.5, 325.5, 8.5, 'cue')
    assert cue['bbox'] == [268.0, 317.0, 17.0, 17.0]
    assert [b['type'] for b in first['balls']] == ['cue', 'eight', 'solid']
    assert last['balls'][0]['type'] == 'stripe' and last['balls'][0]['radius'] == 8.5
    assert first['field_mask'].endswith('masks/frame_first.png') and 'cue' not in first


def test_scoring_real_records_with_relative_paths(tmp_path):
    build_real_layout(tmp_path)
    records = load_real_dataset(tmp_path)
    x0, y0, x1, y1 = FIELD
    preds = []
    for rec in records:
        balls = [{'x': b['x'], 'y': b['y'], 'radius': b['radius'], 'type': b['type']} for b in rec['balls']]
        preds.append({'image': rec['name'], 'balls': balls, 'cue': None,
                      'table': {'corners_px': [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]}})
    preds[1]['balls'].append({'x': 31.0, 'y': 34.0, 'radius': 5.0, 'type': 'cue'})   # a marker dot
    preds[3]['image'] = 'broadcast/game1_clip1/frames/frame_last.png'           # tail of the path
    m = score_detections(records, preds, image_root=tmp_path)
    assert m['frames']['n_missing_pred'] == 0 and m['frames']['n_unused_pred'] == 0
    assert (m['balls']['tp'], m['balls']['fp'], m['balls']['marker_fp']) == (6, 1, 1)
    assert [row['match'] for row in m['per_frame']] == ['distance', 'distance', 'iou', 'iou']
    assert m['types']['n'] == 5 and m['types']['accuracy'] == 1.0
    assert m['table']['field_iou']['n'] == 4 - 2 and m['table']['field_iou']['min'] == 1.0
    assert m['cue']['n_without_cue'] == 2 and m['cue']['false_positives'] == 0
    assert set(m['by_dataset']) == {'broadcast', 'target_table'}
    assert m['by_dataset']['target_table']['balls']['precision'] == pytest.approx(2 / 3)


def test_missing_data_root_is_reported(tmp_path):
    with pytest.raises(DatasetError, match='no real/ folder'):
        load_real_dataset(tmp_path)


def test_bad_bbox_line_is_reported(tmp_path):
    real = build_real_layout(tmp_path)
    (real / 'broadcast/game1_clip1/bounding_boxes/frame_last_bbox.txt').write_text('300 200 16 18 9\n')
    with pytest.raises(DatasetError, match='frame_last_bbox.txt:1'):
        load_real_dataset(tmp_path)


def _write_lines(path, records):
    path.write_text('\n'.join(json.dumps(r) for r in records) + '\n')
    return path


def test_ground_truth_file_as_predictions_is_converted(tmp_path):
    gt = [{'frame': 0, 'balls': [{'id': 3, 'number': 3, 'type': 'solid', 'x': 10.0, 'y': 20.0, 'radius': 9.0,
                                  'visible': True, 'velocity_mps': [0.1, 0.0]},
                                 {'id': 5, 'number': 5, 'type': 'solid', 'x': None, 'y': None, 'radius': 9.0,
                                  'visible': False}],
           'table': None, 'cue': None}]
    path = _write_lines(tmp_path / 'ground_truth.jsonl', gt)
    assert load_ground_truth(path)[0]['balls'][0]['id'] == 3
    pred = load_predictions(path)
    assert pred == [{'frame': 0, 'balls': [{'x': 10.0, 'y': 20.0, 'radius': 9.0, 'type': 'solid', 'number': 3,
                                            'confidence': 1.0, 'track_id': 3, 'velocity_mps': [0.1, 0.0]}],
                     'table': None, 'cue': None}]


@pytest.mark.parametrize('content, message', [
    ('{"frame": 0, "balls": []}\n{"frame": 1, "balls": [\n', r'preds.jsonl:2: not valid JSON'),
    ('{"balls": []}\n', 'neither "frame" nor "image"'),
    ('{"frame": 0, "balls": [{"x": 1, "y": 2}]}\n', 'ball 0 "radius"'),
    ('{"frame": 0, "balls": [{"x": 1, "y": 2, "radius": 3, "type": "ghost"}]}\n', "type 'ghost'"),
    ('{"frame": 0, "balls": [], "cue": {"tip_px": [1, 2]}}\n', 'angle_deg'),
    ('{"frame": 0, "balls": [], "table": {"corners_px": [[0, 0], [1, 0], [1, 1]]}}\n', 'needs 4 points'),
    ('{"frame": 0}\n', 'no "balls" key'),
    ('\n', 'no records'),
])
def test_malformed_predictions_are_reported(tmp_path, content, message):
    path = tmp_path / 'preds.jsonl'
    path.write_text(content)
    with pytest.raises(DatasetError, match=message):
        load_predictions(path)


def test_missing_file_and_duplicate_frames(tmp_path):
    with pytest.raises(DatasetError, match='file not found'):
        load_predictions(tmp_path / 'nope.jsonl')
    gt = [{'frame': 0, 'balls': []}]
    with pytest.raises(DatasetError, match='frame 0 twice'):
        score_detections(gt, [{'frame': 0, 'balls': []}, {'frame': 0, 'balls': []}])
