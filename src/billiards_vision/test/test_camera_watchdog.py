# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""The watchdog: an open that never returns and a read that never returns.

The test doubles are registered behind the source interface under
`test-double://KIND/FLAG_FILE`: they hang until the test creates FLAG_FILE (the
double "recovers"). Both capture modes are exercised: a thread worker is
abandoned, a child process is killed.
"""
import os
import time

import numpy as np
import pytest

from billiards_vision.camera.base import Frame, FrameSource, Pacer, SourceError, register_scheme
from conftest import wait_for
from test_camera_node import STEP, harness_factory  # noqa: F401 (fixture)

DOMAIN = 44


def hang_until(flag: str) -> None:
    """Block like a stuck driver call; returns only once the test 'repairs' the camera."""
    while not os.path.exists(flag):
        time.sleep(0.02)


class HangingCamera(FrameSource):
    """hang-open: open blocks until the flag exists. hang-read: 5 frames per open, then read blocks."""

    def __init__(self, location, settings):
        super().__init__(location, settings)
        self.kind, _, self.flag = location.split('://', 1)[1].partition('/')
        self.flag = '/' + self.flag
        self.index = 0
        self.pacer = Pacer()

    @classmethod
    def validate(cls, location):
        kind = location.split('://', 1)[1].partition('/')[0]
        return None if kind in ('hang-open', 'hang-read') else f'unknown test double {kind!r}'

    def open(self):
        if self.kind == 'hang-open':
            hang_until(self.flag)

    def read(self):
        if self.kind == 'hang-read' and self.index >= 5:
            hang_until(self.flag)
        self.pacer.wait(1 / 30)
        self.index += 1
        image = np.full((48, 64, 3), (self.index % 12) * STEP, np.uint8)
        return Frame(image, time.time_ns(), index=self.index)


class UnpluggableCamera(FrameSource):
    """While FLAG exists the camera is unplugged: reads fail and it cannot be opened."""

    prefer_process = True  # like a V4L2 device: capture_mode auto runs it in a child process

    def __init__(self, location, settings):
        super().__init__(location, settings)
        self.flag = location.split('://', 1)[1]
        self.pacer = Pacer()

    def open(self):
        if os.path.exists(self.flag):
            raise SourceError('cannot open V4L2 device (no such device)')

    def read(self):
        self.pacer.wait(1 / 30)
        if os.path.exists(self.flag):
            raise SourceError('no frame from the device (unplugged?)')
        return Frame(np.zeros((48, 64, 3), np.uint8), time.time_ns())


register_scheme('test-double', HangingCamera, 'KIND/FLAG (hanging camera, tests only)')
register_scheme('test-unplug', UnpluggableCamera, 'FLAG (unpluggable camera, tests only)')

FAST = dict(open_timeout=0.5, read_timeout=0.5, reconnect_delay=0.1, reconnect_delay_max=0.4)


def assert_responsive(h, since: float):
    """Diagnostics keep coming (1 Hz) and camera/reconnect answers within 1 s while capture hangs."""
    assert wait_for(lambda: len([t for t, _ in h.diagnostics if t > since]) >= 3, 5)
    response, waited = h.call_reconnect(timeout=1.0)
    assert response is not None and response.success, f'no answer within 1 s (waited {waited:.2f} s)'


@pytest.mark.parametrize('mode', ['thread', 'process'])
def test_open_that_never_returns(harness_factory, tmp_path, mode):  # noqa: F811
    flag = str(tmp_path / 'repaired')
    h = harness_factory(DOMAIN, source=f'test-double://hang-open{flag}', capture_mode=mode, **FAST)
    start = time.monotonic()
    assert wait_for(lambda: h.statuses and 'open_timeout' in h.statuses[-1]['last_error'], 10)
    assert h.state() in ('connecting', 'reconnecting') and not h.images
    assert_responsive(h, start)
    assert wait_for(lambda: h.statuses[-1]['reconnects'] >= 2, 5)

    open(flag, 'w').close()  # the camera recovers
    repaired = time.monotonic()
    assert wait_for(lambda: len(h.frames_after(repaired)) >= 3, 5.0), 'no frames within 5 s of recovery'
    assert wait_for(lambda: h.state() == 'streaming', 2)
    # Abandoned threads return from open once it unblocks and close their source; killed children are gone.
    assert wait_for(lambda: h.driver._capture.snapshot()['stuck_workers'] == 0, 5)


@pytest.mark.parametrize('mode', ['thread', 'process'])
def test_read_that_never_returns_after_some_frames(harness_factory, tmp_path, mode):  # noqa: F811
    flag = str(tmp_path / 'repaired')
    h = harness_factory(DOMAIN + 1, source=f'test-double://hang-read{flag}', capture_mode=mode, **FAST)
    assert wait_for(lambda: len(h.images) >= 3, 10)
    stuck = time.monotonic()
    assert wait_for(lambda: any(s['state'] == 'stalled' for s in h.statuses), 5)
    assert wait_for(lambda: 'read_timeout' in h.statuses[-1]['last_error'], 5)
    assert wait_for(lambda: h.statuses[-1]['reconnects'] >= 1, 5)
    assert_responsive(h, stuck)

    open(flag, 'w').close()
    repaired = time.monotonic()
    assert wait_for(lambda: len(h.frames_after(repaired)) >= 10, 5.0), 'no frames within 5 s of recovery'
    diag = {kv.key: kv.value for kv in h.diagnostics[-1][1].status[0].values}
    assert int(diag['reconnects']) >= 1


def test_unplug_and_replug_resumes_without_restart(harness_factory, tmp_path):  # noqa: F811
    flag = tmp_path / 'unplugged'
    h = harness_factory(DOMAIN + 2, source=f'test-unplug://{flag}', **FAST)
    assert wait_for(lambda: len(h.images) >= 5, 10)
    assert h.driver._capture.snapshot()['capture_mode'] == 'process'
    flag.touch()
    assert wait_for(lambda: h.statuses[-1]['reconnects'] >= 2
                    and 'no such device' in h.statuses[-1]['last_error'], 10)
    flag.unlink()
    replugged = time.monotonic()
    assert wait_for(lambda: len(h.frames_after(replugged)) >= 5, 5.0), 'no frames within 5 s of the replug'
    assert h.state() == 'streaming'
