# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Thin a stream of messages to at most a given rate without dropping any from a source at that rate."""
from __future__ import annotations

from typing import Optional


class RateGate:
    """`ready(now, rate)` is True for the messages to keep.

    A gate that keeps a message only when a whole period has passed since the last
    one drops a third of a 30 Hz camera at max rate 30: arrivals jitter by a few ms,
    and every one that comes early is lost (the annotated stream ran at 19 fps).
    Here a message is due `tolerance` of a period early and the schedule advances by
    whole periods, so a source at the rate passes every message and a faster one is
    thinned to the rate; after a gap the schedule restarts from the late message.
    """

    def __init__(self, tolerance: float = 0.25):
        if not 0.0 <= tolerance < 0.5:
            raise ValueError(f'tolerance {tolerance} must be in [0, 0.5)')
        self.tolerance = tolerance
        self._due: Optional[float] = None

    def ready(self, now: float, rate: float) -> bool:
        if rate <= 0.0:
            raise ValueError(f'rate {rate} must be positive')
        period = 1.0 / rate
        early = self.tolerance * period
        if self._due is None or now < self._due - 2.0 * period:
            self._due = now + period - early   # the first message, or the clock jumped back (a bag replayed again)
            return True
        if now < self._due - early:
            return False
        self._due = max(self._due + period, now + period - early)
        return True
