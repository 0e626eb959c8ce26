# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Shared memory of a killed camera driver is reclaimed by the next one, with no leak warning."""
import os
import signal
import subprocess
import sys

import pytest

from billiards_vision.camera import shm
from conftest import CONFIG, executable, ros_env, wait_for

pytestmark = pytest.mark.skipif(not shm.available(), reason='named segments need /dev/shm and /proc')
DOMAIN = 82


def segments() -> set:
    return {n for n in os.listdir(shm.SHM_DIR) if n.startswith(shm.PREFIX)}


def test_reclaim_unlinks_only_segments_of_processes_that_are_gone():
    gone = subprocess.run([sys.executable, '-c', 'import os; print(os.getpid())'], capture_output=True, text=True)
    dead_pid = int(gone.stdout)
    live = shm.Segment.new(990001, 4096)
    dead = shm.Segment(f'{shm.PREFIX}{dead_pid}_12345_0', 4096, create=True)
    reused = shm.Segment(f'{shm.PREFIX}{os.getpid()}_1_0', 4096, create=True)  # our pid, another start time
    try:
        reclaimed = shm.reclaim_stale()
        assert dead.name in reclaimed and reused.name in reclaimed
        assert live.name not in reclaimed
        assert live.name in segments() and dead.name not in segments() and reused.name not in segments()
    finally:
        for segment in (live, dead, reused):
            segment.close()
            segment.unlink()


def test_segments_of_a_sigkilled_driver_are_reclaimed_on_the_next_start(processes):
    args = [executable('camera_driver'), '--ros-args', '--params-file', str(CONFIG),
            '-p', 'source:=synthetic://demo', '-p', 'capture_mode:=process',
            '-p', 'image_width:=320', '-p', 'image_height:=180']
    before = segments()
    first = processes.start(args, env=ros_env(DOMAIN))
    ours = wait_for(lambda: {n for n in segments() - before if n.startswith(f'{shm.PREFIX}{first.pid}_')}, 30)
    assert ours, 'the capture child never got a frame segment'
    first.kill()  # the node only, as launch's respawn test does: its children and resource tracker stay
    first_out = first.communicate()[0]
    assert ours <= segments()  # nobody cleaned up after a SIGKILL ...

    second = processes.start(args, env=ros_env(DOMAIN))
    assert wait_for(lambda: not (ours & segments()), 30), ours & segments()  # ... until the next start
    code, second_out = processes.stop(second, signal.SIGINT, timeout=15)
    assert code == 0, second_out
    assert 'reclaimed' in second_out, second_out
    assert 'leaked' not in first_out + second_out, first_out + second_out
    assert not {n for n in segments() if n.startswith(f'{shm.PREFIX}{second.pid}_')}  # a clean stop unlinks
