# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""overlay: detections drawn where they are; rviz markers in the table frame."""

import cv2
import numpy as np
import time

from rclpy.parameter import Parameter
from geometry_msgs.msg import Point
from sensor_msgs.msg import Image
from visualization_msgs.msg import Marker, MarkerArray

from billiards_interfaces.msg import Ball, BallArray, Pocket, Table
from billiards_vision.ros.image_bridge import cv2_to_imgmsg, imgmsg_to_cv2
from billiards_vision.web.overlay import TABLE_BGR, BallMark, NewestResults, Scene, draw, results_text
from billiards_vision.nodes.overlay import Overlay
from billiards_vision.ros.qos import LATCHED_QOS, RESULT_QOS, SENSOR_QOS
from conftest import node_and_peer, wait_for

# A table as table_detector sends it: corners and the pixel -> metres homography that goes with them.
CORNERS_PX = [40., 30., 600., 30., 600., 330., 40., 330.]
HOMOGRAPHY = cv2.getPerspectiveTransform(
    np.float32(CORNERS_PX).reshape(4, 2),
    np.float32([[-1.27, 0.635], [1.27, 0.635], [1.27, -0.635], [-1.27, -0.635]])).ravel().tolist()

DOMAIN = 75


def near(pixels, bgr, tol=40) -> bool:
    """Some pixel of `pixels` (Nx3) is within `tol` of `bgr` in every channel."""
    return bool((np.abs(pixels.astype(int) - np.array(bgr)).max(axis=-1) <= tol).any())


def test_draw_marks_balls_table_and_cue():
    image = np.full((360, 640, 3), 60, np.uint8)
    scene = Scene(corners=np.array([[40, 30], [600, 30], [600, 330], [40, 330]]),
                  balls=[BallMark(200, 150, 10, 'solid', 3)], cue_tip=(400, 200), cue_butt=(600, 300))
    out = draw(image, scene)
    assert out.shape == image.shape and np.array_equal(image, np.full_like(image, 60))  # input untouched
    assert near(out[29:32, 300], TABLE_BGR)                    # top cushion line (anti-aliased)
    ring = out[150, 200 + 12]                                   # just outside the ball radius
    assert tuple(ring) != (60, 60, 60)
    assert tuple(out[150, 200]) == (60, 60, 60)                 # the ball itself stays visible
    assert tuple(out[250, 500]) != (60, 60, 60)                 # on the cue line


def test_node_publishes_annotated_image_and_markers():
    overrides = [Parameter('stale_after', value=10.0)]
    with node_and_peer(DOMAIN, lambda ctx: Overlay(context=ctx, parameter_overrides=overrides),
                       'overlay_peer') as (overlay, peer):
        annotated, markers = [], []
        peer.create_subscription(Image, 'vision/image_annotated', annotated.append, SENSOR_QOS)
        peer.create_subscription(MarkerArray, 'vision/markers', markers.append, RESULT_QOS)
        image_pub = peer.create_publisher(Image, 'camera/image_raw', SENSOR_QOS)
        table_pub = peer.create_publisher(Table, 'table', LATCHED_QOS)
        balls_pub = peer.create_publisher(BallArray, 'balls', RESULT_QOS)
        stamp = peer.get_clock().now().to_msg()
        table = Table(found=True, corners_px=CORNERS_PX, homography=HOMOGRAPHY, length_m=2.54,
                      width_m=1.27, pockets=[Pocket(kind=Pocket.KIND_CORNER, x_px=40., y_px=30., radius_px=8.,
                                                    position=Point(x=-1.27, y=0.635))])
        table.header.stamp = stamp
        table_pub.publish(table)
        balls = BallArray(balls=[Ball(x_px=200., y_px=150., radius_px=10., type=Ball.TYPE_CUE, number=0,
                                      position=Point(x=0.1, y=0.2), position_valid=True)])
        balls.header.stamp = stamp
        image = cv2_to_imgmsg(np.full((360, 640, 3), 60, np.uint8), 'bgr8')
        image.header.stamp = stamp

        def ready():
            balls_pub.publish(balls)
            image_pub.publish(image)
            return annotated and any(len(m.markers) >= 4 for m in markers) and \
                tuple(imgmsg_to_cv2(annotated[-1])[150, 212]) != (60, 60, 60)  # ball ring drawn

        assert wait_for(ready, timeout=15, interval=0.1)
        out = imgmsg_to_cv2(annotated[-1])
        assert near(out[29:32, 300], TABLE_BGR)
        latest = [m for m in markers if len(m.markers) >= 4][-1].markers
        assert latest[0].action == Marker.DELETEALL
        kinds = {(m.ns, m.type) for m in latest[1:]}
        assert kinds == {('table', Marker.LINE_STRIP), ('pockets', Marker.CYLINDER), ('balls', Marker.SPHERE)}
        sphere = next(m for m in latest if m.ns == 'balls')
        assert sphere.header.frame_id == 'table'
        assert (sphere.pose.position.x, sphere.pose.position.y) == (0.1, 0.2)
        assert np.allclose((sphere.color.r, sphere.color.g, sphere.color.b), 245 / 255)  # cue ball white


