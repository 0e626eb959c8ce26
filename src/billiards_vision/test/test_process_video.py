# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""process_video on a short synthetic clip, and evaluate --tracking on its output."""
import json

import cv2
import pytest

from billiards_vision.tools import evaluate, process_video, simulate


@pytest.mark.parametrize('search', ['incremental', 'full'])  # the live node's ball search, and every frame in full
def test_clip_tracked_and_scored(tmp_path, search):
    clip = tmp_path / 'clip'
    assert simulate.main(['--scenario', 'single_shot', '--seconds', '1.0', '--resolution', '960x540', '--seed', '2',
                          '--out', str(clip), '--quiet']) == 0
    video = next(p for p in (clip / 'video.mp4', clip / 'video.avi') if p.exists())
    out = tmp_path / 'tracks.jsonl'
    assert process_video.main([str(video), '--out', str(out), '--ball-search', search, '--quiet']) == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r['frame'] for r in lines] == list(range(30))
    assert lines[1]['stamp'] - lines[0]['stamp'] > 0
    keys = {'id', 'x_px', 'y_px', 'x_m', 'y_m', 'vx', 'vy', 'type', 'number', 'state'}
    late = lines[-1]['tracks']
    assert len(late) == 2 and all(keys <= set(t) for t in late)
    assert {t['type'] for t in late} >= {'cue'}
    ids = {t['id'] for t in late}
    assert all({t['id'] for t in r['tracks']} == ids for r in lines[5:])
    assert all(set(r) >= {'frame', 'stamp', 'tracks', 'events', 'cue', 'prediction'} for r in lines)

    report = tmp_path / 'report'
    assert evaluate.main(['--gt', str(clip / 'ground_truth.jsonl'), '--pred', str(out), '--out', str(report),
                          '--tracking']) == 0
    metrics = json.loads((report / 'metrics.json').read_text())
    assert metrics['tracking']['id_switches'] == 0
    assert metrics['tracking']['idf1'] >= 0.9
    assert metrics['balls']['recall'] >= 0.9


def test_image_folder_and_bad_input(tmp_path, capsys):
    clip = tmp_path / 'clip'
    assert simulate.main(['--scenario', 'rack', '--seconds', '0.2', '--resolution', '640x360', '--out', str(clip),
                          '--quiet']) == 0
    cap = cv2.VideoCapture(str(next(p for p in (clip / 'video.mp4', clip / 'video.avi') if p.exists())))
    folder = tmp_path / 'frames'
    folder.mkdir()
    for k in range(3):
        ok, image = cap.read()
        assert ok
        cv2.imwrite(str(folder / f'frame{k}.png'), image)
    cap.release()
    out = tmp_path / 'f.jsonl'
    assert process_video.main([str(folder), '--out', str(out), '--fps', '10', '--quiet']) == 0
    stamps = [json.loads(line)['stamp'] for line in out.read_text().splitlines()]
    assert stamps == [0.0, 0.1, 0.2]
    assert process_video.main([str(tmp_path / 'missing.mp4'), '--out', str(out), '--quiet']) == 2
    assert 'no such video file' in capsys.readouterr().err
