# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Synthetic pool table: physics, scripted scenarios, rendering and ground truth.

    from billiards_vision.sim import SyntheticTable, SCENARIOS
    table = SyntheticTable('break', width=1280, height=720, seed=1)
    image, truth = table.next_frame()
"""
from .scenarios import SCENARIOS
from .scene import SimOptions, SyntheticTable

__all__ = ['SCENARIOS', 'SimOptions', 'SyntheticTable']
