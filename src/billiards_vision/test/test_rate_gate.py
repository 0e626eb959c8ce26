# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""RateGate: every message of a jittery source at the rate, a faster source thinned to the rate."""
import numpy as np
import pytest

from billiards_vision.ros.rate_gate import RateGate


def passed(times, rate):
    gate = RateGate()
    return [t for t in times if gate.ready(t, rate)]


def jittered(rate, seconds, jitter_s, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, seconds, 1.0 / rate)
    return np.sort(t + rng.uniform(-jitter_s, jitter_s, len(t)))


@pytest.mark.parametrize('seed', range(5))
def test_a_camera_at_the_rate_passes_whole_despite_jitter(seed):
    times = jittered(30.0, 20.0, 0.006, seed)
    assert len(passed(times, 30.0)) == len(times)


@pytest.mark.parametrize('source', [45.0, 60.0, 90.0, 240.0])
def test_a_faster_source_is_thinned_to_the_rate(source):
    times = jittered(source, 20.0, 0.002)
    kept = passed(times, 30.0)
    assert 0.95 * 30.0 * 20 <= len(kept) <= 1.05 * 30.0 * 20
    assert np.min(np.diff(kept)) >= 0.5 / 30.0 - 0.004   # never a burst


def test_a_gap_restarts_the_schedule_without_a_burst():
    times = list(np.arange(0.0, 1.0, 1 / 30)) + list(5.0 + np.arange(0.0, 1.0, 1 / 120))
    kept = np.array(passed(times, 30.0))
    after = kept[kept >= 5.0]
    assert 28 <= len(after) <= 32
    assert np.min(np.diff(after)) >= 0.5 / 30.0 - 1e-9


def test_a_clock_jumping_back_restarts_the_schedule():
    gate = RateGate()
    assert gate.ready(100.0, 10.0)
    assert gate.ready(3.0, 10.0)        # bag replay restarted / clock reset
    assert not gate.ready(3.01, 10.0)
    assert gate.ready(3.1, 10.0)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        RateGate(tolerance=0.7)
    with pytest.raises(ValueError):
        RateGate().ready(0.0, 0.0)
