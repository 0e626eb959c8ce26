# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""The shipped Fast DDS profile: well-formed, applied by ros-env.sh, and a full-HD frame
published reliably in one process arrives intact in another."""
import hashlib
import json
import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from billiards_vision.tools.bench_transport import FASTDDS_VARS, large_data_env, profile_path

REPO = Path(__file__).resolve().parents[3]
NS = {'p': 'http://www.eprosima.com/XMLSchemas/fastRTPS_Profiles'}
DOMAIN_ID = '90'
WIDTH, HEIGHT, SEED = 1920, 1080, 7

_FRAME = f'numpy.random.default_rng({SEED}).integers(0, 256, ({HEIGHT}, {WIDTH}, 3), dtype=numpy.uint8)'
PUB_CODE = textwrap.dedent(f'''
    import array, signal, time, numpy, rclpy
    from rclpy.qos import QoSProfile, ReliabilityPolicy
    from sensor_msgs.msg import Image
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    rclpy.init(signal_handler_options=rclpy.signals.SignalHandlerOptions.NO)
    node = rclpy.create_node('transport_test_pub')
    pub = node.create_publisher(Image, 'transport_test/image',
                                QoSProfile(depth=5, reliability=ReliabilityPolicy.RELIABLE))
    msg = Image(height={HEIGHT}, width={WIDTH}, encoding='bgr8', step={WIDTH * 3})
    data = array.array('B')
    data.frombytes({_FRAME}.data)
    msg.data = data
    while not stop:
        if pub.get_subscription_count():
            pub.publish(msg)
        time.sleep(0.2)
    node.destroy_node()
    rclpy.try_shutdown()
''')
SUB_CODE = textwrap.dedent('''
    import hashlib, json, rclpy
    from rclpy.qos import QoSProfile, ReliabilityPolicy
    from sensor_msgs.msg import Image
    rclpy.init()
    node = rclpy.create_node('transport_test_sub')
    frames = []
    node.create_subscription(Image, 'transport_test/image', frames.append,
                             QoSProfile(depth=5, reliability=ReliabilityPolicy.RELIABLE))
    while not frames:
        rclpy.spin_once(node, timeout_sec=0.2)
    msg = frames[0]
    print(json.dumps({'width': msg.width, 'height': msg.height, 'encoding': msg.encoding,
                      'step': msg.step, 'sha256': hashlib.sha256(msg.data).hexdigest()}))
    node.destroy_node()
    rclpy.try_shutdown()
''')


def _profile_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in FASTDDS_VARS}
    env.update(large_data_env(), ROS_DOMAIN_ID=DOMAIN_ID, PYTHONUNBUFFERED='1')
    return env


def test_profile_is_well_formed_and_replaces_builtin_transports():
    root = ET.parse(profile_path()).getroot()
    profiles = root.find('p:profiles', NS)
    descriptors = {d.findtext('p:transport_id', namespaces=NS): d
                   for d in profiles.findall('p:transport_descriptors/p:transport_descriptor', NS)}
    participant = profiles.find("p:participant[@is_default_profile='true']", NS)
    assert participant is not None
    assert participant.findtext('p:rtps/p:useBuiltinTransports', namespaces=NS) == 'false'
    used = [t.text for t in participant.findall('p:rtps/p:userTransports/p:transport_id', NS)]
    assert used and set(used) <= set(descriptors)
    kinds = {descriptors[t].findtext('p:type', namespaces=NS): descriptors[t] for t in used}
    assert set(kinds) == {'SHM', 'UDPv4'}
    # The segment must hold several full-HD frames in flight.
    assert int(kinds['SHM'].findtext('p:segment_size', namespaces=NS)) >= 4 * WIDTH * HEIGHT * 3


def test_ros_env_points_at_profile():
    env = {k: v for k, v in os.environ.items() if k != 'FASTRTPS_DEFAULT_PROFILES_FILE'}
    out = subprocess.run(['bash', '-c', 'source scripts/ros-env.sh --no-workspace && '
                          'echo "$FASTRTPS_DEFAULT_PROFILES_FILE"'],
                         cwd=REPO, env=env, capture_output=True, text=True, check=True, timeout=30)
    shipped = REPO / 'src' / 'billiards_vision' / 'config' / 'fastdds_large_data.xml'
    assert Path(out.stdout.strip()).resolve() == shipped.resolve()
    # The launch file and tests use large_data_env(): the same profile (source tree or installed copy).
    assert Path(large_data_env()['FASTRTPS_DEFAULT_PROFILES_FILE']).read_bytes() == shipped.read_bytes()


def test_full_hd_frame_crosses_processes_intact(tmp_path):
    env = _profile_env()
    # cwd = tmp_path: no stray DEFAULT_FASTRTPS_PROFILES.xml is picked up.
    sub = subprocess.Popen([sys.executable, '-c', SUB_CODE], env=env, cwd=tmp_path,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    pub = subprocess.Popen([sys.executable, '-c', PUB_CODE], env=env, cwd=tmp_path,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        sub_out, _ = sub.communicate(timeout=40)
    finally:
        for proc in (sub, pub):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
    pub_out = pub.stdout.read()
    pub.stdout.close()
    # Fast DDS falls back to its builtin transports when it cannot parse the profile.
    assert 'XMLPARSER' not in sub_out + pub_out, sub_out + pub_out
    assert sub.returncode == 0, sub_out
    frame = np.random.default_rng(SEED).integers(0, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8)
    received = json.loads([line for line in sub_out.splitlines() if line.startswith('{')][-1])
    assert received == {'width': WIDTH, 'height': HEIGHT, 'encoding': 'bgr8', 'step': WIDTH * 3,
                        'sha256': hashlib.sha256(frame.data).hexdigest()}
