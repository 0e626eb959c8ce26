# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""The `main()` every node executable shares: init, spin, clean shutdown on SIGINT/SIGTERM."""
from __future__ import annotations

import signal
import sys
from typing import Callable, Optional

import rclpy
import rclpy.executors
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.signals import SignalHandlerOptions


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f'signal {signum}')


def init_with_orderly_shutdown(args: Optional[list] = None) -> None:
    """rclpy.init without rclpy's signal handlers: SIGINT/SIGTERM raise KeyboardInterrupt
    in the main thread instead, so the caller stops its executor and destroys its
    nodes (joining their worker threads) BEFORE the context goes away. With rclpy's
    handlers the context is shut down first and workers that are mid-frame fail to
    publish on an invalid context."""
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)


def spin_until_shutdown(executor) -> None:
    """Spin with a short wait so the main thread returns to Python often enough for
    the SIGINT/SIGTERM handlers above to run (a wait with no timeout blocks in C)."""
    while executor.context.ok():
        executor.spin_once(timeout_sec=0.25)


def run_node(factory: Callable[[], Node], args: Optional[list] = None) -> int:
    """Create the node with `factory()`, spin until shutdown, return the exit code.

    A node may set `node.exit_code` (e.g. the camera driver after too many failed
    reconnects) before calling rclpy.shutdown(); that code is returned so
    launch's `respawn` sees the failure. Start-up errors (bad parameters) print
    the reason and return 2.
    """
    init_with_orderly_shutdown(args if args is not None else sys.argv)
    node = None
    code = 0
    try:
        node = factory()
        executor = rclpy.executors.SingleThreadedExecutor()
        executor.add_node(node)
        spin_until_shutdown(executor)
    except (KeyboardInterrupt, ExternalShutdownException):
        code = 0
    except ValueError as exc:  # invalid parameters at start-up
        print(f'[error] {exc}', file=sys.stderr)
        code = 2
    finally:
        if node is not None:
            code = getattr(node, 'exit_code', code) or code
            node.destroy_node()
        rclpy.try_shutdown()
    return code
