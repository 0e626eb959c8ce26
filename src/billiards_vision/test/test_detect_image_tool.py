# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""detect_image: JSON output, annotated picture, --params, bad input."""
import json

import cv2

from billiards_vision.tools import detect_image

from detect_helpers import drawn_table


def _picture(tmp_path):
    # Ball radius as the 9 ft preset predicts for this drawn table (9.55 px).
    image, corners = drawn_table(balls=[(400.0, 270.0, 9.5, (30, 30, 200)), (500.0, 200.0, 9.5, (240, 240, 240))])
    path = tmp_path / 'table.png'
    cv2.imwrite(str(path), image)
    return path


def test_json_output(tmp_path, capsys):
    path = _picture(tmp_path)
    assert detect_image.main([str(path), '--json']) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {'table', 'balls', 'cue'}
    assert len(out['table']['corners_px']) == 4 and len(out['table']['pockets_px']) == 6
    assert len(out['balls']) == 2
    for ball in out['balls']:
        assert set(ball) == {'x', 'y', 'radius', 'type', 'number', 'confidence'}
        assert ball['type'] in ('cue', 'eight', 'solid', 'stripe', 'unknown')
        assert 0.0 <= ball['confidence'] <= 1.0
    assert out['cue'] is None


def test_annotated_picture_and_params_file(tmp_path, capsys):
    path = _picture(tmp_path)
    params = tmp_path / 'params.yaml'
    params.write_text('table_detector:\n  ros__parameters:\n    manual_corners: [60.0, 40.0, 900.0, 40.0, '
                      '900.0, 500.0, 60.0, 500.0]\n')
    assert detect_image.main([str(path), '--params', str(params)]) == 0
    out = tmp_path / 'table_detections.png'
    assert out.exists() and cv2.imread(str(out)).shape == cv2.imread(str(path)).shape
    assert detect_image.main([str(path), '--params', str(params), '--json']) == 0
    capsys.readouterr()
    detect_image.main([str(path), '--params', str(params), '--json'])
    table = json.loads(capsys.readouterr().out)['table']
    assert table['corners_px'][0] == [60.0, 40.0]


def test_bad_inputs(tmp_path, capsys):
    assert detect_image.main([str(tmp_path / 'missing.png')]) == 2
    path = _picture(tmp_path)
    bad = tmp_path / 'bad.yaml'
    bad.write_text('table_detector:\n  ros__parameters:\n    table_size: 10ft\n')
    assert detect_image.main([str(path), '--params', str(bad)]) == 2
    assert 'table_size' in capsys.readouterr().err
