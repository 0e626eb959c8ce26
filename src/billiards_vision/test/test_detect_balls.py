# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Ball detector: drawn pictures (touching balls, marker dots) and synthetic frames (rack, cluster, blur)."""
import numpy as np
import pytest

from billiards_vision.detection.balls import detect_balls
from billiards_vision.detection.params import BallParams, TableParams
from billiards_vision.detection.table import detect_table
from billiards_vision.sim import SyntheticTable

from detect_helpers import drawn_table, match_balls, sim_frames


def _ball_radius(image):
    table = detect_table(image, TableParams())
    return table, float(table.ball_radius_px(table.corners_px.mean(axis=0, keepdims=True))[0])


def test_drawn_balls_touching_and_markers_rejected():
    image, _ = drawn_table()
    table, r = _ball_radius(image)
    # A touching pair, a touching triangle, one ball against the top cushion, two marker dots.
    balls = [(300.3, 250.6, r, (30, 30, 200)), (300.3 + 2 * r, 250.6, r, (20, 200, 230)),
             (600.0, 300.0, r, (200, 60, 40)), (600.0 + 2 * r, 300.0, r, (60, 60, 60)),
             (600.0 + r, 300.0 - np.sqrt(3) * r, r, (240, 240, 240)),
             (450.2, table.corners_px[0, 1] + r + 0.5, r, (40, 140, 240))]
    image, _ = drawn_table(balls=balls, markers=[(240, 270), (720, 270)])
    found = detect_balls(image, table, BallParams())
    assert len(found) == len(balls)
    for x, y, _, _ in balls:
        d = min(np.hypot(b.x - x, b.y - y) for b in found)
        assert d < 0.75, (x, y, d)
    assert all(abs(b.radius - r) < 0.15 * r for b in found)
    assert all(b.position_m is not None for b in found)


def test_empty_table_has_no_balls():
    image, truth = sim_frames('empty', 'green')[0]
    table = detect_table(image, TableParams())
    assert detect_balls(image, table, BallParams()) == []
    assert truth['markers_px'], 'the synthetic table carries marker dots'


@pytest.mark.parametrize('scenario,cloth', [('rack', 'teal'), ('cluster', 'blue')])
def test_synthetic_rack_and_cluster(scenario, cloth):
    image, truth = sim_frames(scenario, cloth, frames=(2,))[0]
    table = detect_table(image, TableParams())
    found = detect_balls(image, table, BallParams())
    pairs, misses, false = match_balls(truth, found)
    assert misses == 0 and false == 0
    errors = [np.hypot(g['x'] - b.x, g['y'] - b.y) for g, b in pairs]
    assert np.median(errors) < 1.0
    types = np.mean([g['type'] == b.type for g, b in pairs])
    assert types >= 0.9
    assert sum(b.type == 'cue' for b in found) == 1


def test_synthetic_break_with_motion_blur():
    """Moving balls of several break shots: a smeared ball's centre is the middle of its smear.

    Scored as rates over all moving balls of 15 frames (three seeds), so no single
    borderline ball decides it (OpenCV picks SIMD code by CPU, so a pixel may differ).
    """
    found_moving, fast_errors, total, false, smears = [], [], 0, 0, []
    for seed in (1, 2, 3):
        for image, truth in sim_frames('break', 'teal', frames=(80, 84, 88, 92, 96), seed=seed):
            table = detect_table(image, TableParams())
            found = detect_balls(image, table, BallParams())
            smears += [b for b in found if b.support <= 0.0]
            pairs, _, f = match_balls(truth, found)
            false += f
            total += sum(b['visible'] for b in truth['balls'])
            matched = {g['id']: b for g, b in pairs}
            for g in truth['balls']:
                speed = np.hypot(*g['velocity_mps'])
                if not g['visible'] or speed < 0.5:
                    continue
                found_moving.append(g['id'] in matched)
                # Faster than 2 m/s the smear is longer than the ball's radius (1/60 s exposure).
                if speed > 2.0:
                    b = matched.get(g['id'])
                    fast_errors.append(np.inf if b is None else np.hypot(b.x - g['x'], b.y - g['y']))
    assert len(found_moving) >= 150 and len(fast_errors) >= 30, 'the frames must show many moving (blurred) balls'
    assert np.mean(found_moving) >= 0.95
    # 35 of the 40 fast balls lie within 2 px (the code at the start: 24); a smear touching a
    # cushion, the cue or another ball can still be off.
    assert np.mean(np.array(fast_errors) < 2.0) >= 0.8 and np.median(fast_errors) < 1.2
    assert false <= 0.02 * total
    # A smear's colour is mixed along the blur: its type is read, its number is not (cue ball and eight
    # are types).
    assert len(smears) >= 10
    assert all(b.number is None for b in smears if b.type in ('solid', 'stripe'))
    assert all(b.number == {'cue': 0, 'eight': 8}[b.type] for b in smears if b.type in ('cue', 'eight'))


