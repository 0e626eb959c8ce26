# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""The `eval_robustness` command: the camera degradations and a tiny end-to-end run."""
import json

import cv2
import numpy as np
import pytest

from billiards_vision.tools.eval_robustness import (DEGRADATIONS, defocus, degradation_rng, exposure, jpeg, main,
                                                    sensor_noise, vignette, white_balance)


def _table_like_image(h=120, w=200):
    """Cloth-coloured gradient with a few balls: edges and flat areas, like a frame of the table."""
    image = np.zeros((h, w, 3), np.uint8)
    image[:] = (110, 120, 20)
    image[..., 1] = np.linspace(90, 150, w, dtype=np.uint8)[None, :]
    for x, colour in ((40, (255, 255, 255)), (100, (0, 200, 230)), (160, (20, 20, 20))):
        cv2.circle(image, (x, h // 2), 14, colour, -1, cv2.LINE_AA)
    return image


@pytest.mark.parametrize('name', list(DEGRADATIONS))
def test_every_degradation_keeps_shape_and_dtype(name):
    image = _table_like_image()
    out = DEGRADATIONS[name](image, degradation_rng(0, name))
    assert out.shape == image.shape and out.dtype == np.uint8
    assert (out == image).all() == (name == 'none')


def test_jpeg_changes_pixels_but_keeps_the_mean():
    image = _table_like_image()
    out = jpeg(image, 60)
    assert np.abs(out.astype(int) - image).max() > 5
    assert np.abs(out.reshape(-1, 3).mean(0) - image.reshape(-1, 3).mean(0)).max() < 3.0


def test_exposure_and_white_balance_scale_and_saturate():
    image = np.full((4, 4, 3), (100, 150, 200), np.uint8)
    assert exposure(image, 0.6)[0, 0].tolist() == [60, 90, 120]
    assert exposure(image, 1.4)[0, 0].tolist() == [140, 210, 255]   # highlights clip
    assert white_balance(image, (0.8, 1.0, 1.2))[0, 0].tolist() == [80, 150, 240]


def test_seeded_noise_is_reproducible_with_the_asked_sigma():
    grey = np.full((200, 200, 3), 128, np.uint8)
    a = sensor_noise(grey, np.random.default_rng(5), 8.0)
    b = sensor_noise(grey, np.random.default_rng(5), 8.0)
    c = sensor_noise(grey, np.random.default_rng(6), 8.0)
    assert (a == b).all() and not (a == c).all()
    diff = a.astype(float) - 128
    assert abs(diff.mean()) < 0.2 and 7.8 < diff.std() < 8.2
    # Each degradation draws from its own stream, so a subset of them gives the same pixels.
    first = DEGRADATIONS['noise8'](grey, degradation_rng(3, 'noise8'))
    assert (first == DEGRADATIONS['noise8'](grey, degradation_rng(3, 'noise8'))).all()


def test_vignette_darkens_corners_not_centre_and_defocus_softens_edges():
    flat = np.full((101, 201, 3), 200, np.uint8)
    v = vignette(flat, 0.4)
    assert v[50, 100].tolist() == [200] * 3 and v[0, 0].tolist() == [120] * 3
    assert v[50, 0, 0] > v[0, 0, 0]
    image = _table_like_image()
    soft = defocus(image, 1.5)
    sharpness = [np.abs(np.diff(im.astype(float), axis=1)).max() for im in (image, soft)]
    assert sharpness[1] < 0.7 * sharpness[0]
    assert np.abs(soft.astype(float).mean() - image.astype(float).mean()) < 1.0


def test_main_scores_the_same_frames_under_each_degradation(tmp_path, capsys):
    out = tmp_path / 'robustness.json'
    assert main(['--width', '640', '--height', '360', '--frames', '3', '--every', '3', '--scenarios', 'rack',
                 '--degradations', 'none', 'jpeg60', 'none', '--json', str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith('robustness 640x360: 1 frames from 1 scenarios x 2 degradations')
    assert printed[1].split()[:4] == ['set', 'balls', 'precision', 'recall']
    rows = [line.split() for line in printed[2:]]
    assert [r[0] for r in rows] == ['none', 'jpeg60']
    m = json.loads(out.read_text())
    assert m['settings']['scenarios'] == {'rack': 'green'} and m['settings']['n_frames'] == 1
    assert list(m['degradations']) == ['none', 'jpeg60']
    for name, row in zip(m['degradations'], rows):
        d = m['degradations'][name]
        assert {'balls', 'types', 'table', 'cue', 'by_scenario', 'detect_median_ms'} <= set(d)
        assert 'per_frame' not in d and 'centre_errors_px' not in d
        assert list(d['by_scenario']) == ['rack'] and 'per_frame' not in d['by_scenario']['rack']
        # A racked table: 16 balls to find in the one frame, under every degradation.
        assert d['balls']['n_gt'] == 16 and int(row[1]) == 16
        assert d['table']['n_labelled'] == 1


@pytest.mark.parametrize('argv, message', [
    (['--degradations', 'motion'], "invalid choice: 'motion'"),
    (['--frames', '0'], 'must be a positive integer'),
    (['--every', '-2'], 'must be a positive integer'),
    (['--width', 'wide'], "'wide' is not an integer"),
    (['--scenarios', 'demo'], "unknown scenario(s) ['demo']"),
    (['--frames', '2', '--every', '6'], 'scores no frame'),
])
def test_bad_arguments_are_argparse_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err
