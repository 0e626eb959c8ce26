# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Shared test helpers: isolated ROS domains and process cleanup."""
import contextlib
import os
import pathlib
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

PACKAGE_ROOT = pathlib.Path(__file__).resolve().parents[1]
WORKSPACE = PACKAGE_ROOT.parents[1]
CONFIG = PACKAGE_ROOT / 'config' / 'billiards.yaml'
FASTDDS_PROFILE = PACKAGE_ROOT / 'config' / 'fastdds_large_data.xml'


def ros_env(domain_id: int, **extra) -> dict:
    """Environment for a child process on its own ROS domain with the shipped DDS profile."""
    env = dict(os.environ)
    env['ROS_DOMAIN_ID'] = str(domain_id)
    env['PYTHONUNBUFFERED'] = '1'
    if FASTDDS_PROFILE.exists():
        env['FASTRTPS_DEFAULT_PROFILES_FILE'] = str(FASTDDS_PROFILE)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def executable(name: str) -> str:
    """Path of an installed console script (what `ros2 run billiards_vision NAME` runs)."""
    path = WORKSPACE / 'install' / 'billiards_vision' / 'lib' / 'billiards_vision' / name
    if not path.exists():
        raise FileNotFoundError(f'{path} missing: run make setup')
    return str(path)


class Processes:
    """Starts child processes in their own process groups and always ends them."""

    def __init__(self):
        self.procs = []

    def start(self, args, env, **kwargs) -> subprocess.Popen:
        proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True, text=True, **kwargs)
        self.procs.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen, sig=signal.SIGINT, timeout: float = 10.0) -> tuple[int, str]:
        """Send `sig`, wait; kill the group if it does not end. Returns (code, output)."""
        if proc.poll() is None:
            proc.send_signal(sig)
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
            return -9, out
        return proc.returncode, out

    def cleanup(self):
        for proc in self.procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    continue
                proc.wait()


@pytest.fixture
def processes():
    procs = Processes()
    yield procs
    procs.cleanup()


def wait_for(predicate, timeout: float, interval: float = 0.05):
    """Poll `predicate` until it returns a truthy value or `timeout` passes; returns the last value."""
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = predicate()
    return value


def group_alive(pgid: int) -> bool:
    """Whether any process of process group `pgid` still exists."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@contextlib.contextmanager
def observer(domain_id: int, name: str):
    """A test node on its own ROS domain, spun on the test's thread by `spin_until`.
    Yields (node, spin_until) with spin_until(predicate, timeout) -> the predicate's last value."""
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    context = rclpy.Context()
    rclpy.init(context=context, domain_id=domain_id)
    node = rclpy.create_node(name, context=context)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)

    def spin_until(predicate, timeout: float):
        return wait_for(lambda: executor.spin_once(timeout_sec=0.05) or predicate(), timeout)
    try:
        yield node, spin_until
    finally:
        executor.shutdown()
        node.destroy_node()
        rclpy.shutdown(context=context)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


PYTHON = sys.executable


@contextlib.contextmanager
def node_and_peer(domain_id: int, make_node, peer_name: str):
    """A node under test (`make_node(context)`) and a peer node on their own ROS domain, spun on a
    background thread; both destroyed and the context shut down afterwards. Yields (node, peer).
    Single-threaded like `run_node`: callbacks run on the spin thread, as they do in the product."""
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    context = rclpy.Context()
    rclpy.init(context=context, domain_id=domain_id)
    node = make_node(context)
    peer = rclpy.create_node(peer_name, context=context)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    executor.add_node(peer)
    thread = threading.Thread(target=executor.spin, daemon=True)
    thread.start()
    try:
        yield node, peer
    finally:
        # The spin thread ends before the nodes go: destroyed under a running wait it raised
        # "cannot use Destroyable because destruction was requested" in that thread.
        executor.shutdown()
        thread.join(timeout=5)
        node.destroy_node()
        peer.destroy_node()
        rclpy.shutdown(context=context)
