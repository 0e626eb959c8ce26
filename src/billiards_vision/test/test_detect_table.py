# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Table detector: drawn pictures and synthetic frames on teal, green and blue cloth."""
import numpy as np
import pytest

from billiards_vision.detection.params import TableParams
from billiards_vision.detection.table import detect_table
from billiards_vision.detection.table_tracker import TableTracker
from billiards_vision.table_geometry import TABLE_PRESETS

from detect_helpers import drawn_table, sim_frames


def test_drawn_table_corners_and_homography():
    image, corners = drawn_table()
    table = detect_table(image, TableParams())
    assert table is not None
    assert np.abs(table.corners_px - corners).max() < 1.0
    assert table.long_side_horizontal
    assert len(table.pockets_px) == 6
    length, width = TABLE_PRESETS['9ft']
    m = table.to_table(table.corners_px)
    np.testing.assert_allclose(m, [[-length / 2, width / 2], [length / 2, width / 2],
                                   [length / 2, -width / 2], [-length / 2, -width / 2]], atol=1e-6)


@pytest.mark.parametrize('cloth', ['teal', 'green', 'blue'])
def test_synthetic_table_corners_within_2px(cloth):
    image, truth = sim_frames('empty', cloth)[0]
    table = detect_table(image, TableParams())
    assert table is not None
    err = np.abs(table.corners_px - np.array(truth['table']['corners_px'])).max()
    assert err < 2.0, err
    pocket_err = np.hypot(*(table.pockets_px - np.array(truth['table']['pockets_px'])).T).max()
    assert pocket_err < 3.0


def test_table_size_custom_and_preset():
    image, _ = drawn_table()
    table = detect_table(image, TableParams(table_size='custom', table_length_m=2.0, table_width_m=1.0))
    m = table.to_table(table.corners_px)
    assert m[1, 0] - m[0, 0] == pytest.approx(2.0)
    assert detect_table(image, TableParams(table_size='7ft')).geometry.length == TABLE_PRESETS['7ft'][0]


def test_manual_corners_override_detection():
    image, _ = drawn_table()
    manual = [100.0, 80.0, 860.0, 90.0, 850.0, 470.0, 110.0, 460.0]
    table = detect_table(image, TableParams(manual_corners=manual))
    assert table.manual
    np.testing.assert_allclose(table.corners_px.ravel(), manual)


def test_no_table_in_noise_and_bad_input():
    rng = np.random.default_rng(0)
    assert detect_table(rng.integers(0, 255, (360, 640, 3), dtype=np.uint8), TableParams()) is None
    with pytest.raises(ValueError):
        detect_table(np.zeros((100, 100), np.uint8), TableParams())


def test_tracker_keeps_table_and_follows_a_moved_camera():
    image, corners = drawn_table()
    tracker = TableTracker(TableParams(), redetect_interval_s=100.0, change_threshold=0.05, smoothing=0.5)
    table, changed = tracker.update(image, 0.0)
    assert changed and np.abs(table.corners_px - corners).max() < 1.0
    table2, changed = tracker.update(image, 0.1)
    assert not changed and table2 is table
    moved = np.roll(image, 40, axis=1)
    tracker.update(moved, 0.2)           # a jump must be confirmed by a second search
    table3, changed = tracker.update(moved, 0.3)
    assert changed
    assert np.abs(table3.corners_px - (corners + [40, 0])).max() < 1.0
