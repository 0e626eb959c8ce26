# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""The launch file and config/billiards.yaml agree with the code.

launch and launch_ros are not installable here, so the launch file runs
against a recording double of the few launch classes it uses: it must parse,
start only console scripts of this package, declare every launch argument it
reads, set parameters that the nodes declare, and start a node again only after
it failed. Every parameter in the YAML is one the node declares, and the reverse.
The README says how to check the launch file under the real launch_ros; the
Ctrl-C behaviour of the node processes is tested in test_launch_shutdown.py.
"""
import importlib.util
import pathlib
import re
import sys
import types

import pytest
import rclpy
from rclpy.parameter import Parameter
import yaml

from conftest import CONFIG, PACKAGE_ROOT
from billiards_vision.tools import graph

LAUNCH_FILE = PACKAGE_ROOT / 'launch' / 'billiards.launch.py'
DOMAIN = 73
BUILTIN_PARAMETERS = {'use_sim_time', 'start_type_description_service'}  # every rclpy node has these


class Recorded:
    """Stands in for a launch class; keeps its arguments."""

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs

    def perform(self, context):  # LaunchConfiguration: the value launch would substitute
        return context.launch_configurations[self.args[0]]


class FakeContext:
    def __init__(self, is_shutdown=False, **launch_configurations):
        self.is_shutdown = is_shutdown
        self.launch_configurations = launch_configurations


def fake_launch_modules():
    made = {}
    classes = {'launch': ['LaunchDescription'],
               'launch.actions': ['DeclareLaunchArgument', 'LogInfo', 'OpaqueFunction', 'RegisterEventHandler',
                                  'SetEnvironmentVariable', 'TimerAction'],
               'launch.conditions': ['IfCondition'],
               'launch.event_handlers': ['OnProcessExit'],
               'launch.substitutions': ['LaunchConfiguration', 'PathJoinSubstitution'],
               'launch_ros': [],
               'launch_ros.actions': ['Node'], 'launch_ros.substitutions': ['FindPackageShare']}
    for module, names in classes.items():
        made[module] = types.ModuleType(module)
        for name in names:
            setattr(made[module], name, type(name, (Recorded,), {}))
    return made


@pytest.fixture
def launch_file(monkeypatch):
    for name, module in fake_launch_modules().items():
        monkeypatch.setitem(sys.modules, name, module)
    spec = importlib.util.spec_from_file_location('billiards_launch', LAUNCH_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def description(launch_file):
    return launch_file.generate_launch_description()


def defaults(description) -> dict:
    return {a.args[0]: a.kwargs['default_value'] for a in actions_of(description, 'DeclareLaunchArgument')}


def graph_actions(description, **arguments) -> list:
    """What the OpaqueFunction that starts the nodes returns, at the defaults plus `arguments`."""
    function = next(a.kwargs['function'] for a in actions_of(description, 'OpaqueFunction'))
    return function(FakeContext(**{**defaults(description), **arguments}))


def console_scripts() -> dict:
    spec = importlib.util.spec_from_file_location('billiards_setup', PACKAGE_ROOT / 'setup.py')
    source = (PACKAGE_ROOT / 'setup.py').read_text()
    namespace = {}
    exec(source.split('\nsetup(')[0], namespace)  # the table only, not setup()
    assert spec is not None
    return namespace['CONSOLE_SCRIPTS']


def actions_of(description, kind):
    return [a for a in description.args[0] if type(a).__name__ == kind]


def walk(value):
    """Every Recorded object inside nested args/kwargs/lists/dicts."""
    if isinstance(value, Recorded):
        yield value
        for v in list(value.args) + list(value.kwargs.values()):
            yield from walk(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from walk(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from walk(v)


def package_nodes(actions) -> list:
    return [a for a in actions if type(a).__name__ == 'Node' and a.kwargs['package'] == 'billiards_vision']


def test_launch_starts_only_package_console_scripts(description):
    scripts = console_scripts()
    nodes = package_nodes(graph_actions(description))
    others = [n for n in actions_of(description, 'Node') if n.kwargs['package'] != 'billiards_vision']
    assert [(n.kwargs['package'], n.kwargs['executable']) for n in others] == [('rviz2', 'rviz2')]
    assert type(others[0].kwargs['condition']).__name__ == 'IfCondition'  # only on request
    assert [n.kwargs['executable'] for n in nodes] == [name for name, _ in graph.GRAPH]
    for node in nodes:
        assert node.kwargs['package'] == 'billiards_vision'
        assert node.kwargs['executable'] in scripts
        assert node.kwargs['name'] == node.kwargs['executable']
        assert 'respawn' not in node.kwargs  # launch's respawn ignores the exit code: Ctrl-C respawned all
        module = scripts[node.kwargs['executable']].split(':')[0]
        assert importlib.util.find_spec(module) is not None, module


def exit_handlers(actions) -> dict:
    """node name -> the OnProcessExit registered for that node's process."""
    handlers = [a.args[0] for a in actions if type(a).__name__ == 'RegisterEventHandler']
    return {h.kwargs['target_action'].kwargs['name']: h for h in handlers
            if type(h).__name__ == 'OnProcessExit'}


