# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Ctrl-C of `ros2 launch`, played the way launch does it.

launch starts every node as its own process in launch's process group. A
terminal's Ctrl-C sends SIGINT to that whole group, and launch's own shutdown
then sends SIGINT to every process still running. Each node must exit 0 (what
launch reports as "finished cleanly" and what our launch file does not
respawn) within 5 s, and nothing it started (capture child, forkserver,
resource tracker) may be left running.
"""
import os
import signal
import subprocess
import time

from sensor_msgs.msg import Image

from billiards_interfaces.msg import BallArray
from billiards_vision.ros.qos import RESULT_QOS, SENSOR_QOS
from billiards_vision.tools import graph
from conftest import CONFIG, executable, free_port, group_alive, observer, ros_env, wait_for

DOMAIN = 81
STOP_WITHIN_S = 5.0  # launch's sigterm_timeout: a node still running then is sent SIGTERM, not a clean stop
LAUNCH_SIGINT_AFTER_S = 0.05  # launch's Shutdown handler signals each process right after the group SIGINT


def node_args(name: str) -> list:
    args = [executable(name), '--ros-args', '--params-file', str(CONFIG)]
    if name == 'camera_driver':  # synthetic:// captures in a child process (shared memory, forkserver)
        args += ['-p', 'source:=synthetic://demo', '-p', 'image_width:=640', '-p', 'image_height:=360']
    if name == 'web_video_server':
        args += ['-p', f'port:={free_port()}']
    return args


def test_sigint_to_the_group_stops_every_node_with_code_0(tmp_path):
    names = [name for name, _ in graph.GRAPH]
    procs, logs, pgid = {}, {}, 0
    with observer(DOMAIN, 'launch_shutdown_observer') as (node, spin_until):
        try:
            for name in names:  # one process group, like the children of the launch process
                logs[name] = tmp_path / f'{name}.log'
                with open(logs[name], 'w') as log:
                    procs[name] = subprocess.Popen(node_args(name), env=ros_env(DOMAIN), stdout=log,
                                                   stderr=subprocess.STDOUT, process_group=pgid)
                pgid = pgid or procs[name].pid

            def output():
                return '\n'.join(f'--- {n}:\n{logs[n].read_text()[-3000:]}' for n in names)

            frames, balls = [], []
            node.create_subscription(Image, '/camera/image_raw', frames.append, SENSOR_QOS)
            node.create_subscription(BallArray, '/balls', balls.append, RESULT_QOS)

            # Stop a busy graph: every node up, frames flowing, the detectors working on them.
            assert spin_until(lambda: set(names) <= set(node.get_node_names()), 60), output()
            assert spin_until(lambda: len(frames) >= 5 and balls, 60), output()
            assert all(p.poll() is None for p in procs.values()), output()

            start = time.monotonic()
            os.killpg(pgid, signal.SIGINT)
            time.sleep(LAUNCH_SIGINT_AFTER_S)
            for proc in procs.values():
                if proc.poll() is None:
                    proc.send_signal(signal.SIGINT)
            codes = {}
            for name, proc in procs.items():
                try:
                    codes[name] = proc.wait(timeout=max(0.0, start + STOP_WITHIN_S - time.monotonic()))
                except subprocess.TimeoutExpired:
                    codes[name] = 'still running'
            assert codes == {name: 0 for name in names}, output()
            assert 'Traceback' not in output(), output()
            # Grandchildren (capture child, forkserver, resource tracker) go with their node.
            assert wait_for(lambda: not group_alive(pgid), 2.0), \
                subprocess.run(['ps', '-o', 'pid,stat,args', '-g', str(pgid)], capture_output=True, text=True).stdout
            leaked = [n for n in names if 'leaked' in logs[n].read_text()]
            assert not leaked, output()
        finally:
            if pgid and group_alive(pgid):
                os.killpg(pgid, signal.SIGKILL)
            for proc in procs.values():
                proc.wait()
