# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Cheaper cue detection: the exact shortcuts inside detect_cue give the same masks as the
OpenCV calls they replace, and the incremental detector (cue_detector's default) finds the stick
when it appears, follows it in a window with the full search's result, and skips frames where no
stick can have come."""
import numpy as np
import cv2
import pytest

from billiards_vision.detection import cue as cue_mod
from billiards_vision.detection.colors import ClothModel, hue_distance
from billiards_vision.detection.cue import detect_cue
from billiards_vision.detection.cue_incremental import IncrementalCueDetector, IncrementalCueParams
from billiards_vision.detection.downscale import detect_cue_at_width, scaled_part
from billiards_vision.detection.incremental import IncrementalBallDetector, IncrementalParams
from billiards_vision.detection.params import BallParams, CueParams, TableParams
from billiards_vision.detection.table import detect_table

from detect_helpers import drawn_table, sim_frames


def _angle_diff(a, b):
    return abs((a - b + 180.0) % 360.0 - 180.0)


def _sparse_mask(rng, shape=(300, 420), blobs=25):
    mask = np.zeros(shape, np.uint8)
    for _ in range(blobs):
        x, y = rng.integers(0, shape[1]), rng.integers(0, shape[0])
        cv2.ellipse(mask, (int(x), int(y)), (int(rng.integers(1, 12)), int(rng.integers(1, 12))),
                    float(rng.uniform(0, 180)), 0, 360, 1, -1)
    return mask


def test_sparse_dilation_equals_cv2_dilate():
    rng = np.random.default_rng(3)
    for k in (3, 9, 15, 23):
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
        for _ in range(5):
            mask = _sparse_mask(rng)
            mask[0, rng.integers(0, mask.shape[1])] = 1          # blobs on the border too
            mask[rng.integers(0, mask.shape[0]), -1] = 1
            assert np.array_equal(cue_mod._dilate_sparse(mask, kernel), cv2.dilate(mask, kernel))


def test_ball_blob_check_equals_whole_mask_labelling():
    rng = np.random.default_rng(5)
    for _ in range(8):
        core = _sparse_mask(rng, blobs=40)
        _, labels, stats, _ = cv2.connectedComponentsWithStats(core, connectivity=8)
        for _ in range(40):
            cx, cy = int(rng.integers(-10, core.shape[1] + 10)), int(rng.integers(-10, core.shape[0] + 10))
            rim, near = int(rng.integers(3, 16)), int(rng.integers(1, 8))
            x0, x1 = np.clip([cx - near, cx + near + 1], 0, core.shape[1])
            y0, y1 = np.clip([cy - near, cy + near + 1], 0, core.shape[0])
            want = False
            for i in np.unique(labels[y0:y1, x0:x1]):
                left, top, cw, ch = stats[i, :4]
                if i > 0 and left >= cx - rim and top >= cy - rim and left + cw <= cx + rim + 1 \
                        and top + ch <= cy + rim + 1:
                    want = True
                    break
            assert cue_mod._own_blob(core, cx, cy, rim, near) == want


def test_components_and_cloth_mask_equal_the_float_and_stats_versions():
    rng = np.random.default_rng(8)
    mask = _sparse_mask(rng, blobs=60) * 255
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    comps = cue_mod._components(mask)
    assert len(comps) == n - 1
    for i, (xs, ys) in enumerate(comps, start=1):
        ys0, xs0 = np.nonzero(labels == i)
        assert np.array_equal(xs, xs0) and np.array_equal(ys, ys0)
    hsv = rng.integers(0, 256, (200, 300, 3)).astype(np.uint8)
    hsv[..., 0] %= 180
    for hue, sat, val in ((88.0, 140.0, 120.0), (3.0, 100.3, 80.6), (176.5, 200.0, 30.0), (60.0, 250.0, 200.0)):
        cloth = ClothModel(hue, sat, val, (0, 0, 0))
        want = (hue_distance(hsv[..., 0], hue) < 12) & (hsv[..., 1] > 0.45 * sat) & (hsv[..., 2] < 1.25 * val + 20)
        assert np.array_equal(cue_mod._cloth_like(hsv, cloth) > 0, want)


def test_scaled_part_equals_the_whole_picture_scaled_there():
    rng = np.random.default_rng(4)
    for (w, h), size in (((1920, 1080), (1280, 720)), ((2560, 1440), (1280, 720)), ((1000, 600), (640, 384))):
        image = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        full = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        s = size[0] / w
        for box in ((100.5, 97.2, 1000.0, 400.7), (0, 0, w, 0.3 * h), (w - 50, h - 50, w, h)):
            part = scaled_part(image, size, box)
            x0, y0 = int(box[0] * s), int(box[1] * s)
            x1, y1 = int(np.ceil(box[2] * s)), int(np.ceil(box[3] * s))
            assert np.array_equal(part[y0:y1, x0:x1], full[y0:y1, x0:x1])


@pytest.fixture(scope='module')
def single_shot():
    """1280x720 single_shot frames 0-44 (the stick comes in at frame 15), with the balls of the
    incremental ball detector as cue_detector gets them."""
    frames = sim_frames('single_shot', 'teal', frames=tuple(range(45)), seed=12)
    table = detect_table(frames[0][0], TableParams())
    balls = IncrementalBallDetector(BallParams(), IncrementalParams())
    return table, [(image, truth, balls.detect(image, table, truth['t'])) for image, truth in frames]


def test_incremental_finds_the_stick_as_the_full_search_and_skips_frames(single_shot):
    table, frames = single_shot
    params = CueParams()
    inc = IncrementalCueDetector(params, work_width=1280)
    modes = []
    first = {'full': None, 'inc': None}
    for i, (image, truth, balls) in enumerate(frames):
        full = detect_cue_at_width(image, table, balls, params, 1280)
        got = inc.detect(image, table, balls)
        modes.append(inc.last['mode'])
        for key, cue in (('full', full), ('inc', got)):
            if cue is not None and first[key] is None:
                first[key] = i
        if truth['cue'] is None:
            assert got is None, f'frame {i}: a stick where there is none'
        if full is not None and got is not None:
            assert _angle_diff(got.angle_deg, full.angle_deg) < 0.3, f'frame {i}'
            assert np.hypot(*np.subtract(got.tip_px, full.tip_px)) < 3.0, f'frame {i}'
        elif full is not None:
            assert i - first['full'] <= 1, f'frame {i}: the full search finds the stick, the incremental not'
    assert first['full'] is not None and first['inc'] is not None
    assert first['inc'] - first['full'] <= 1           # found within a frame of its appearance
    # Frames without a search (nothing changed) and in a window round the stick.
    assert modes.count('unchanged') >= 5
    assert modes.count('window') >= 10
    assert modes.count('search') <= 12


def test_window_search_gives_the_full_search_stick(single_shot):
    table, frames = single_shot
    params = CueParams()
    inc = IncrementalCueDetector(params, work_width=1280)
    checked = 0
    for image, truth, balls in frames[15:40]:
        full = detect_cue(image, table, balls, params)
        if full is None:
            continue
        window = inc._setup(table, image.shape) or inc._window(full, image.shape)
        assert window is not None
        assert (window[2] - window[0]) * (window[3] - window[1]) < 0.8 * image.shape[0] * image.shape[1]
        got = detect_cue(image, table, balls, params, window=window)
        assert got is not None
        # The same stick: a part of the hand or arm the window cuts off can move the ends' fits by
        # a fraction of a pixel.
        assert np.hypot(*np.subtract(got.tip_px, full.tip_px)) < 1.0
        assert _angle_diff(got.angle_deg, full.angle_deg) < 0.2
        checked += 1
    assert checked >= 10


def test_a_stick_coming_in_over_a_still_table_is_searched_at_once():
    """Still frames are not searched; the first frame with the stick over the cushion is."""
    empty, corners = drawn_table(1280, 720)
    table = detect_table(empty, TableParams())
    inc = IncrementalCueDetector(CueParams(), IncrementalCueParams(full_search_frames=1000))
    rng = np.random.default_rng(1)

    def noisy(img):
        return np.clip(img.astype(np.int16) + rng.integers(-4, 5, img.shape), 0, 255).astype(np.uint8)
    assert inc.detect(noisy(empty), table, []) is None
    assert inc.last['mode'] == 'search'
    for _ in range(5):
        assert inc.detect(noisy(empty), table, []) is None
        assert inc.last['mode'] == 'unchanged'
    with_stick, _ = drawn_table(1280, 720, stick=((1270, 300), (700, 380), 12))
    cue = inc.detect(noisy(with_stick), table, [])
    assert inc.last['mode'] == 'search'
    assert cue is not None and cue.tip_px[0] < 760
    assert inc.detect(noisy(with_stick), table, []) is not None
    assert inc.last['mode'] == 'unchanged'
    # A ball rolling in the middle brings no stick: not searched while the stick is away.
    inc2 = IncrementalCueDetector(CueParams(), IncrementalCueParams(full_search_frames=1000))
    inc2.detect(noisy(empty), table, [])
    for x in range(500, 700, 20):
        ball, _ = drawn_table(1280, 720, balls=[(x, 360, 14, (40, 40, 200))])
        assert inc2.detect(noisy(ball), table, []) is None
        assert inc2.last['mode'] == 'inside only'


def test_bench_cue_tool_runs(capsys):
    from billiards_vision.tools import bench_cue
    assert bench_cue.main(['--frames', '3', '--scenarios', 'single_shot']) == 0
    assert 'single_shot' in capsys.readouterr().out