def test_positions_in_table_metres():
    image, truth = sim_frames('rack', 'teal', frames=(2,))[0]
    table = detect_table(image, TableParams())
    pairs, _, _ = match_balls(truth, detect_balls(image, table, BallParams()))
    err = [np.hypot(*(np.array(g['position_m']) - b.position_m)) for g, b in pairs]
    assert np.median(err) < 0.01  # metres; lens distortion is not modelled by the homography


def test_tinted_white_is_still_the_cue_ball():
    # Warm TV lighting makes the cue ball pale yellow (HSV saturation ~0.32); the balls' own
    # white sets the white balance, so it stays the cue ball and the coloured balls keep their colour.
    image, _ = drawn_table()
    table, r = _ball_radius(image)
    balls = [(300.0, 250.0, r, (170, 245, 250)), (500.0, 300.0, r, (40, 40, 250)), (650.0, 250.0, r, (200, 60, 40))]
    image, _ = drawn_table(balls=balls)
    found = sorted(detect_balls(image, table, BallParams()), key=lambda b: b.x)
    assert [b.type for b in found] == ['cue', 'solid', 'solid']
    assert [b.number for b in found[1:]] == [3, 2]


def test_disc_on_the_cushion_nose_is_no_ball():
    # Away from the pockets a ball's centre is a radius inside the cushion nose; a ball-sized
    # blob straddling the nose (a bridge hand, a chalk cube) is not reported.
    image, _ = drawn_table()
    table, r = _ball_radius(image)
    top = table.corners_px[0, 1]
    balls = [(450.0, top + r + 0.5, r, (40, 140, 240)), (650.0, top, r, (60, 110, 200))]
    image, _ = drawn_table(balls=balls)
    found = detect_balls(image, table, BallParams())
    assert len(found) == 1 and abs(found[0].x - 450.0) < 1.0


@pytest.mark.parametrize('scenario,cloth,seed,frame', [
    ('cluster', 'green', 35, 12),       # the soft shadow beside a cluster, outlined by its balls
    ('single_shot', 'teal', 34, 37),    # knuckles of the bridge hand with the stick over them
    ('random', 'teal', 37, 62),         # bridge hand on the cushion, cut by the table's edge
])
def test_shadows_and_hands_are_not_balls(scenario, cloth, seed, frame):
    """At 1280x720 (the owner's camera) circles of ball size form where no ball is."""
    image, truth = sim_frames(scenario, cloth, frames=(frame,), seed=seed)[0]
    table = detect_table(image, TableParams())
    _, misses, false = match_balls(truth, detect_balls(image, table, BallParams()))
    assert false == 0 and misses == 0


