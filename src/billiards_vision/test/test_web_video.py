# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""web_video_server: MJPEG of image topics, shared encoding, no backlog, clear errors."""
import http.client
import json
import socket
import threading
import time

import cv2
import numpy as np
import pytest
import rclpy
from rclpy.executors import MultiThreadedExecutor
from rclpy.parameter import Parameter
from sensor_msgs.msg import Image

from billiards_vision.ros.image_bridge import cv2_to_imgmsg
from billiards_vision.ros.qos import SENSOR_QOS
from billiards_vision.web import frames as frames_module
from billiards_vision.nodes.web_video_server import WebVideoServer
from conftest import free_port, wait_for

DOMAIN = 72


class Camera:
    """Publishes noisy 640x480 frames at 30 fps; the frame index is in the top-left pixel."""

    def __init__(self, node, topic='/camera/image_raw'):
        self.node = node
        self.pub = node.create_publisher(Image, topic, SENSOR_QOS)
        self.count = 0
        self.rng = np.random.default_rng(0)
        self.noise = self.rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)  # large JPEGs
        node.create_timer(1 / 30, self.tick)

    def tick(self):
        self.count += 1
        msg = cv2_to_imgmsg(np.roll(self.noise, self.count, axis=1), 'bgr8')
        msg.header.stamp = self.node.get_clock().now().to_msg()
        self.pub.publish(msg)


@pytest.fixture
def server():
    context = rclpy.Context()
    rclpy.init(context=context, domain_id=DOMAIN)
    port = free_port()
    web = WebVideoServer(context=context, parameter_overrides=[
        Parameter('port', value=port), Parameter('address', value='127.0.0.1'),
        Parameter('snapshot_timeout', value=0.5), Parameter('unsubscribe_after', value=0.5)])
    cam_node = rclpy.create_node('fake_camera', context=context)
    camera = Camera(cam_node)
    executor = MultiThreadedExecutor(context=context)
    executor.add_node(web)
    executor.add_node(cam_node)
    thread = threading.Thread(target=executor.spin, daemon=True)
    thread.start()
    yield port, web, camera, cam_node
    executor.shutdown()
    web.destroy_node()
    cam_node.destroy_node()
    rclpy.shutdown(context=context)
    thread.join(timeout=5)


def get(port, path):
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
    conn.request('GET', path)
    resp = conn.getresponse()
    return resp.status, resp.getheader('Content-Type'), resp.read()


def snapshot(port, path, timeout=10.0):
    """GET a /snapshot of a published topic. The server subscribes on the first request, and DDS
    discovery of that subscription can outlast the short snapshot_timeout on a loaded machine, so
    '503 no image yet' is asked again until `timeout`; any other answer is returned at once."""
    result = []

    def answered():
        result[:] = [get(port, path)]
        return result[0][0] != 503
    wait_for(answered, timeout, interval=0.0)
    return result[0]


def read_part(resp):
    """One multipart part -> (headers dict, body bytes)."""
    line = resp.readline()
    while line in (b'\r\n', b'\n'):
        line = resp.readline()
    assert line.strip() == b'--billiardsframe', line
    headers = {}
    while True:
        line = resp.readline().strip()
        if not line:
            break
        key, value = line.decode().split(':', 1)
        headers[key.strip().lower()] = value.strip()
    body = resp.read(int(headers['content-length']))
    return headers, body


def open_stream(port, query):
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
    conn.request('GET', '/stream?' + query)
    resp = conn.getresponse()
    return conn, resp


def test_index_lists_image_topics(server):
    port, *_ = server
    status, ctype, body = get(port, '/')
    assert status == 200 and ctype.startswith('text/html')
    assert b'/camera/image_raw' in body and b'/stream_viewer?topic=/camera/image_raw' in body
    assert b'<img id="main"' in body and b'src="/stream?topic=/camera/image_raw' in body  # live view
    status, _, body = get(port, '/topics')
    assert {'name': '/camera/image_raw', 'type': 'sensor_msgs/msg/Image'} in json.loads(body)


def test_mjpeg_stream_parts_are_resized_jpegs(server):
    port, *_ = server
    conn, resp = open_stream(port, 'topic=/camera/image_raw&width=320&quality=70')
    assert resp.status == 200
    assert resp.getheader('Content-Type') == 'multipart/x-mixed-replace;boundary=billiardsframe'
    assert resp.getheader('Access-Control-Allow-Origin') == '*'
    assert 'no-cache' in resp.getheader('Cache-Control')
    stamps = []
    for _ in range(5):
        headers, body = read_part(resp)
        assert headers['content-type'] == 'image/jpeg'
        image = cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_COLOR)
        assert image.shape == (240, 320, 3)
        stamps.append(float(headers['x-timestamp']))
    assert stamps == sorted(stamps) and len(set(stamps)) == 5  # newer frame every part
    conn.close()