def test_a_node_is_started_again_only_after_a_failure(description, launch_file):
    actions = graph_actions(description)
    handlers = exit_handlers(actions)
    assert set(handlers) == {name for name, _ in graph.GRAPH}
    on_exit = handlers['camera_driver'].kwargs['on_exit']
    running, stopping = FakeContext(), FakeContext(is_shutdown=True)
    assert on_exit(types.SimpleNamespace(returncode=0), running) is None  # Ctrl-C: every node exits 0
    assert on_exit(types.SimpleNamespace(returncode=1), stopping) is None  # anything during shutdown
    for code in (1, -9):  # max_reconnects, SIGKILL
        log, timer = on_exit(types.SimpleNamespace(returncode=code), running)
        assert str(code) in log.kwargs['msg']
        assert timer.kwargs['period'] == launch_file.RESPAWN_DELAY_S > 0
        again = timer.kwargs['actions'][0].kwargs['function']
        assert again(stopping) is None  # a shutdown during the delay wins
        node, handler = again(running)
        assert node.kwargs['executable'] == 'camera_driver'
        assert node.kwargs['parameters'] == package_nodes(actions)[0].kwargs['parameters']
        assert handler.args[0].kwargs['target_action'] is node  # and again after its next failure


def makefile_size() -> tuple:
    text = (PACKAGE_ROOT.parents[1] / 'Makefile').read_text()
    return tuple(int(re.search(rf'^{k} \?= (\d+)', text, re.M).group(1)) for k in ('WIDTH', 'HEIGHT'))


def camera_overrides(actions) -> dict:
    return package_nodes(actions)[0].kwargs['parameters'][1]


def test_resolution_sets_the_camera_frame_size(description, launch_file):
    assert defaults(description)['resolution'] == 'x'.join(map(str, makefile_size()))  # as `make run`
    camera = camera_overrides(graph_actions(description))
    assert (camera['image_width'], camera['image_height']) == makefile_size()
    camera = camera_overrides(graph_actions(description, resolution='1920x1080'))
    assert (camera['image_width'], camera['image_height']) == (1920, 1080)
    camera = camera_overrides(graph_actions(description, resolution='source'))
    assert (camera['image_width'], camera['image_height']) == (0, 0)
    for bad in ('1280', '1280x', 'hd', '0x720', '100000x720', '-1x5'):
        with pytest.raises(ValueError, match='WIDTHxHEIGHT'):
            graph_actions(description, resolution=bad)


def test_every_launch_configuration_is_declared(description):
    declared = {a.args[0] for a in actions_of(description, 'DeclareLaunchArgument')}
    used = {r.args[0] for r in walk(list(description.args[0]) + graph_actions(description))
            if type(r).__name__ == 'LaunchConfiguration'}
    assert used <= declared, used - declared
    for arg in actions_of(description, 'DeclareLaunchArgument'):
        assert arg.kwargs.get('description'), arg.args[0]
        assert 'default_value' in arg.kwargs, arg.args[0]


