# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Declare node parameters with descriptors, ranges and choices in one table.

rclpy enforces ranges and read-only itself; choices (a fixed set of strings)
and custom checks are enforced by one on-set callback registered after the
declarations, which refuses the change with a reason naming the parameter and
what is allowed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional, Sequence

from rcl_interfaces.msg import (FloatingPointRange, IntegerRange, ParameterDescriptor,
                                SetParametersResult)
from rclpy.node import Node
from rclpy.parameter import Parameter


@dataclass
class Param:
    """One parameter: name, default, description and its constraints."""

    name: str
    default: Any
    description: str
    range: Optional[tuple] = None          # (min, max) or (min, max, step)
    choices: Optional[Sequence[str]] = None
    check: Optional[Callable[[Any], Optional[str]]] = None  # returns a reason when invalid
    read_only: bool = False
    dynamic_typing: bool = False
    extra: dict = field(default_factory=dict)

    def descriptor(self) -> ParameterDescriptor:
        desc = ParameterDescriptor(description=self.description, read_only=self.read_only,
                                   dynamic_typing=self.dynamic_typing)
        if self.choices:
            desc.additional_constraints = 'one of: ' + ', '.join(self.choices)
        if self.range is not None:
            lo, hi = self.range[0], self.range[1]
            step = self.range[2] if len(self.range) > 2 else 0
            if isinstance(self.default, bool):
                raise TypeError(f'{self.name}: a bool parameter takes no range')
            if isinstance(self.default, int):
                desc.integer_range = [IntegerRange(from_value=int(lo), to_value=int(hi), step=int(step))]
            else:
                desc.floating_point_range = [FloatingPointRange(from_value=float(lo), to_value=float(hi),
                                                                step=float(step))]
        return desc

    def reason_invalid(self, value: Any) -> Optional[str]:
        if self.choices is not None and value not in self.choices:
            return f"parameter '{self.name}': {value!r} is not allowed; allowed values: {', '.join(self.choices)}"
        if self.check is not None:
            reason = self.check(value)
            if reason:
                return f"parameter '{self.name}': {reason}"
        return None


def declare_parameters(node: Node, params: Iterable[Param],
                       on_change: Optional[Callable[[list[Parameter]], Optional[str]]] = None) -> dict:
    """Declare `params` on `node`, validate the initial values, register the checks.

    Returns {name: value}. Raises ValueError when an initial value (e.g. from a
    YAML file or --ros-args) breaks a choice or check, so a misconfigured node
    stops at start with the reason rather than running with nonsense.
    `on_change(params)` is called for accepted run-time changes; it may return a
    reason to refuse them (e.g. a cross-parameter check).
    """
    table = {p.name: p for p in params}
    values = {}
    for p in table.values():
        values[p.name] = node.declare_parameter(p.name, p.default, p.descriptor()).value
        reason = p.reason_invalid(values[p.name])
        if reason:
            raise ValueError(reason)

    def on_set(changed: list[Parameter]) -> SetParametersResult:
        for param in changed:
            spec = table.get(param.name)
            if spec is None:
                continue
            reason = spec.reason_invalid(param.value)
            if reason:
                return SetParametersResult(successful=False, reason=reason)
        if on_change is not None:
            reason = on_change(changed)
            if reason:
                return SetParametersResult(successful=False, reason=reason)
        return SetParametersResult(successful=True)

    node.add_on_set_parameters_callback(on_set)
    return values
