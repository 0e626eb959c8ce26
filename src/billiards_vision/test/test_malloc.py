# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""ros.malloc: a node's received frames reuse memory instead of fresh pages for every frame.

Two subscriber processes, one a node run by run_node (tuned) and one the same node with the
tuning switched off, take 720p frames from a publisher process; each counts its minor page
faults over 30 frames. Page faults, not time: the count does not depend on the CPU's speed or load.
"""
import json
import platform
import sys

import pytest

from conftest import ros_env

DOMAIN_ID = 57
PAGES = 1280 * 720 * 3 // 4096   # of one 720p bgr8 frame

PUBLISHER = r'''
import time
import numpy as np
import rclpy
from sensor_msgs.msg import Image
from billiards_vision.ros import image_bridge
from billiards_vision.ros.qos import SENSOR_QOS
rclpy.init()
node = rclpy.create_node('frame_source')
pub = node.create_publisher(Image, 'frames', SENSOR_QOS)
frame = np.full((720, 1280, 3), 90, np.uint8)
end = time.monotonic() + 60
while rclpy.ok() and time.monotonic() < end:
    pub.publish(image_bridge.cv2_to_imgmsg(frame, 'bgr8'))
    time.sleep(1 / 30)
'''

SUBSCRIBER = r'''
import json, resource, sys
import rclpy
from rclpy.node import Node
from sensor_msgs.msg import Image
import billiards_vision.ros.node_main as node_main
from billiards_vision.ros.qos import SENSOR_QOS
if sys.argv[1] == 'off':
    node_main.keep_image_buffers = lambda: False

class FaultCounter(Node):
    def __init__(self):
        super().__init__('fault_counter')
        self.frames, self.start = 0, 0
        self.create_subscription(Image, 'frames', self.on_frame, SENSOR_QOS)

    def on_frame(self, msg):
        self.frames += 1
        if self.frames == 10:
            self.start = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        elif self.frames == 40:
            faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - self.start
            print(json.dumps({'faults_per_frame': faults / 30}), flush=True)
            rclpy.shutdown()

sys.exit(node_main.run_node(FaultCounter))
'''


@pytest.mark.skipif(platform.system() != 'Linux' or platform.libc_ver()[0] != 'glibc', reason='glibc only')
def test_received_frames_reuse_memory(processes):
    env = {k: v for k, v in ros_env(DOMAIN_ID).items() if not k.startswith('MALLOC_')}
    subs = {mode: processes.start([sys.executable, '-c', SUBSCRIBER, mode], env) for mode in ('on', 'off')}
    processes.start([sys.executable, '-c', PUBLISHER], env)
    faults = {}
    for mode, proc in subs.items():
        out, _ = proc.communicate(timeout=60)
        lines = [line for line in out.splitlines() if line.startswith('{')]
        assert proc.returncode == 0 and lines, out
        faults[mode] = json.loads(lines[-1])['faults_per_frame']
    # glibc's defaults: every frame lands in freshly mapped pages (measured 3 frames' worth per frame).
    assert faults['off'] > PAGES, faults
    # Kept: the same pages serve the next frame (measured ~0).
    assert faults['on'] < 0.2 * PAGES, faults


def test_glibc_variables_set_by_the_user_win(monkeypatch):
    from billiards_vision.ros.malloc import keep_image_buffers
    monkeypatch.setenv('MALLOC_TRIM_THRESHOLD_', '131072')
    assert keep_image_buffers() is False
