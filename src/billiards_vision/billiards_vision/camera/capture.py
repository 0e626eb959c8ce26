# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Capture supervisor: runs a source on a worker, watches it, reconnects.

A supervisor thread (never the ROS thread) starts a worker per connection
attempt. The watchdog abandons a worker whose open does not return within
`open_timeout` or that delivers nothing for `read_timeout`, and starts a new one
after an exponential backoff (`reconnect_delay` doubling up to
`reconnect_delay_max`). Every call in here returns at once; only workers block.
"""
from __future__ import annotations

import collections
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Callable, Optional

from billiards_vision.camera.base import CaptureSettings, Frame, resolve_source
from billiards_vision.camera.worker import ProcessWorker, ThreadWorker, Worker

STATES = ('connecting', 'streaming', 'stalled', 'reconnecting', 'failed', 'ended')
MODES = ('auto', 'thread', 'process')
TICK = 0.05          # watchdog period, seconds
FPS_WINDOW = 2.0     # seconds of frames the measured rate averages over
BURST_GAP = 5.0      # seconds without a bad frame that end a burst (for logging once per burst)


@dataclass
class CaptureConfig:
    source: str
    settings: CaptureSettings = field(default_factory=CaptureSettings)
    mode: str = 'auto'          # auto: process for devices, streams and synthetic; thread otherwise
    reconnect_delay: float = 0.5
    reconnect_delay_max: float = 10.0
    max_reconnects: int = 0     # failed reconnects in a row before giving up; 0: never
    jpeg_quality: int = 90


class Capture:
    """Owns the current worker; thread-safe; callbacks run on worker/supervisor threads.

    on_frame(frame): a new frame (keep it short, hand it off).
    on_state(state): the state changed.
    on_fatal(reason): `max_reconnects` exhausted; the state stays 'failed'.
    log(level, text): level is 'info', 'warn' or 'error'.
    """

    def __init__(self, config: CaptureConfig, on_frame: Callable[[Frame], None],
                 on_state: Optional[Callable[[str], None]] = None,
                 on_fatal: Optional[Callable[[str], None]] = None,
                 log: Optional[Callable[[str, str], None]] = None):
        # Resolved once per configuration: a folder that vanishes later is a failed open, not a new form.
        self._factory, self._location = resolve_source(config.source)  # ValueError before any thread starts
        self._config = config
        self._on_frame = on_frame
        self._on_state = on_state or (lambda state: None)
        self._on_fatal = on_fatal or (lambda reason: None)
        self._log = log or (lambda level, text: None)
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._worker: Optional[Worker] = None
        self._abandoned: list[Worker] = []
        self._generation = 0
        self._launching = False
        self._mode = resolve_mode(config.mode, self._factory)
        self._state = 'connecting'
        self._failures = 0          # failed attempts since the last frame
        self._next_attempt = 0.0
        self._force_reason: Optional[str] = None
        self._frame_times: collections.deque = collections.deque()
        self._bad_burst_at = -1e9
        self._bad_in_burst = 0
        self.want_jpeg = False      # set by the node while someone subscribes to the compressed topic
        self.camera_info: Optional[dict] = None
        self.frames = 0
        self.dropped = 0
        self.bad_frames = 0
        self.reconnects = 0
        self.last_error = ''
        self._thread = threading.Thread(target=self._supervise, name='camera-watchdog', daemon=True)

    # --- control (any thread, returns at once) ------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stopping.set()
        self._wake.set()
        self._thread.join(timeout)
        with self._lock:
            workers = [w for w in self._abandoned + [self._worker] if w is not None]
            self._worker = None
        for worker in workers:
            worker.abandon()
        deadline = time.monotonic() + timeout
        for worker in workers:  # let killed children be reaped and their shared memory freed
            worker.join(max(0.0, deadline - time.monotonic()))

    def reconnect(self, reason: str = 'reconnect requested') -> None:
        with self._lock:
            self._force_reason = reason
        self._wake.set()

    def reconfigure(self, config: CaptureConfig) -> None:
        """New source or settings: reconnect with them (the failed-attempt count starts again)."""
        if config.source != self._config.source:
            factory, location = resolve_source(config.source)
            with self._lock:
                self._factory, self._location = factory, location
        with self._lock:
            old = self._config
            restart = (config.source != old.source or config.settings != old.settings
                       or config.mode != old.mode or config.jpeg_quality != old.jpeg_quality)
            self._config = config
            if restart:
                self._failures = 0
                self._force_reason = f'configuration changed (source {config.source})'
        self._wake.set()

    @property
    def config(self) -> CaptureConfig:
        return self._config

    @property
    def source_class(self) -> type:
        return self._factory

    @property
    def state(self) -> str:
        return self._state

    def fps(self) -> float:
        with self._lock:
            self._trim_fps(time.monotonic())
            times = self._frame_times
            if len(times) < 2:
                return 0.0
            return (len(times) - 1) / max(times[-1] - times[0], 1e-6)

    def snapshot(self) -> dict:
        with self._lock:
            self._abandoned = [w for w in self._abandoned if w.alive()]
            return {'state': self._state, 'source': self._config.source, 'capture_mode': self._mode,
                    'fps': round(self.fps(), 2), 'framerate': self._config.settings.framerate,
                    'frames': self.frames, 'dropped': self.dropped, 'bad_frames': self.bad_frames,
                    'reconnects': self.reconnects, 'failed_attempts': self._failures,
                    'stuck_workers': len(self._abandoned), 'last_error': self.last_error}

    def count_dropped(self, n: int = 1) -> None:
        with self._lock:
            self.dropped += n

    # --- worker events (worker threads) -------------------------------------------------

    def _current(self, worker: Worker) -> bool:
        # By generation, not identity: a worker may report before the supervisor has installed it.
        return worker.generation == self._generation and not worker.abandoned

    def worker_opened(self, worker: Worker, info: Optional[dict]) -> None:
        with self._lock:
            if self._current(worker):
                worker.opened_at = time.monotonic()
                self.camera_info = info

    def worker_frame(self, worker: Worker, frame: Frame) -> None:
        with self._lock:
            if not self._current(worker):
                return
            now = time.monotonic()
            worker.last_progress = now
            self.frames += 1
            self._frame_times.append(now)
            self._trim_fps(now)
            if self._state != 'streaming':
                if self._failures or self._state == 'stalled':
                    self._log('info', f'streaming from {self._config.source} again '
                                      f'({self.reconnects} reconnects so far)')
                self._failures = 0
                self._set_state('streaming')
            if self._bad_in_burst and now - self._bad_burst_at > BURST_GAP:
                self._log('info', f'{self._bad_in_burst} bad frames in the last burst')
                self._bad_in_burst = 0
        self._on_frame(frame)

    def worker_bad(self, worker: Worker, reason: str) -> None:
        with self._lock:
            if not self._current(worker):
                return
            now = time.monotonic()
            worker.last_progress = now
            self.bad_frames += 1
            self.last_error = reason
            if now - self._bad_burst_at > BURST_GAP:
                self._log('warn', f'bad frame dropped: {reason} '
                                  '(further bad frames of this burst are counted '
                                  'in diagnostics, not logged)')
                self._bad_in_burst = 0
            self._bad_in_burst += 1
            self._bad_burst_at = now

    def worker_dropped(self, worker: Worker, n: int) -> None:
        self.count_dropped(n)

    def worker_ended(self, worker: Worker) -> None:
        with self._lock:
            if self._current(worker):
                worker.abandoned = True  # finished; never to be installed or watched again
                self._worker = None
                self._log('info', f'end of {self._config.source} (loop is off)')
                self._set_state('ended')

    def worker_failed(self, worker: Worker, reason: str) -> None:
        with self._lock:
            if self._current(worker):
                self._fail(reason, worker)
        self._wake.set()

    def worker_log(self, worker: Worker, text: str) -> None:
        self._log('warn', text)

    # --- supervisor ---------------------------------------------------------------------

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self._on_state(state)

    def _trim_fps(self, now: float) -> None:
        while self._frame_times and now - self._frame_times[0] > FPS_WINDOW:
            self._frame_times.popleft()

    def _abandon(self, worker: Optional[Worker]) -> None:
        if worker is not None and worker not in self._abandoned:
            worker.abandon()
            self._abandoned.append(worker)
        if worker is self._worker:
            self._worker = None

    def _fail(self, reason: str, worker: Optional[Worker] = None) -> None:
        """The current attempt failed: abandon its worker, back off, maybe give up (lock held)."""
        cfg = self._config
        self._abandon(worker or self._worker)
        self._failures += 1
        if reason != self.last_error or self._failures == 1:
            self._log('warn', reason if cfg.source in reason else f'{cfg.source}: {reason}')
        self.last_error = reason
        if cfg.max_reconnects and self._failures > cfg.max_reconnects:
            self._set_state('failed')
            self._log('error', f'giving up on {cfg.source} after {cfg.max_reconnects} failed reconnects')
            self._on_fatal(f'{cfg.max_reconnects} failed reconnects; last error: {reason}')
            return
        delay = min(cfg.reconnect_delay * 2 ** (self._failures - 1), cfg.reconnect_delay_max)
        self._next_attempt = time.monotonic() + delay
        self._set_state('reconnecting')

    def _launch(self, generation: int, mode: str, factory, location: str, cfg: CaptureConfig) -> None:
        """Start a worker without holding the lock: the first child process waits for the forkserver."""
        worker_class = ProcessWorker if mode == 'process' else ThreadWorker
        try:
            worker = worker_class(self, generation, factory, location, cfg.settings, cfg.jpeg_quality)
        except Exception as exc:  # e.g. no more processes or threads: like a failed open
            with self._lock:
                self._launching = False
                if generation == self._generation:
                    self._fail(f'cannot start a capture {mode}: {exc}')
            return
        with self._lock:
            self._launching = False
            if generation == self._generation and not worker.abandoned and not self._stopping.is_set():
                self._worker = worker
            else:  # reconfigured, forced to reconnect, failed or ended while starting
                self._abandon(worker)

    def _check(self, now: float) -> Optional[tuple]:
        """Watchdog step (lock held); returns the arguments of `_launch` when a worker must start."""
        cfg, worker = self._config, self._worker
        if self._force_reason is not None:
            reason, self._force_reason = self._force_reason, None
            self._abandon(worker)
            worker = None
            self._generation += 1  # also voids a worker that is being launched
            self._log('info', reason)
            self.reconnects += 1
            self._next_attempt = now
            self._set_state('reconnecting')
        if self._launching:
            return None
        if worker is None:
            if self._state not in ('failed', 'ended') and now >= self._next_attempt:
                if self._failures:
                    self.reconnects += 1
                self._generation += 1
                self._mode = resolve_mode(cfg.mode, self._factory)
                self._launching = True
                return self._generation, self._mode, self._factory, self._location, cfg
            return None
        settings = cfg.settings
        period = 1.0 / settings.framerate
        if worker.opened_at is None:
            waiting = isinstance(worker, ProcessWorker) and worker.waiting_for_start()
            limit = max(settings.open_timeout, self._factory.open_time_hint)
            limit += 10.0 if waiting else 0.0  # a process start may be slow
            if now - worker.started > limit:
                self._fail(f'open did not return within {settings.open_timeout:g} s (open_timeout)')
            return None
        silent = now - (worker.last_progress or worker.opened_at)
        if silent > settings.read_timeout + period:
            self._fail(f'no frame for {silent:.1f} s (read_timeout {settings.read_timeout:g} s)')
        elif silent > 0.5 * settings.read_timeout + period and self._state == 'streaming':
            self._set_state('stalled')
        return None

    def _supervise(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            with self._lock:
                launch = self._check(time.monotonic())
            if launch is not None:
                self._launch(*launch)
            self._wake.wait(TICK)


def resolve_mode(mode: str, factory) -> str:
    """'auto' -> 'process' for sources that prefer it (devices, streams, synthetic), else 'thread'."""
    if mode == 'auto':
        return 'process' if factory.prefer_process else 'thread'
    return mode


def with_settings(config: CaptureConfig, **changes) -> CaptureConfig:
    """A copy of `config` with CaptureSettings fields changed."""
    return replace(config, settings=replace(config.settings, **changes))


class FrameHandoff:
    """Latest-frame slot between the capture side and the publisher: a slow publisher drops
    old frames (counted) instead of queueing them."""

    def __init__(self, on_dropped: Callable[[int], None]):
        self._cond = threading.Condition()
        self._frame: Optional[Frame] = None
        self._on_dropped = on_dropped

    def put(self, frame: Frame) -> None:
        with self._cond:
            if self._frame is not None:
                self._on_dropped(1)
            self._frame = frame
            self._cond.notify()

    def take(self, timeout: float) -> Optional[Frame]:
        with self._cond:
            if self._frame is None:
                self._cond.wait(timeout)
            frame, self._frame = self._frame, None
            return frame