def test_results_text_never_says_zero_for_late_results():
    assert results_text(None, None, 1.0, True) == 'no ball results yet'
    assert results_text(15, 0.04, 1.0, True) == '15 balls, results 0.0 s old'
    assert results_text(15, 2.5, 1.0, True) == '15 balls, results 2.5 s old (STALE)'
    assert results_text(1, -0.2, 1.0, False) == '1 ball, results 0.0 s old - no table'
    newest = NewestResults()
    assert newest.update('balls', 10.0, 'fifteen') and not newest.update('balls', 9.5, 'late and older')
    assert newest.get('balls') == (10.0, 'fifteen') and newest.get('cue') == (None, None)


def test_annotated_stream_at_camera_rate_keeps_balls_when_the_detector_lags():
    """The race behind "0 balls" over a full rack: the ball detector lags the camera by more than
    `stale_after` (a loaded machine). Every annotated frame after the first BallArray must show the
    balls and say how old they are; frames flow at the camera rate, not the detector's."""
    overrides = [Parameter('stale_after', value=0.5)]
    with node_and_peer(DOMAIN + 1, lambda ctx: Overlay(context=ctx, parameter_overrides=overrides),
                       'overlay_peer') as (overlay, peer):
        annotated = []
        peer.create_subscription(Image, 'vision/image_annotated', annotated.append, SENSOR_QOS)
        image_pub = peer.create_publisher(Image, 'camera/image_raw', SENSOR_QOS)
        balls_pub = peer.create_publisher(BallArray, 'balls', RESULT_QOS)
        table_pub = peer.create_publisher(Table, 'table', LATCHED_QOS)
        table = Table(found=True, corners_px=CORNERS_PX, homography=HOMOGRAPHY, length_m=2.54, width_m=1.27)
        table_pub.publish(table)
        rack = BallArray(balls=[Ball(x_px=100. + 30 * i, y_px=180., radius_px=10., type=Ball.TYPE_SOLID,
                                     number=1 + i % 7) for i in range(15)])
        assert wait_for(lambda: overlay.image_pub.get_subscription_count() > 0, timeout=10)
        stamps, first_balls, balls_sent = [], None, 0
        for _ in range(80):  # 4 s of a 20 fps camera, detector 1.2 s behind, one result a second (by count: a
            # loaded machine slows the loop, not what it sends)
            frame = cv2_to_imgmsg(np.full((360, 640, 3), 60, np.uint8), 'bgr8')
            frame.header.stamp = peer.get_clock().now().to_msg()
            stamps.append(frame.header.stamp)
            image_pub.publish(frame)
            lag = 24  # frames = 1.2 s at 20 fps
            if len(stamps) > lag and (len(stamps) - lag) % 20 == 1:
                rack.header.stamp = stamps[-1 - lag]
                balls_pub.publish(rack)
                balls_sent += 1
                first_balls = first_balls or len(stamps)
            time.sleep(0.05)
        assert balls_sent >= 2
        # Frames sent well after the first result (it has surely arrived by then) must all show the rack.
        settled = _seconds(stamps[first_balls + 4])
        time.sleep(0.3)
        shown = [m for m in list(annotated) if _seconds(m.header.stamp) >= settled]
        assert len(shown) > 3 * balls_sent  # the camera's pace, not the detector's
        for msg in shown:
            ring = imgmsg_to_cv2(msg)[180, 100 + 30 * 7 + 12]  # just outside the eighth ball
            assert tuple(ring) != (60, 60, 60), 'a frame was drawn without the balls the detector reported'
        line = overlay.results_line(_seconds(stamps[-1]))
        assert line.startswith('15 balls, results ') and line.endswith('s old (STALE)'), line


