# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""node_params: ranges, choices and checks refuse bad values with a reason."""
import pytest
import rclpy
from rclpy.parameter import Parameter

from billiards_vision.ros.node_params import Param, declare_parameters

DOMAIN = 71
PARAMS = [
    Param('mode', 'fast', 'how to run', choices=('fast', 'exact')),
    Param('rate', 30.0, 'frames per second', range=(1.0, 120.0)),
    Param('count', 3, 'how many', range=(0, 10)),
    Param('name', 'cam', 'a name', check=lambda v: None if v else 'must not be empty'),
    Param('port', 8080, 'fixed', range=(1, 65535), read_only=True),
]


@pytest.fixture
def context():
    ctx = rclpy.Context()
    rclpy.init(context=ctx, domain_id=DOMAIN)
    yield ctx
    rclpy.shutdown(context=ctx)


def make_node(context, overrides=None):
    node = rclpy.create_node('params_under_test', context=context, parameter_overrides=overrides or [])
    return node, declare_parameters(node, PARAMS)


def test_defaults_and_descriptors(context):
    node, values = make_node(context)
    assert values == {'mode': 'fast', 'rate': 30.0, 'count': 3, 'name': 'cam', 'port': 8080}
    desc = node.describe_parameter('rate')
    assert desc.description == 'frames per second'
    assert desc.floating_point_range[0].from_value == 1.0 and desc.floating_point_range[0].to_value == 120.0
    assert 'fast, exact' in node.describe_parameter('mode').additional_constraints
    node.destroy_node()


@pytest.mark.parametrize('param, words', [
    (Parameter('mode', value='slow'), ['mode', 'fast, exact']),
    (Parameter('name', value=''), ['name', 'must not be empty']),
])
def test_runtime_change_refused_with_reason(context, param, words):
    node, _ = make_node(context)
    result = node.set_parameters([param])[0]
    assert not result.successful
    for word in words:
        assert word in result.reason
    assert node.get_parameter(param.name).value != param.value
    node.destroy_node()


def test_ranges_and_read_only_enforced(context):
    node, _ = make_node(context)
    assert not node.set_parameters([Parameter('rate', value=500.0)])[0].successful
    assert not node.set_parameters([Parameter('count', value=-1)])[0].successful
    assert not node.set_parameters([Parameter('port', value=9000)])[0].successful
    assert node.set_parameters([Parameter('mode', value='exact')])[0].successful
    assert node.get_parameter('mode').value == 'exact'
    node.destroy_node()


def test_invalid_initial_value_stops_start_up(context):
    with pytest.raises(ValueError, match="'mode'.*allowed values: fast, exact"):
        make_node(context, [Parameter('mode', value='turbo')])


def test_on_change_can_refuse(context):
    node = rclpy.create_node('params_cross_check', context=context)
    declare_parameters(node, PARAMS[:3], on_change=lambda ps: 'rate and count conflict'
                       if any(p.name == 'count' and p.value > 5 for p in ps) else None)
    result = node.set_parameters([Parameter('count', value=7)])[0]
    assert not result.successful and 'conflict' in result.reason
    assert node.set_parameters([Parameter('count', value=4)])[0].successful
    node.destroy_node()
