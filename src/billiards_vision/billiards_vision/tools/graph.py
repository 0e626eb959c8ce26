# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""billiards_graph: every node of the product in one process (what `make run` starts).

On the target, `ros2 launch billiards_vision billiards.launch.py` runs the same
nodes as separate processes; this executable is for machines without launch
and for a quick look. Parameters come from config/billiards.yaml (one section
per node name), with --source and --web-port overriding the two that people
change most.
"""
from __future__ import annotations

import argparse
import importlib
import inspect
import os
import sys

import rclpy
from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor
from rclpy.node import Node
from rclpy.parameter import Parameter

from billiards_vision.ros.node_main import init_with_orderly_shutdown, spin_until_shutdown

# (node name, module) in start order; each module defines one rclpy Node subclass.
GRAPH = (
    ('camera_driver', 'billiards_vision.nodes.camera_driver'),
    ('table_detector', 'billiards_vision.nodes.table_detector'),
    ('ball_detector', 'billiards_vision.nodes.ball_detector'),
    ('cue_detector', 'billiards_vision.nodes.cue_detector'),
    ('tracker', 'billiards_vision.nodes.tracker'),
    ('overlay', 'billiards_vision.nodes.overlay'),
    ('web_video_server', 'billiards_vision.nodes.web_video_server'),
)


def node_class(module_name: str) -> type:
    """The Node subclass a node module defines."""
    module = importlib.import_module(module_name)
    classes = [c for _, c in inspect.getmembers(module, inspect.isclass)
               if issubclass(c, Node) and c is not Node and c.__module__ == module_name]
    if len(classes) != 1:
        raise RuntimeError(f'{module_name} must define exactly one Node subclass, found {classes}')
    return classes[0]


def default_params_file() -> str:
    package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    here = os.path.join(package_root, 'config', 'billiards.yaml')
    if os.path.exists(here):  # source tree / symlink install
        return here
    from ament_index_python.packages import get_package_share_directory
    return os.path.join(get_package_share_directory('billiards_vision'), 'config', 'billiards.yaml')


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(prog='billiards_graph', description=__doc__.split('\n')[0])
    parser.add_argument('--params-file', default=None, help='node parameters YAML (default: config/billiards.yaml)')
    parser.add_argument('--source', default=None, help='camera source, e.g. synthetic://demo, clip.mp4, /dev/video0')
    parser.add_argument('--web-port', type=int, default=None, help='port of the web video server')
    parser.add_argument('--without', action='append', default=[], choices=[n for n, _ in GRAPH],
                        help='leave a node out (repeatable)')
    ros_args = []
    if '--ros-args' in argv:
        i = argv.index('--ros-args')
        argv, ros_args = argv[:i], argv[i:]
    return parser.parse_args(argv), ros_args


def main(argv: list[str] | None = None) -> int:
    args, ros_args = parse_args(list(sys.argv[1:] if argv is None else argv))
    params_file = args.params_file or default_params_file()
    if not os.path.exists(params_file):
        print(f'[error] parameters file not found: {params_file}', file=sys.stderr)
        return 2
    init_with_orderly_shutdown(['billiards_graph', '--ros-args', '--params-file', params_file] + ros_args[1:])
    overrides = {'camera_driver': [], 'web_video_server': []}
    if args.source is not None:
        overrides['camera_driver'].append(Parameter('source', value=args.source))
    if args.web_port is not None:
        overrides['web_video_server'].append(Parameter('port', value=args.web_port))
    nodes = []
    executor = MultiThreadedExecutor(num_threads=max(4, len(GRAPH) + 1))
    code = 0
    try:
        for name, module in GRAPH:
            if name in args.without:
                continue
            node = node_class(module)(parameter_overrides=overrides.get(name) or None)
            nodes.append(node)
            executor.add_node(node)
        web = next((n for n in nodes if n.get_name() == 'web_video_server'), None)
        if web is not None:
            print(f'\n  billiards_vision viewer: {web.url}\n', flush=True)
        spin_until_shutdown(executor)
    except (KeyboardInterrupt, ExternalShutdownException):
        code = 0
    except (ValueError, RuntimeError) as exc:
        print(f'[error] {exc}', file=sys.stderr)
        code = 2
    finally:
        executor.shutdown(timeout_sec=2.0)
        for node in reversed(nodes):
            code = getattr(node, 'exit_code', 0) or code
            node.destroy_node()
        rclpy.try_shutdown()
    return code


if __name__ == '__main__':
    sys.exit(main())
