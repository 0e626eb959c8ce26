# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""The `main()` every node executable shares: init, spin, clean shutdown on SIGINT/SIGTERM.

A signal only sets a flag that the spin loop checks. Raising KeyboardInterrupt
from the handler (what Python does by default) lands wherever the main thread
is: inside a pybind11 call rclpy turns it into a RuntimeError, and inside the
cleanup it aborts the cleanup. Under `ros2 launch` a node gets SIGINT twice
(the terminal's Ctrl-C reaches the whole process group, then launch signals
each process), so the second one arrived mid-cleanup or during interpreter
finalization and the node died of it (exit -2) instead of finishing cleanly (exit 0).
"""
from __future__ import annotations

import signal
import sys
import threading
from typing import Callable, Optional

import rclpy
import rclpy.executors
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.signals import SignalHandlerOptions

from billiards_vision.ros.malloc import keep_image_buffers

_stop = threading.Event()
SPIN_PERIOD_S = 0.25  # longest a signal waits for the spin loop to notice it


def _request_stop(signum, frame):
    _stop.set()
    ignore_repeated_signals()


def ignore_repeated_signals() -> None:
    """From now on a SIGINT changes nothing; a SIGTERM (launch escalates to it after
    sigterm_timeout) ends a cleanup that hangs. SIG_IGN, unlike a Python handler, also
    survives interpreter finalization, which puts back the default (die of SIGINT)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def stop_requested() -> bool:
    """True once SIGINT or SIGTERM arrived."""
    return _stop.is_set()


def init_with_orderly_shutdown(args: Optional[list] = None) -> None:
    """rclpy.init without rclpy's signal handlers: SIGINT/SIGTERM end `spin_until_shutdown`,
    so the caller destroys its nodes (joining their worker threads) BEFORE the context
    goes away. With rclpy's handlers the context is shut down first and workers that are
    mid-frame fail to publish on an invalid context. Repeated signals are ignored."""
    _stop.clear()
    signal.signal(signal.SIGINT, _request_stop)
    signal.signal(signal.SIGTERM, _request_stop)
    rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)


def spin_until_shutdown(executor) -> None:
    """Spin until a signal or rclpy.shutdown; the short wait lets the main thread see the flag."""
    while executor.context.ok() and not _stop.is_set():
        executor.spin_once(timeout_sec=SPIN_PERIOD_S)


def run_node(factory: Callable[[], Node], args: Optional[list] = None) -> int:
    """Create the node with `factory()`, spin until shutdown, return the exit code.

    0 after SIGINT/SIGTERM (launch: "finished cleanly", not respawned). A node may set
    `node.exit_code` (e.g. the camera driver after too many failed reconnects) before
    calling rclpy.shutdown(); that code is returned so launch respawns it. Start-up
    errors (bad parameters) print the reason and return 2.
    """
    keep_image_buffers()   # before the first frame: see ros.malloc
    init_with_orderly_shutdown(args if args is not None else sys.argv)
    node = executor = None
    code = 0
    try:
        # Only the start-up's ValueError means bad parameters (exit 2: not restarted); one raised by a
        # callback later is a crash (exit 1), which the graph and launch restart.
        try:
            node = factory()
        except ValueError as exc:
            print(f'[error] {exc}', file=sys.stderr)
            return 2
        executor = rclpy.executors.SingleThreadedExecutor()
        executor.add_node(node)
        spin_until_shutdown(executor)
    except ExternalShutdownException:
        code = 0
    finally:
        ignore_repeated_signals()
        if executor is not None:  # before the context goes: its guard conditions belong to the context
            executor.shutdown(timeout_sec=1.0)
        if node is not None:
            code = getattr(node, 'exit_code', code) or code
            node.destroy_node()
        rclpy.try_shutdown()
    return code
