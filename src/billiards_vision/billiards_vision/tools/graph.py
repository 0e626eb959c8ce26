# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""billiards_graph: every node of the product, one process per node (what `make run` starts).

As `ros2 launch billiards_vision billiards.launch.py` does on the target, for
machines without launch: each node in GRAPH runs in its own process (one
Python GIL per node, so the graph uses every core; images cross processes
through the Fast DDS profile in config/), a failed node is started again, and
Ctrl-C stops them all. `--single-process` runs all nodes in this process
instead (one GIL: the nodes take turns). Parameters come from
config/billiards.yaml (one section per node name), with --source and
--web-port overriding the two that people change most; `--ros-args ...` goes to
every node.
"""
from __future__ import annotations

import argparse
import importlib
import inspect
import os
import re
import sys
import tempfile

import rclpy
from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor
from rclpy.node import Node
from rclpy.parameter import Parameter
import yaml

from billiards_vision.ros.node_main import ignore_repeated_signals, init_with_orderly_shutdown, spin_until_shutdown
from billiards_vision.tools import node_process
from billiards_vision.tools.processes import Child, Supervisor

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
CAPTURE_NODE = 'camera_driver'  # keeps normal priority; every other node runs at --nice
NODE_NICE = 5                   # default of --nice
VIEWER_LOG = re.compile(r'serving image topics at (http://\S+)')  # web_video_server's start-up line


def node_class(module_name: str) -> type:
    """The Node subclass a node module defines."""
    module = importlib.import_module(module_name)
    classes = [c for _, c in inspect.getmembers(module, inspect.isclass)
               if issubclass(c, Node) and c is not Node and c.__module__ == module_name]
    if len(classes) != 1:
        raise RuntimeError(f'{module_name} must define exactly one Node subclass, found {classes}')
    return classes[0]


def fastdds_profile() -> str:
    return os.path.join(os.path.dirname(default_params_file()), 'fastdds_large_data.xml')


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
    parser.add_argument('--single-process', action='store_true',
                        help='run every node in this one process (one GIL) instead of one process per node')
    parser.add_argument('--nice', type=int, default=NODE_NICE, choices=range(0, 20), metavar='0..19',
                        help=f'niceness of every node but {CAPTURE_NODE}, so capture is never starved '
                        f'(default {NODE_NICE})')
    ros_args = []
    if '--ros-args' in argv:
        i = argv.index('--ros-args')
        argv, ros_args = argv[:i], argv[i:]
    return parser.parse_args(argv), ros_args


def overrides_file(args: argparse.Namespace, directory: str) -> list[str]:
    """--source / --web-port as a parameters file for the children (YAML quoting keeps '0' a string)."""
    sections = {}
    if args.source is not None:
        sections['camera_driver'] = {'ros__parameters': {'source': args.source}}
    if args.web_port is not None:
        sections['web_video_server'] = {'ros__parameters': {'port': args.web_port}}
    if not sections:
        return []
    path = os.path.join(directory, 'overrides.yaml')
    with open(path, 'w') as f:
        yaml.safe_dump(sections, f)
    return ['--params-file', path]


def run_processes(args: argparse.Namespace, params_file: str, ros_args: list[str]) -> int:
    env = dict(os.environ, PYTHONUNBUFFERED='1', **{node_process.PARENT_ENV: str(os.getpid())})
    env.setdefault('FASTRTPS_DEFAULT_PROFILES_FILE', fastdds_profile())  # 1080p images between processes
    with tempfile.TemporaryDirectory(prefix='billiards_graph_') as tmp:
        node_args = ['--ros-args', '--params-file', params_file, *ros_args[1:]]
        overrides = overrides_file(args, tmp)
        if overrides:
            node_args += ['--ros-args', *overrides]  # last: it wins over the user's --ros-args
        children = []
        for name, module in GRAPH:
            if name in args.without:
                continue
            nice = 0 if name == CAPTURE_NODE else args.nice
            command = [sys.executable, '-m', node_process.__name__, name, module, str(nice), *node_args]
            children.append(Child(name, command))

        def on_line(name: str, line: str) -> None:
            match = VIEWER_LOG.search(line) if name == 'web_video_server' else None
            if match:
                supervisor.say(f'\n  billiards_vision viewer: {match.group(1)}\n')

        supervisor = Supervisor(children, env, on_line=on_line)
        return supervisor.run()


def main(argv: list[str] | None = None) -> int:
    args, ros_args = parse_args(list(sys.argv[1:] if argv is None else argv))
    params_file = os.path.abspath(args.params_file or default_params_file())
    if not os.path.exists(params_file):
        print(f'[error] parameters file not found: {params_file}', file=sys.stderr)
        return 2
    if args.single_process:
        return run_single_process(args, params_file, ros_args)
    return run_processes(args, params_file, ros_args)


def run_single_process(args: argparse.Namespace, params_file: str, ros_args: list[str]) -> int:
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
    except ExternalShutdownException:
        code = 0
    except (ValueError, RuntimeError) as exc:
        print(f'[error] {exc}', file=sys.stderr)
        code = 2
    finally:
        ignore_repeated_signals()
        executor.shutdown(timeout_sec=2.0)
        for node in reversed(nodes):
            code = getattr(node, 'exit_code', 0) or code
            node.destroy_node()
        rclpy.try_shutdown()
    return code


if __name__ == '__main__':
    sys.exit(main())
