# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""The process supervisor behind `make run`, on small Python children (no ROS)."""
import io
import os
import signal
import sys
import threading

import yaml

from billiards_vision.tools.processes import Child, Supervisor
from conftest import wait_for

# Exits 0 on SIGINT, like a node.
SLEEPER = 'import signal, sys, time; signal.signal(signal.SIGINT, lambda *a: sys.exit(0)); time.sleep(60)'


def flaky(starts_file, failures: int) -> list:
    """A child that records each start, fails `failures` times, then runs like a node."""
    code = (f'import os, sys; open({str(starts_file)!r}, "a").write(str(os.getpid()) + "\\n"); '
            f'n = len(open({str(starts_file)!r}).read().split()); '
            f'sys.exit(1) if n <= {failures} else exec({SLEEPER!r})')
    return [sys.executable, '-c', code]


def interrupt_when(predicate):
    """SIGINT this process (the supervisor's handler) once `predicate` holds."""
    def run():
        wait_for(predicate, 30)
        os.kill(os.getpid(), signal.SIGINT)
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_failed_child_starts_again_with_backoff_and_sigint_stops_all(tmp_path):
    starts = tmp_path / 'starts'
    starts.touch()
    children = [Child('flaky', flaky(starts, failures=2)), Child('done', [sys.executable, '-c', 'pass']),
                Child('steady', [sys.executable, '-c', SLEEPER])]
    out = io.StringIO()
    supervisor = Supervisor(children, dict(os.environ), restart_delay=0.2, restart_delay_max=5.0, out=out)
    interrupt_when(lambda: len(starts.read_text().split()) >= 3)
    assert supervisor.run() == 0, out.getvalue()
    log = out.getvalue()
    assert len(starts.read_text().split()) == 3  # two failures, then running until SIGINT
    assert 'flaky exited with code 1' in log and 'starting it again in 0.2 s' in log
    assert 'starting it again in 0.4 s' in log  # the delay doubles for failures in a row
    assert 'done finished (exit 0); not started again' in log
    assert children[1].runs == 1 and children[2].runs == 1
    assert 'not stopped cleanly' not in log
    assert all(c.proc is None for c in children)


def test_a_child_that_refuses_its_parameters_stops_everything():
    children = [Child('steady', [sys.executable, '-c', SLEEPER]),
                Child('bad', [sys.executable, '-c', 'import sys; sys.exit(2)'])]
    out = io.StringIO()
    supervisor = Supervisor(children, dict(os.environ), out=out)
    assert supervisor.run() == 2, out.getvalue()
    assert 'bad refused its parameters' in out.getvalue()
    assert children[0].proc is None and children[0].runs == 1


def test_a_child_that_ignores_sigint_is_terminated(tmp_path):
    ready = tmp_path / 'ready'
    stubborn = (f'import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); '
                f'open({str(ready)!r}, "w").close(); time.sleep(60)')
    children = [Child('stubborn', [sys.executable, '-c', stubborn])]
    out = io.StringIO()
    supervisor = Supervisor(children, dict(os.environ), stop_timeout=0.5, out=out)
    interrupt_when(ready.exists)
    assert supervisor.run() == 1  # not clean, but stopped
    assert 'stubborn still running; sending SIGTERM' in out.getvalue()
    assert children[0].proc is None


def test_source_and_port_overrides_keep_their_types(tmp_path):
    from billiards_vision.tools import graph
    args, ros_args = graph.parse_args(['--source', '0', '--web-port', '9000', '--ros-args', '-p', 'image_width:=640'])
    assert ros_args == ['--ros-args', '-p', 'image_width:=640']
    option, path = graph.overrides_file(args, str(tmp_path))
    assert option == '--params-file'
    with open(path) as f:
        sections = yaml.safe_load(f)
    assert sections['camera_driver']['ros__parameters']['source'] == '0'  # device index 0 stays a string
    assert sections['web_video_server']['ros__parameters']['port'] == 9000
    assert graph.overrides_file(graph.parse_args([])[0], str(tmp_path)) == []
