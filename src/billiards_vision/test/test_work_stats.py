# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""A detector's work figures for /diagnostics: rate, frame age, work time, skipped frames."""
import threading

import numpy as np

from billiards_vision.nodes.detector_base import LatestFrameWorker
from billiards_vision.ros.work_stats import WorkStats


def test_summary_of_recorded_frames():
    stats = WorkStats(window_s=5.0)
    # Frames captured every 0.1 s, taken 20 ms after capture, worked on for 30 ms (10 ms of CPU).
    for k in range(21):
        stamp = 1000.0 + 0.1 * k
        stats.record(stamp, stamp + 0.020, stamp + 0.050, 0.010, end_mono=50.0 + 0.1 * k)
    s = stats.summary(now=52.0)
    assert s['processed'] == 21
    assert abs(s['rate_hz'] - 10.0) < 1e-6
    for key, want in (('input_age_ms', 20.0), ('work_ms', 30.0), ('work_cpu_ms', 10.0), ('latency_ms', 50.0)):
        assert np.allclose(s[key], want, atol=1e-3), (key, s[key])
    # Frames older than the window drop out: with none left the rate is 0; the total stays.
    later = stats.summary(now=57.1)
    assert later['rate_hz'] == 0.0 and np.isnan(later['work_ms'][0])
    assert later['processed'] == 21


def test_frames_without_a_stamp_count_but_have_no_age():
    stats = WorkStats()
    stats.record(None, 5.0, 5.04, 0.03, end_mono=1.0)
    stats.record(0.0, 5.1, 5.14, 0.03, end_mono=1.1)
    s = stats.summary(now=1.2)
    assert s['processed'] == 2 and np.isnan(s['input_age_ms'][0])
    assert np.allclose(s['work_ms'], 40.0, atol=1e-6)


def test_worker_counts_the_frames_it_skipped():
    gate, started, done = threading.Event(), threading.Event(), []

    def process(item):
        started.set()
        gate.wait(5.0)
        done.append(item)
    worker = LatestFrameWorker(process, on_error=lambda exc: None)
    try:
        worker.submit(1)
        assert started.wait(5.0)
        for item in (2, 3, 4):        # while 1 is worked on: 2 and 3 are replaced, 4 waits
            worker.submit(item)
        gate.set()
        for _ in range(100):
            if len(done) == 2:
                break
            threading.Event().wait(0.02)
        assert done == [1, 4]
        assert worker.replaced == 2
    finally:
        worker.stop()
