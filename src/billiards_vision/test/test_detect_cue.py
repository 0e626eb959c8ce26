# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Cue detector: a drawn stick, no stick, and synthetic aiming frames (with the bridge hand, also
when only a short piece of shaft shows beyond it, with the bridge on the rail, and with the tip
over the hand), also under a colour cast and overexposure."""
import numpy as np

from billiards_vision.detection.balls import BallDetection, detect_balls
from billiards_vision.detection.cue import detect_cue
from billiards_vision.detection.params import BallParams, CueParams, TableParams
from billiards_vision.detection.table import detect_table
from billiards_vision.tools.eval_robustness import exposure, white_balance

from detect_helpers import drawn_table, sim_frames


def _angle_diff(a, b):
    return abs((a - b + 180.0) % 360.0 - 180.0)


def test_drawn_stick_angle_tip_and_target():
    image, corners = drawn_table()
    table = detect_table(image, TableParams())
    r = float(table.ball_radius_px(table.corners_px.mean(axis=0, keepdims=True))[0])
    ball = (600.0, 300.0, r, (250, 250, 250))
    tip = np.array([600.0 - 3 * r, 300.0 + 1.2 * r])
    butt = tip + np.array([-300.0, 120.0])
    image, _ = drawn_table(balls=[ball, (300.0, 150.0, r, (30, 30, 200))], stick=(butt, tip, 7))
    balls = detect_balls(image, table, BallParams())
    cue = detect_cue(image, table, balls, CueParams())
    assert cue is not None
    expected = np.degrees(np.arctan2(*(tip - butt)[::-1]))
    assert _angle_diff(cue.angle_deg, expected) < 1.0
    # The drawn stroke has a round cap: the stick ends half its width beyond `tip`.
    direction = (tip - butt) / np.linalg.norm(tip - butt)
    assert np.hypot(*(np.array(cue.tip_px) - (tip + 3.5 * direction))) < 2.5
    target = balls[cue.target_ball]
    assert abs(target.x - 600.0) < 1.0 and abs(target.y - 300.0) < 1.0


def test_no_stick_no_cue():
    image, _ = sim_frames('rack', 'teal', frames=(2,))[0]
    table = detect_table(image, TableParams())
    assert detect_cue(image, table, detect_balls(image, table, BallParams()), CueParams()) is None


def _assert_cue_matches(image, truth):
    """The full pipeline finds the stick within 1 degree and 8 px of the truth."""
    table = detect_table(image, TableParams())
    balls = detect_balls(image, table, BallParams())
    cue = detect_cue(image, table, balls, CueParams())
    assert cue is not None
    assert _angle_diff(cue.angle_deg, truth['cue']['angle_deg']) < 1.0
    assert np.hypot(*(np.array(cue.tip_px) - truth['cue']['tip_px'])) < 8.0


def test_synthetic_aiming_with_bridge_hand():
    frames = sim_frames('cue_aiming', 'teal', frames=(20, 40, 60))
    aiming = [(img, t) for img, t in frames if t['cue'] is not None]
    assert len(aiming) >= 2
    for image, truth in aiming:
        _assert_cue_matches(image, truth)


def test_short_shaft_beyond_the_bridge_hand():
    """Stick over the cushion with the forearm along it: only a short thin piece of shaft shows
    beyond the bridge hand, the hand and arm carry its line to the table edge."""
    frames = sim_frames('cue_aiming', 'blue', frames=(52, 66), width=1920, height=1080, seed=16)
    for image, truth in frames:
        assert truth['cue'] is not None
        _assert_cue_matches(image, truth)


def test_bridge_on_the_rail():
    """Cue ball near the cushion, bridge hand on the rail at the picture's edge: only about two
    ball diameters of stick lie over the cloth; the rest is followed over the rail and the hand."""
    frames = sim_frames('cluster', 'green', frames=(129,), width=1920, height=1080, seed=15)
    for image, truth in frames:
        assert truth['cue'] is not None
        _assert_cue_matches(image, truth)


def test_tip_over_the_bridge_hand():
    """Back swing: the tip lies over the bridge hand, so foreground runs on past it to the
    fingertips; the tip is where the stick's own colours end."""
    frames = sim_frames('single_shot', 'teal', frames=(81,), width=1920, height=1080, seed=14)
    for image, truth in frames:
        assert truth['cue'] is not None
        _assert_cue_matches(image, truth)


def test_line_on_the_cushion_top_is_no_stick():
    """A straight light line on the cushion top, parallel to it (a lit cushion edge, a rail's
    trim), lies outside the cushion nose: never a stick."""
    import cv2
    from detect_helpers import CLOTH
    image, corners = drawn_table()
    table = detect_table(image, TableParams())
    r = float(table.ball_radius_px(table.corners_px.mean(axis=0, keepdims=True))[0])
    x_nose = int(round(corners[0, 0]))
    # Cushion top of cloth colour, 1.6 radii wide, with a lit line along it 1.2 radii out.
    cv2.rectangle(image, (x_nose - int(1.6 * r), int(corners[0, 1])), (x_nose - 1, int(corners[3, 1])), CLOTH, -1)
    x_line = x_nose - int(round(1.2 * r))
    cv2.line(image, (x_line, int(corners[0, 1]) + 20), (x_line, int(corners[0, 1]) + int(6 * r)), (200, 220, 230), 2)
    table = detect_table(image, TableParams())
    assert detect_cue(image, table, detect_balls(image, table, BallParams()), CueParams()) is None


def test_warm_cast_forearm_is_not_the_stick():
    """Under a warm white balance the sleeve no longer looks like the (blue) cloth, so the forearm
    becomes a thin piece whose line runs through the sleeve to the table edge and on through the
    hand; the stick, seen longer from where it enters, must still win."""
    image, truth = sim_frames('break', 'blue', frames=(22,), seed=13)[0]
    assert truth['cue'] is not None
    _assert_cue_matches(white_balance(image, (0.8, 1.0, 1.2)), truth)


def test_false_balls_on_the_stick_and_hand():
    """Overexposed, the ball detector may report balls on the stick and on the bridge hand. Balls
    along the whole stick (over the cloth, the hand and the shaft beyond it) must neither chop the
    stick into pieces too short to count nor break the hand the tip is followed across."""
    image, truth = sim_frames('cue_aiming', 'blue', frames=(22,), seed=16)[0]
    assert truth['cue'] is not None
    image = exposure(image, 1.4)
    table = detect_table(image, TableParams())
    balls = detect_balls(image, table, BallParams())
    tip, butt = np.array(truth['cue']['tip_px']), np.array(truth['cue']['butt_px'])
    r = float(np.median(table.ball_radius_px(table.corners_px)))
    direction = (tip - butt) / np.linalg.norm(tip - butt)
    # One every 1.5 radii back from the tip, wherever the stick is over the table.
    centres = tip - np.arange(1, 40)[:, None] * 1.5 * r * direction
    false = [BallDetection(x, y, r, 0.5) for x, y in centres[table.signed_distance_inside(centres) > 0]]
    assert len(false) >= 3
    cue = detect_cue(image, table, balls + false, CueParams())
    assert cue is not None
    assert _angle_diff(cue.angle_deg, truth['cue']['angle_deg']) < 1.0
    assert np.hypot(*(np.array(cue.tip_px) - truth['cue']['tip_px'])) < 8.0