def _seconds(stamp) -> float:
    return stamp.sec + stamp.nanosec * 1e-9


def test_annotated_image_is_drawn_in_the_received_buffer():
    """At most max_width wide the picture is drawn where the received message holds it (no copy);
    wider, into the scaled copy only."""
    from rclpy.context import Context
    import rclpy
    from billiards_vision.ros.image_bridge import imgmsg_view
    ctx = Context()
    rclpy.init(context=ctx, domain_id=DOMAIN + 1)
    try:
        overlay = Overlay(context=ctx)
        try:
            overlay.table = Table(found=True, corners_px=[40., 30., 600., 30., 600., 330., 40., 330.])
            msg = cv2_to_imgmsg(np.full((360, 640, 3), 60, np.uint8), 'bgr8')
            msg.header.frame_id = 'camera'
            out = overlay.annotated(msg, imgmsg_view(msg, 'bgr8'))
            assert out.data is msg.data and (out.width, out.height, out.step) == (640, 360, 1920)
            assert out.header.frame_id == 'camera'
            assert near(imgmsg_to_cv2(out)[29:32, 300], TABLE_BGR)
            big = cv2_to_imgmsg(np.full((1440, 2560, 3), 60, np.uint8), 'bgr8')
            out = overlay.annotated(big, imgmsg_view(big, 'bgr8'))
            assert (out.width, out.height) == (1280, 720) and out.data is not big.data
            assert near(imgmsg_to_cv2(out)[14:17, 150], TABLE_BGR)    # corners scaled by 0.5
            mono = cv2_to_imgmsg(np.full((360, 640), 60, np.uint8), 'mono8')
            out = overlay.annotated(mono, imgmsg_view(mono, 'bgr8'))
            assert out.encoding == 'bgr8' and near(imgmsg_to_cv2(out)[29:32, 300], TABLE_BGR)
        finally:
            overlay.destroy_node()
    finally:
        rclpy.try_shutdown(context=ctx)


def test_markers_built_only_while_someone_subscribes():
    with node_and_peer(DOMAIN, lambda ctx: Overlay(context=ctx), 'overlay_marker_peer') as (overlay, peer):
        sent = []
        overlay.marker_pub.publish = sent.append      # what the overlay hands to rmw
        balls = BallArray(balls=[Ball(x_px=200., y_px=150., radius_px=10., position=Point(x=0.1, y=0.2),
                                      position_valid=True)])
        balls.header.stamp = peer.get_clock().now().to_msg()
        overlay._publish_markers()
        assert sent == []
        peer.create_subscription(MarkerArray, 'vision/markers', lambda m: None, RESULT_QOS)
        assert wait_for(lambda: overlay.marker_pub.get_subscription_count() > 0, timeout=10)
        overlay.balls = balls
        overlay._publish_markers()
        assert len(sent) == 1 and any(m.ns == 'balls' for m in sent[0].markers)
