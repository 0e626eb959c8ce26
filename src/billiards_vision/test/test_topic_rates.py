# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""topic_rates measures a running camera from another process."""
import json
import subprocess

from conftest import CONFIG, executable, ros_env

DOMAIN = 83


def test_topic_rates_reports_rate_latency_and_size_of_a_running_camera(processes):
    camera = processes.start([executable('camera_driver'), '--ros-args', '--params-file', str(CONFIG),
                              '-p', 'source:=pattern://moving', '-p', 'image_width:=320', '-p', 'image_height:=240',
                              '-p', 'framerate:=20.0'], env=ros_env(DOMAIN))
    result = subprocess.run([executable('topic_rates'), '--seconds', '3', '--json', '--diagnostics',
                             '--topics', '/camera/image_raw', '/camera/camera_info', '/balls'],
                            env=ros_env(DOMAIN), capture_output=True, text=True, timeout=90)
    processes.stop(camera)
    assert result.returncode == 0, result.stdout + result.stderr
    stats = json.loads(result.stdout)
    image = stats['/camera/image_raw']
    assert image['size'] == '320x240'
    assert image['messages'] > 5 and 0 < image['rate_hz'] <= 25  # paced at 20 fps; under load fewer
    assert 0 <= image['latency_p50_ms'] <= image['latency_p95_ms']
    info = stats['/camera/camera_info']     # sent with every frame, its stamp: the camera without its pictures
    assert info['size'] == '320x240' and info['messages'] > 5 and 0 < info['rate_hz'] <= 25
    assert stats['/balls']['messages'] == 0 and stats['/balls']['rate_hz'] == 0.0  # nobody publishes it
    # The driver's /diagnostics status (published every second) came along.
    camera_status = [v for k, v in stats['diagnostics'].items() if k.startswith('camera_driver')]
    assert camera_status and 'fps' in camera_status[0]


def test_topic_rates_refuses_a_bad_window():
    result = subprocess.run([executable('topic_rates'), '--seconds', '0'], capture_output=True, text=True)
    assert result.returncode == 2 and '--seconds must be > 0' in result.stderr
