# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""The installed executables start, publish, and stop cleanly on SIGINT.

Each node runs as its own process (as `ros2 launch` starts them), then the
whole graph as `make run` starts it: billiards_graph with one process per node
(a killed node is started again, SIGINT stops all) and with --single-process;
all on their own ROS domain.
"""
import http.client
import os
import queue
import re
import signal
import subprocess
import threading

import cv2
import numpy as np
import pytest
from sensor_msgs.msg import Image

from billiards_interfaces.msg import BallArray, CueStick, Table
from billiards_vision.tools import graph
from billiards_vision.ros.qos import LATCHED_QOS, RESULT_QOS, SENSOR_QOS
from conftest import CONFIG, executable, free_port, group_alive, observer, ros_env, wait_for

DOMAIN = 74


class Output:
    """Collects a child's output lines on a thread so pipes never fill up."""

    def __init__(self, proc):
        self.lines = queue.Queue()
        self.text = []
        threading.Thread(target=self._pump, args=(proc,), daemon=True).start()

    def _pump(self, proc):
        try:
            for line in proc.stdout:
                self.text.append(line)
                self.lines.put(line)
        except ValueError:
            return  # Processes.stop() read the rest and closed the pipe

    def find(self, pattern: str, timeout: float):
        regex = re.compile(pattern)
        return wait_for(lambda: next((m for m in map(regex.search, list(self.text)) if m), None), timeout)


@pytest.fixture
def ros():
    with observer(DOMAIN, 'graph_test_observer') as node_and_spin:
        yield node_and_spin


@pytest.mark.parametrize('name', [name for name, _ in graph.GRAPH])
def test_node_process_starts_and_stops_on_sigint(name, processes, ros):
    node, spin_until = ros
    args = [executable(name), '--ros-args', '--params-file', str(CONFIG)]
    if name == 'web_video_server':
        args += ['-p', f'port:={free_port()}']
    if name == 'camera_driver':
        args += ['-p', 'source:=pattern://moving', '-p', 'image_width:=320', '-p', 'image_height:=240']
    proc = processes.start(args, env=ros_env(DOMAIN))
    output = Output(proc)
    assert spin_until(lambda: name in node.get_node_names(), 30), ''.join(output.text)
    if name == 'camera_driver':
        frames = []
        node.create_subscription(Image, '/camera/image_raw', frames.append, SENSOR_QOS)
        assert spin_until(lambda: len(frames) >= 3, 20), ''.join(output.text)
        assert (frames[-1].width, frames[-1].height, frames[-1].encoding) == (320, 240, 'bgr8')
    assert proc.poll() is None, ''.join(output.text)
    code, _ = processes.stop(proc, signal.SIGINT, timeout=15)
    assert code == 0, ''.join(output.text)
    assert 'Traceback' not in ''.join(output.text), ''.join(output.text)


def read_part(resp):
    line = resp.readline()
    while line in (b'\r\n', b'\n'):
        line = resp.readline()
    assert line.strip() == b'--billiardsframe', line
    length = 0
    while True:
        header = resp.readline().strip()
        if not header:
            break
        if header.lower().startswith(b'content-length:'):
            length = int(header.split(b':')[1])
    return cv2.imdecode(np.frombuffer(resp.read(length), np.uint8), cv2.IMREAD_COLOR)


def graph_children(pid: int) -> dict:
    """node name -> pid of the node processes a billiards_graph supervisor started."""
    out = subprocess.run(['ps', '-ww', '-o', 'pid=,args=', '--ppid', str(pid)], capture_output=True, text=True).stdout
    return {m.group(2): int(m.group(1)) for m in re.finditer(r'^\s*(\d+) .*node_process (\w+)', out, re.M)}


@pytest.mark.parametrize('mode', ['processes', 'single-process'])
def test_whole_graph_serves_a_moving_picture_and_publishes_results(mode, processes, ros):
    node, spin_until = ros
    port = free_port()
    args = [executable('billiards_graph'), '--source', 'synthetic://demo', '--web-port', str(port)]
    if mode == 'single-process':
        args.append('--single-process')
    proc = processes.start(args + ['--ros-args', '-p', 'image_width:=960', '-p', 'image_height:=540'],
                           env=ros_env(DOMAIN))
    output = Output(proc)
    url = output.find(r'viewer: (http://\S+)', 60)
    assert url, ''.join(output.text)
    assert url.group(1) == f'http://127.0.0.1:{port}/'

    balls, tables, frames, cues = [], [], [], []
    node.create_subscription(CueStick, '/cue', cues.append, RESULT_QOS)
    node.create_subscription(BallArray, '/balls', balls.append, RESULT_QOS)
    node.create_subscription(Table, '/table', tables.append, LATCHED_QOS)
    node.create_subscription(Image, '/camera/image_raw', frames.append, SENSOR_QOS)

    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
    conn.request('GET', '/stream?topic=/camera/image_raw&width=480')
    resp = conn.getresponse()
    assert resp.status == 200
    first = read_part(resp)
    assert first is not None and first.shape == (270, 480, 3)
    # The synthetic camera cycles its sensor noise through 8 offsets, so with the balls at rest two frames
    # can be the same picture (about 1 pair in 6): a live stream shows some part unlike the first, a frozen
    # one none.
    later = [read_part(resp) for _ in range(20)]
    change = max(np.abs(first.astype(int) - part.astype(int)).mean() for part in later)
    assert change > 0.5, f'the picture does not move ({change:.2f})'
    conn.close()

    assert spin_until(lambda: tables and balls and frames, 60), ''.join(output.text)
    assert tables[-1].found
    assert (frames[-1].width, frames[-1].height) == (960, 540)  # --ros-args reach the camera
    if mode == 'processes':
        children = graph_children(proc.pid)
        assert set(children) == {name for name, _ in graph.GRAPH}, children  # one process per node
        os.kill(children['cue_detector'], signal.SIGKILL)  # a crash: started again, like launch respawn
        assert output.find(r'cue_detector exited with code -9 .*starting it again', 10), ''.join(output.text)
        assert wait_for(lambda: graph_children(proc.pid).get('cue_detector') not in (None, children['cue_detector']),
                        30), ''.join(output.text)
        spin_until(lambda: False, 0.5)
        cues.clear()
        assert spin_until(lambda: cues, 60), ''.join(output.text)  # from the new process
    code, _ = processes.stop(proc, signal.SIGINT, timeout=20)  # the supervisor only: it stops its children
    assert code == 0, ''.join(output.text)
    assert 'Traceback' not in ''.join(output.text), ''.join(output.text)
    assert wait_for(lambda: not group_alive(proc.pid), 5), 'processes left running'
