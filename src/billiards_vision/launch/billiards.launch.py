# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Start the billiards vision graph, one process per node.

  ros2 launch billiards_vision billiards.launch.py source:=/dev/video0 web_port:=8080

Every node reads its section of config/billiards.yaml (or params_file:=...);
`source` and `web_port` override the two values people change most. Nodes
respawn after a crash (the camera driver also exits on purpose after too many
failed reconnects, so that respawn gives it a fresh process).
"""
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, SetEnvironmentVariable
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.substitutions import FindPackageShare

PACKAGE = 'billiards_vision'
# Executables of this package started here, in start order (node name = executable).
RESPAWN_DELAY_S = 2.0
NODES = ('camera_driver', 'table_detector', 'ball_detector', 'cue_detector', 'tracker', 'overlay',
         'web_video_server')


def generate_launch_description():
    share = FindPackageShare(PACKAGE)
    params_file = LaunchConfiguration('params_file')
    overrides = {
        'camera_driver': {'source': LaunchConfiguration('source')},
        'web_video_server': {'port': LaunchConfiguration('web_port')},
    }
    actions = [
        DeclareLaunchArgument('source', default_value='synthetic://demo',
                              description='camera source: /dev/videoN or index, video file, image folder, '
                                          'http(s)/rtsp URL, rosbag2 path, synthetic://SCENARIO'),
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
    ]
    for name in NODES:
        parameters = [params_file]
        if name in overrides:
            parameters.append(overrides[name])
        actions.append(Node(package=PACKAGE, executable=name, name=name, output='screen',
                            parameters=parameters, respawn=True,
                            respawn_delay=RESPAWN_DELAY_S))
    actions.append(Node(package='rviz2', executable='rviz2', name='rviz2', output='screen',
                        arguments=['-d', PathJoinSubstitution([share, 'config', 'billiards.rviz'])],
                        condition=IfCondition(LaunchConfiguration('rviz'))))
    return LaunchDescription(actions)
