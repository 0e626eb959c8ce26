# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""The `evaluate` and `eval_tracking` commands: perfect self-scores, the report files, clear errors."""
import json

import pytest

from billiards_vision.tools import eval_tracking
from billiards_vision.tools.evaluate import main


def _ground_truth(n_frames=5):
    frames = []
    for f in range(n_frames):
        frames.append({
            'frame': f, 't': f / 30.0, 'image_size': [640, 360],
            'camera': {'K': [[500, 0, 320], [0, 500, 180], [0, 0, 1]], 'dist': [0, 0, 0, 0, 0],
                       'rvec': [0, 0, 0], 'tvec': [0, 0, 2], 'height_m': 2.0},
            'table': {'corners_px': [[40, 40], [600, 40], [600, 320], [40, 320]],
                      'pockets_px': [[40, 40], [320, 36], [600, 40], [600, 320], [320, 324], [40, 320]],
                      'size_m': [2.54, 1.27]},
            'balls': [{'id': n, 'number': n, 'type': t, 'x': 100.0 + 60 * n + 3 * f, 'y': 150.0,
                       'radius': 8.0, 'position_m': [0.0, 0.0], 'velocity_mps': [0.2, 0.0],
                       'visible': True, 'pocketed': False}
                      for n, t in ((0, 'cue'), (8, 'eight'), (3, 'solid'))],
            'cue': {'tip_px': [90.0, 200.0], 'butt_px': [10.0, 260.0], 'angle_deg': -36.87,
                    'tip_m': [0.0, 0.0]},
            'markers_px': [[200.0, 250.0]],
        })
    return frames


def test_ground_truth_as_predictions_scores_perfectly(tmp_path, capsys):
    gt_path = tmp_path / 'ground_truth.jsonl'
    gt_path.write_text(''.join(json.dumps(r) + '\n' for r in _ground_truth()))
    out = tmp_path / 'report'
    assert main(['--gt', str(gt_path), '--pred', str(gt_path), '--out', str(out), '--tracking']) == 0
    printed = capsys.readouterr().out
    assert 'ball F1' in printed and 'MOTA' in printed
    for name in ('metrics.json', 'report.md', 'centre_error.png', 'type_confusion.png',
                 'per_frame_recall.png'):
        assert (out / name).stat().st_size > 0
    m = json.loads((out / 'metrics.json').read_text())
    assert m['balls']['precision'] == m['balls']['recall'] == m['balls']['f1'] == 1.0
    assert m['balls']['tp'] == 15 and m['balls']['centre_error_px']['max'] == 0.0
    assert m['types']['accuracy'] == 1.0
    assert m['table']['corner_error_px']['max'] == 0.0 and m['cue']['angle_error_deg']['max'] == 0.0
    t = m['tracking']
    assert t['mota'] == 1.0 and t['idf1'] == 1.0 and t['id_switches'] == 0
    assert (out / 'report.md').read_text().startswith('# Evaluation report')


def test_predictions_with_misses(tmp_path, capsys):
    gt = _ground_truth()
    gt_path = tmp_path / 'ground_truth.jsonl'
    gt_path.write_text(''.join(json.dumps(r) + '\n' for r in gt))
    preds = [{'frame': r['frame'], 'table': None, 'cue': None,
              'balls': [{'x': b['x'] + 1.0, 'y': b['y'], 'radius': 8.0, 'type': b['type'],
                         'number': b['number'], 'confidence': 0.9, 'track_id': b['id']}
                        for b in r['balls'][:2]]}
             for r in gt[:4]]
    pred_path = tmp_path / 'predictions.jsonl'
    pred_path.write_text(''.join(json.dumps(r) + '\n' for r in preds))
    out = tmp_path / 'o'
    assert main(['--gt', str(gt_path), '--pred', str(pred_path), '--out', str(out), '--tracking']) == 0
    m = json.loads((out / 'metrics.json').read_text())
    # 5 frames x 3 balls; 4 frames predicted with 2 balls each: 8 of 15 found, 1 px off.
    assert m['balls']['recall'] == 8 / 15 and m['balls']['precision'] == 1.0
    assert m['balls']['centre_error_px']['median'] == 1.0
    assert m['frames']['n_missing_pred'] == 1 and m['cue']['n_detected'] == 0
    assert m['tracking']['mota'] == 8 / 15


def test_missing_and_malformed_files_exit_nonzero(tmp_path, capsys):
    gt_path = tmp_path / 'ground_truth.jsonl'
    gt_path.write_text(json.dumps(_ground_truth(1)[0]) + '\n')
    missing = tmp_path / 'missing.jsonl'
    assert main(['--gt', str(gt_path), '--pred', str(missing), '--out', str(tmp_path)]) == 2
    assert 'missing.jsonl: file not found' in capsys.readouterr().err
    bad = tmp_path / 'bad.jsonl'
    bad.write_text('{"frame": 0, "balls": [}\n')
    assert main(['--gt', str(gt_path), '--pred', str(bad), '--out', str(tmp_path)]) == 2
    assert 'bad.jsonl:1: not valid JSON' in capsys.readouterr().err
    assert main(['--real', str(tmp_path), '--pred', str(gt_path), '--out', str(tmp_path)]) == 2
    assert 'no real/ folder' in capsys.readouterr().err
    assert main(['--real', str(tmp_path), '--pred', str(gt_path), '--out', str(tmp_path),
                 '--tracking']) == 2
    assert '--tracking needs --gt' in capsys.readouterr().err
    assert not (tmp_path / 'metrics.json').exists()


def test_eval_tracking_makes_its_work_folder_and_refuses_a_replay_without_one(tmp_path, capsys):
    work, out = tmp_path / 'new' / 'work', tmp_path / 'rows.json'
    assert eval_tracking.main(['--scenarios', 'single_shot', '--every', '3', '--work', str(work),
                               '--json', str(out)]) == 0
    assert work.is_dir()
    rows = json.loads(out.read_text())
    assert rows and rows[0]['id_switches'] == 0
    with pytest.raises(SystemExit) as exc:
        eval_tracking.main(['--detections', 'video', '--replay', '--work', str(tmp_path / 'missing')])
    assert exc.value.code == 2 and '--replay needs --work' in capsys.readouterr().err
