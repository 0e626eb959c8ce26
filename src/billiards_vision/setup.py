# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
from glob import glob

from setuptools import find_packages, setup

package_name = 'billiards_vision'

# executable name -> module:function; launch files and tests read this table.
CONSOLE_SCRIPTS = {
    'camera_driver': 'billiards_vision.nodes.camera_driver:main',
    'table_detector': 'billiards_vision.nodes.table_detector:main',
    'ball_detector': 'billiards_vision.nodes.ball_detector:main',
    'cue_detector': 'billiards_vision.nodes.cue_detector:main',
    'tracker': 'billiards_vision.nodes.tracker:main',
    'overlay': 'billiards_vision.nodes.overlay:main',
    'web_video_server': 'billiards_vision.nodes.web_video_server:main',
    'billiards_graph': 'billiards_vision.tools.graph:main',
    'topic_rates': 'billiards_vision.tools.topic_rates:main',
    'simulate': 'billiards_vision.tools.simulate:main',
    'evaluate': 'billiards_vision.tools.evaluate:main',
    'detect_image': 'billiards_vision.tools.detect_image:main',
    'process_video': 'billiards_vision.tools.process_video:main',
    'bench_transport': 'billiards_vision.tools.bench_transport:main',
    'record': 'billiards_vision.tools.record:main',
}

setup(
    name=package_name,
    version='0.1.0',
    packages=find_packages(exclude=['test']),
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/' + package_name]),
        ('share/' + package_name, ['package.xml']),
        ('share/' + package_name + '/launch', glob('launch/*.py')),
        ('share/' + package_name + '/config', glob('config/*')),
    ],
    install_requires=['setuptools'],
    zip_safe=True,
    maintainer='billiards_vision maintainers',
    maintainer_email='maintainers@billiards-vision.org',
    description='Overhead-camera pool table vision on ROS 2.',
    license='Apache-2.0',
    tests_require=['pytest'],
    entry_points={
        'console_scripts': [f'{name} = {target}' for name, target in CONSOLE_SCRIPTS.items()],
    },
)