def test_launch_applies_large_data_profile(description):
    env = {a.args[0]: a.args[1] for a in actions_of(description, 'SetEnvironmentVariable')}
    assert 'FASTRTPS_DEFAULT_PROFILES_FILE' in env
    declared = {a.args[0]: a.kwargs['default_value'] for a in actions_of(description, 'DeclareLaunchArgument')}
    profile = declared[env['FASTRTPS_DEFAULT_PROFILES_FILE'].args[0]]
    assert profile.args[0][1:] == ['config', 'fastdds_large_data.xml']
    assert (PACKAGE_ROOT / 'config' / 'fastdds_large_data.xml').exists()
    params = declared['params_file']
    assert params.args[0][1:] == ['config', 'billiards.yaml']


def test_launch_overrides_are_declared_parameters(description):
    config = yaml.safe_load(CONFIG.read_text())
    for node in package_nodes(graph_actions(description)):
        for item in node.kwargs['parameters'][1:]:
            for key in item:
                assert key in config[node.kwargs['name']]['ros__parameters'], (node.kwargs['name'], key)


def declared_parameters(name: str, module: str) -> dict:
    context = rclpy.Context()
    rclpy.init(context=context, domain_id=DOMAIN, args=['--ros-args', '--params-file', str(CONFIG)])
    try:
        # port 0: do not collide with a viewer that is already running on this machine
        overrides = [Parameter('port', value=0)] if name == 'web_video_server' else None
        node = graph.node_class(module)(context=context, parameter_overrides=overrides)
        try:
            names = [n for n in node._parameters if n not in BUILTIN_PARAMETERS]
            return {n: node.describe_parameter(n) for n in names}
        finally:
            node.destroy_node()
    finally:
        rclpy.shutdown(context=context)


@pytest.mark.parametrize('name, module', graph.GRAPH)
def test_config_matches_declared_parameters(name, module):
    config = yaml.safe_load(CONFIG.read_text())
    assert name in config, f'config/billiards.yaml has no section for {name}'
    in_yaml = set(config[name]['ros__parameters'] or {})
    declared = declared_parameters(name, module)
    assert in_yaml - set(declared) == set(), f'{name}: in the YAML but not declared'
    assert set(declared) - in_yaml == set(), f'{name}: declared but missing from the YAML'
    for param, desc in declared.items():
        assert desc.description, f'{name}.{param} has no description'


def test_yaml_comments_every_parameter():
    """Each parameter line in the YAML carries a comment (on the line or just above)."""
    lines = CONFIG.read_text().splitlines()
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith('#') or stripped.endswith(':') or line.startswith(' ' * 4) is False:
            continue
        if line.startswith(' ' * 6) and not line.startswith(' ' * 7):  # a parameter line
            above = lines[i - 1].strip() if i else ''
            assert '#' in line or above.startswith('#'), f'line {i + 1} has no comment: {line}'


def test_every_section_is_a_graph_node():
    config = yaml.safe_load(CONFIG.read_text())
    assert set(config) == {name for name, _ in graph.GRAPH}
    assert pathlib.Path(CONFIG).name == 'billiards.yaml'


def test_rviz_config_shows_our_topics_in_the_table_frame():
    rviz = yaml.safe_load((PACKAGE_ROOT / 'config' / 'billiards.rviz').read_text())
    manager = rviz['Visualization Manager']
    topics = {d['Topic']['Value'] for d in manager['Displays'] if 'Topic' in d}
    assert topics == {'/vision/markers', '/vision/image_annotated'}
    config = yaml.safe_load(CONFIG.read_text())
    assert manager['Global Options']['Fixed Frame'] == config['overlay']['ros__parameters']['table_frame_id']
    source = (PACKAGE_ROOT / 'billiards_vision' / 'nodes' / 'overlay.py').read_text()
    for topic in topics:
        assert f"'{topic.lstrip('/')}'" in source