def test_clients_share_one_encode_per_frame(server, monkeypatch):
    port, *_ = server
    calls = []
    real_encode = frames_module.encode
    monkeypatch.setattr(frames_module, 'encode', lambda *a, **k: calls.append(1) or real_encode(*a, **k))
    streams = [open_stream(port, 'topic=/camera/image_raw&width=160') for _ in range(3)]
    seen = set()
    for _ in range(10):
        for _, resp in streams:
            headers, _ = read_part(resp)
            seen.add(headers['x-timestamp'])
    # Three clients, 30 parts, but each distinct frame was encoded once for this variant.
    assert len(calls) <= len(seen) + 3
    assert len(seen) < 30
    for conn, _ in streams:
        conn.close()


def test_slow_client_gets_newest_frame_not_a_backlog(server):
    port, *_ = server
    conn, resp = open_stream(port, 'topic=/camera/image_raw')
    read_part(resp)
    time.sleep(3.0)  # the client stops reading; the server must not queue 90 frames for it
    stamps = [float(read_part(resp)[0]['x-timestamp']) for _ in range(40)]
    gaps = np.diff(stamps)
    assert gaps.max() > 1.0, 'frames published during the stall were replayed'
    conn.close()


def test_bad_requests_get_4xx_with_reason(server):
    port, *_ = server
    cases = {
        '/stream': (400, b'missing required query parameter: topic'),
        '/stream?topic=/camera/image_raw&type=h264': (400, b'not supported'),
        '/stream?topic=/camera/image_raw&type=gif': (400, b'unknown stream type'),
        '/stream?topic=/camera/image_raw&width=-3': (400, b'width must be between'),
        '/stream?topic=/camera/image_raw&quality=abc': (400, b'quality must be an integer'),
        '/stream?topic=/camera/image_raw&qos_profile=fast': (400, b'unknown qos_profile'),
        '/snapshot?topic=/bad topic': (400, b'invalid topic name'),
        '/no/such/page': (404, b'no such page'),
    }
    for path, (code, words) in cases.items():
        status, ctype, body = get(port, path.replace(' ', '%20'))
        assert status == code, path
        assert words in body, (path, body)


def test_snapshot_and_missing_topic(server):
    port, *_ = server
    status, ctype, body = snapshot(port, '/snapshot?topic=/camera/image_raw&width=64')
    assert status == 200 and ctype == 'image/jpeg'
    assert cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_COLOR).shape == (48, 64, 3)
    status, _, body = get(port, '/snapshot?topic=/nobody/publishes/this')
    assert status == 503 and b'no image' in body


def test_dead_clients_and_idle_subscriptions_are_dropped(server):
    port, web, *_ = server
    client = socket.create_connection(('127.0.0.1', port), timeout=10)
    client.sendall(b'GET /stream?topic=/camera/image_raw HTTP/1.1\r\nHost: x\r\n\r\n')
    assert b'--billiardsframe' in client.recv(65536) + client.recv(65536)
    health = json.loads(get(port, '/health')[2])
    assert health['clients'] == 1 and health['topics']['/camera/image_raw']['subscribed']
    client.shutdown(socket.SHUT_RDWR)  # the browser tab is closed
    client.close()
    assert wait_for(lambda: json.loads(get(port, '/health')[2])['clients'] == 0, timeout=5)
    assert wait_for(lambda: '/camera/image_raw' not in json.loads(get(port, '/health')[2])['topics'], timeout=5)


def test_malformed_and_depth_images(server):
    port, web, camera, cam_node = server
    depth_pub = cam_node.create_publisher(Image, '/camera/depth', SENSOR_QOS)
    bad_pub = cam_node.create_publisher(Image, '/camera/broken', SENSOR_QOS)
    depth = (np.arange(60 * 80, dtype=np.uint16).reshape(60, 80) * 7)

    def publish():
        depth_pub.publish(cv2_to_imgmsg(depth, 'mono16'))
        bad_pub.publish(Image(height=10, width=10, encoding='bgr8', step=30, data=bytes(7)))

    timer = cam_node.create_timer(0.05, publish)
    status, ctype, body = snapshot(port, '/snapshot?topic=/camera/depth')
    assert status == 200
    shown = cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert shown.shape == (60, 80) and shown[0, 0] < 10 and shown[-1, -1] > 245  # stretched to 0..255
    status, _, body = snapshot(port, '/snapshot?topic=/camera/broken')
    assert status == 422 and b'cannot encode' in body
    # The server is still healthy and streaming the good topic.
    assert snapshot(port, '/snapshot?topic=/camera/image_raw')[0] == 200
    cam_node.destroy_timer(timer)