def test_shadow_rule_keeps_a_ball_of_the_cloth_colour():
    """A ball painted in the cloth's own colour has the cloth's chromaticity, like a shadow, but a
    crisp outline all round: it stays."""
    image, _ = drawn_table()
    table, r = _ball_radius(image)
    from detect_helpers import CLOTH
    dark_cloth = tuple(int(0.55 * c) for c in CLOTH)
    image, _ = drawn_table(balls=[(400.0, 260.0, r, dark_cloth), (600.0, 300.0, r, (30, 30, 200))])
    found = detect_balls(image, table, BallParams())
    assert min(np.hypot(b.x - 400.0, b.y - 260.0) for b in found) < 1.0
    assert len(found) == 2


def test_marker_dots_under_sensor_noise():
    """Sensor noise (sigma 8) makes edges everywhere; around a marker dot they close into ball-sized
    circles unless an outline must stand above the noise's own gradients."""
    from billiards_vision.tools.eval_robustness import sensor_noise
    frames = sim_frames('break', 'blue', frames=(7, 37, 97), seed=13)
    rng = np.random.default_rng(5)
    for image, truth in frames:
        noisy = sensor_noise(image, rng, 8.0)
        table = detect_table(noisy, TableParams())
        found = detect_balls(noisy, table, BallParams())
        for mx, my in truth['markers_px']:
            assert all(np.hypot(b.x - mx, b.y - my) > b.radius for b in found), (mx, my)
        pairs, misses, false = match_balls(truth, found)
        assert false == 0 and misses <= 1


def test_weak_outline_yields_to_an_overlapping_full_one():
    """A circle found only at half the edge threshold (a dark ball's shadow beside it) does not replace an
    overlapping ball whose outline stands at the full threshold at a slightly lower confidence; a faint
    ball (blue on blue cloth) still beats a clearly worse full-threshold fit into its shadow."""
    from billiards_vision.detection.balls import BallDetection, _suppress
    from billiards_vision.detection.table import TableDetection
    from billiards_vision.table_geometry import TableGeometry
    corners = np.array([[100.0, 100.0], [1820.0, 100.0], [1820.0, 980.0], [100.0, 980.0]])
    table = TableDetection(corners, TableGeometry(), True, None, 1.0, False)
    kept_right = 0
    for k in range(20):
        x, y = 300.0 + 60 * k, 300.0 + 20 * k
        full = BallDetection(x, y, 18.0, 0.85, support=1.0, extra={'weak': False})
        shadow = BallDetection(x - 18.0, y - 7.0, 18.0, 0.86 + 0.004 * k, support=1.0, extra={'weak': True})
        kept = _suppress([shadow, full], 2.0, table)
        kept_right += len(kept) == 1 and kept[0] is full
        faint = BallDetection(x, y, 18.0, 0.91, support=1.0, extra={'weak': True})
        partial = BallDetection(x - 14.0, y - 3.0, 18.0, 0.7 + 0.004 * k, support=0.62, extra={'weak': False})
        kept = _suppress([partial, faint], 2.0, table)
        kept_right += len(kept) == 1 and kept[0] is faint
    assert kept_right == 40


def test_racks_and_clusters_below_720p():
    """Racks and clusters at 800x450 and 960x540 (ball radius 8-9 px), six seeds, three frames each: 936 balls,
    found within half a radius. Searched in a copy at 10 px, two touching balls gave way to one circle between
    them in 15 of 72 frames (21 misses + false balls); in a copy at 14 px 5. A pixel's difference between
    CPUs may move a ball or two, so the bound is a rate with room on both sides."""
    total = errors = 0
    for size in ((800, 450), (960, 540)):
        for seed in range(1, 7):
            for scenario in ('rack', 'cluster'):
                sim = SyntheticTable(scenario, *size, 30.0, seed=seed)
                for _ in range(3):
                    image, truth = sim.next_frame()
                    found = detect_balls(image, detect_table(image, TableParams()), BallParams())
                    pairs, misses, false = match_balls(truth, found, 0.5)
                    total += len(pairs) + misses
                    errors += misses + false
    assert total == 936
    assert errors <= 10, errors
