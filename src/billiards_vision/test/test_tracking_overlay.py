# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""overlay: tracks (ids, trails, velocity arrows) and the predicted shot, in the picture and in rviz."""

import numpy as np
from billiards_interfaces.msg import Ball, BallArray, BallPath, ShotPrediction, Table, TrackedBall, TrackedBallArray
from geometry_msgs.msg import Point, Vector3
from visualization_msgs.msg import Marker, MarkerArray

from billiards_vision.nodes.overlay import Overlay
from billiards_vision.ros.qos import LATCHED_QOS, RESULT_QOS
from billiards_vision.web.overlay import (OCCLUDED_BGR, PATH_BGR, TRACK_BGR, BallMark, Scene, TrackMark, draw,
                                          label_from_tracks)
from conftest import node_and_peer, wait_for

DOMAIN = 84


def near(pixels, bgr, tol=40) -> bool:
    return bool((np.abs(pixels.astype(int) - np.array(bgr)).max(axis=-1) <= tol).any())


def test_draw_tracks_trails_arrows_and_paths():
    image = np.full((360, 640, 3), 60, np.uint8)
    scene = Scene(tracks=[TrackMark(300, 180, '#7', [(200, 180), (250, 180), (300, 180)], (380, 180))],
                  paths=[([(100, 300), (500, 300)], False)])
    out = draw(image, scene)
    assert near(out[178:183, 225], TRACK_BGR)          # on the trail
    assert near(out[178:183, 350], TRACK_BGR)          # on the velocity arrow
    assert near(out[298:303, 150], PATH_BGR)           # on the predicted path
    assert tuple(out[100, 100]) == (60, 60, 60)        # elsewhere untouched
    assert np.array_equal(draw(image, Scene()), image)


def test_held_track_is_drawn_grey_not_as_a_seen_ball():
    image = np.full((360, 640, 3), 60, np.uint8)
    held = TrackMark(300, 180, '#7', [(200, 180), (250, 180), (300, 180)], occluded=True)
    out = draw(image, Scene(tracks=[held]))
    assert near(out[178:183, 225], OCCLUDED_BGR)
    assert not near(out, TRACK_BGR)
    big = draw(np.full((720, 1280, 3), 60, np.uint8), Scene(tracks=[held]).scaled(2.0))
    assert near(big[356:365, 450], OCCLUDED_BGR) and not near(big, TRACK_BGR)   # kept through scaling


def test_markers_carry_track_ids_and_predicted_paths():
    with node_and_peer(DOMAIN, lambda ctx: Overlay(context=ctx), 'overlay_tracks_peer') as (overlay, peer):
        markers = []
        peer.create_subscription(MarkerArray, 'vision/markers', markers.append, RESULT_QOS)
        table_pub = peer.create_publisher(Table, 'table', LATCHED_QOS)
        tracks_pub = peer.create_publisher(TrackedBallArray, 'tracks', RESULT_QOS)
        pred_pub = peer.create_publisher(ShotPrediction, 'shot_prediction', RESULT_QOS)
        assert wait_for(lambda: tracks_pub.get_subscription_count() and pred_pub.get_subscription_count(), 10)
        # The table's corners in this image (x_m = x/400 - 1.6, y_m = 0.9 - y/400) with its homography.
        table = Table(found=True, length_m=2.54, width_m=1.27,
                      corners_px=[132., 106., 1148., 106., 1148., 614., 132., 614.])
        table.homography = [1 / 400, 0, -1.6, 0, -1 / 400, 0.9, 0, 0, 1]
        table_pub.publish(table)
        pred = ShotPrediction(valid=True, cue_ball_id=4, first_contact_id=9)
        pred.paths = [BallPath(ball_id=4, points=[Point(x=0.0, y=0.0), Point(x=0.5, y=0.1)])]
        ball = Ball(x_px=640.0, y_px=360.0, radius_px=11.0, position=Point(x=0.0, y=0.0), position_valid=True)
        msg = TrackedBallArray(balls=[TrackedBall(id=4, ball=ball, velocity=Vector3(x=0.5),
                                                  state=TrackedBall.STATE_MOVING)])

        def got():
            return any({'track_ids', 'shot_prediction'} <= {m.ns for m in a.markers} for a in markers)
        # Both again until seen: one sent before the overlay's reader had matched our writer is lost.
        assert wait_for(lambda: tracks_pub.publish(msg) or pred_pub.publish(pred) or got(), 10)
        last = next(a for a in reversed(markers) if any(m.ns == 'track_ids' for m in a.markers))
        text = next(m for m in last.markers if m.ns == 'track_ids')
        strip = next(m for m in last.markers if m.ns == 'shot_prediction')
        assert text.type == Marker.TEXT_VIEW_FACING and text.text == '4'
        assert strip.type == Marker.LINE_STRIP and [(p.x, p.y) for p in strip.points] == [(0.0, 0.0), (0.5, 0.1)]
        scene = overlay.scene(0.0)
        assert [t.label for t in scene.tracks] == ['#4'] and scene.tracks[0].arrow_to is not None
        assert scene.tracks[0].arrow_to[0] > 640 + 50       # 0.5 m/s x 0.3 s ahead along +x (px right)
        assert len(scene.paths) == 1


def test_balls_show_their_tracks_numbers():
    """The picture labels a ball with its track's number (fused over time, each number on one ball), not this
    frame's read; a ball without a track there, or whose track has no number, keeps its read."""
    balls = [BallMark(100, 100, 12, 'stripe', 10), BallMark(300, 100, 12, 'solid', 3),
             BallMark(500, 100, 12, 'stripe', 9)]
    label_from_tracks(balls, [(103, 98, 'stripe', 12), (330, 100, 'solid', 7), (500, 101, 'stripe', -1)])
    assert [(b.kind, b.number) for b in balls] == [('stripe', 12), ('solid', 3), ('stripe', 9)]
    label_from_tracks(balls, [])
    assert balls[0].number == 12


def test_node_labels_balls_with_track_numbers():
    with node_and_peer(DOMAIN + 1, lambda ctx: Overlay(context=ctx), 'overlay_labels_peer') as (overlay, peer):
        balls_pub = peer.create_publisher(BallArray, 'balls', RESULT_QOS)
        tracks_pub = peer.create_publisher(TrackedBallArray, 'tracks', RESULT_QOS)
        assert wait_for(lambda: balls_pub.get_subscription_count() and tracks_pub.get_subscription_count(), 10)
        read = BallArray(balls=[Ball(x_px=640., y_px=360., radius_px=11., type=Ball.TYPE_STRIPE, number=10),
                                Ball(x_px=200., y_px=150., radius_px=11., type=Ball.TYPE_SOLID, number=3)])
        tracked = TrackedBallArray(balls=[TrackedBall(id=5, ball=Ball(x_px=641., y_px=360., radius_px=11.,
                                                                      type=Ball.TYPE_STRIPE, number=12),
                                                      state=TrackedBall.STATE_STATIONARY)])

        def numbers():
            return [b.number for b in overlay.scene(0.0).balls]
        assert wait_for(lambda: balls_pub.publish(read) or tracks_pub.publish(tracked) or numbers() == [12, 3], 10)
