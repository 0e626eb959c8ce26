# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Start the billiards vision graph, one process per node.

  ros2 launch billiards_vision billiards.launch.py source:=/dev/video0 web_port:=8080 resolution:=1280x720

Every node reads its section of config/billiards.yaml (or params_file:=...);
`source`, `web_port` and `resolution` override the values people change most.

Respawn: a node that fails (non-zero exit: a crash, a signal, the camera
driver giving up after `max_reconnects`) is started again after
RESPAWN_DELAY_S. A node that exits 0 finished on purpose, as every node does on
Ctrl-C, and is not. launch's own `respawn=True` does not look at the exit code:
a node that finishes before launch has handled the same Ctrl-C (or under a
launch that never sees it) would be started again.
"""
from launch import LaunchDescription
from launch.actions import (DeclareLaunchArgument, LogInfo, OpaqueFunction, RegisterEventHandler,
                            SetEnvironmentVariable, TimerAction)
from launch.conditions import IfCondition
from launch.event_handlers import OnProcessExit
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.substitutions import FindPackageShare

PACKAGE = 'billiards_vision'
# Executables of this package started here, in start order (node name = executable).
NODES = ('camera_driver', 'table_detector', 'ball_detector', 'cue_detector', 'tracker', 'overlay',
         'web_video_server')
RESPAWN_DELAY_S = 2.0
# The same frame size as `make run`: the whole graph stays live on a 2-core machine (README).
DEFAULT_RESOLUTION = '1280x720'


def parse_resolution(text: str) -> tuple:
    """'WIDTHxHEIGHT' -> (width, height); 'source' -> (0, 0), the source's own size."""
    if text.strip().lower() == 'source':
        return 0, 0
    try:
        width, height = (int(v) for v in text.lower().split('x'))
    except ValueError:
        width = height = -1
    if not (0 < width <= 7680 and 0 < height <= 4320):
        raise ValueError(f"resolution:={text!r}: expected WIDTHxHEIGHT (e.g. 1280x720, at most 7680x4320) "
                         "or 'source' (the camera's own size)")
    return width, height


def on_node_exit(name: str, parameters: list, event, context):
    """Start a failed node again; leave a node that exited 0 or any node during shutdown alone."""
    if event.returncode == 0 or context.is_shutdown:
        return None
    return [LogInfo(msg=f'{name} exited with code {event.returncode}; starting it again in {RESPAWN_DELAY_S:g} s'),
            TimerAction(period=RESPAWN_DELAY_S,  # cancelled by a shutdown that comes first
                        actions=[OpaqueFunction(function=lambda ctx: None if ctx.is_shutdown
                                                else respawning(name, parameters))])]


def respawning(name: str, parameters: list) -> list:
    """The node's process and the handler that starts it again when it fails."""
    node = Node(package=PACKAGE, executable=name, name=name, output='screen', parameters=parameters)
    handler = OnProcessExit(target_action=node, handle_once=True,
                            on_exit=lambda event, context: on_node_exit(name, parameters, event, context))
    return [node, RegisterEventHandler(handler)]


def graph_nodes(context) -> list:
    width, height = parse_resolution(LaunchConfiguration('resolution').perform(context))
    overrides = {
        'camera_driver': {'source': LaunchConfiguration('source'), 'image_width': width, 'image_height': height},
        'web_video_server': {'port': LaunchConfiguration('web_port')},
    }
    actions = []
    for name in NODES:
        parameters = [LaunchConfiguration('params_file')]
        if name in overrides:
            parameters.append(overrides[name])
        actions += respawning(name, parameters)
    return actions


def generate_launch_description():
    share = FindPackageShare(PACKAGE)
    return LaunchDescription([
        DeclareLaunchArgument('source', default_value='synthetic://demo',
                              description='camera source: /dev/videoN or index, video file, image folder, '
                                          'http(s)/rtsp URL, rosbag2 path, synthetic://SCENARIO'),
        DeclareLaunchArgument('resolution', default_value=DEFAULT_RESOLUTION,
                              description="frame size WIDTHxHEIGHT asked of the camera (image_width/image_height), "
                                          "or 'source' for its own size; 1280x720 keeps the graph live on 2 cores"),
        DeclareLaunchArgument('web_port', default_value='8080', description='port of the MJPEG web viewer'),
        DeclareLaunchArgument('params_file',
                              default_value=PathJoinSubstitution([share, 'config', 'billiards.yaml']),
                              description='node parameters (one section per node)'),
        DeclareLaunchArgument('fastdds_profile',
                              default_value=PathJoinSubstitution([share, 'config', 'fastdds_large_data.xml']),
                              description='Fast DDS XML profile that lets 1080p images cross processes'),
        DeclareLaunchArgument('rviz', default_value='false',
                              description='also start rviz2 with config/billiards.rviz (markers + annotated image)'),
        SetEnvironmentVariable('FASTRTPS_DEFAULT_PROFILES_FILE', LaunchConfiguration('fastdds_profile')),
        SetEnvironmentVariable('RMW_IMPLEMENTATION', 'rmw_fastrtps_cpp'),
        OpaqueFunction(function=graph_nodes),
        Node(package='rviz2', executable='rviz2', name='rviz2', output='screen',
             arguments=['-d', PathJoinSubstitution([share, 'config', 'billiards.rviz'])],
             condition=IfCondition(LaunchConfiguration('rviz'))),
    ])
