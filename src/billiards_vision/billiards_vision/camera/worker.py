# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Capture workers: the loop that opens a source and reads frames, run either on a
thread or in a child process.

A thread stuck in a driver call cannot be stopped, only abandoned: it is told to
drop everything it still produces and to close its source if the call ever
returns. A child process can be killed; its frames come back through a ring of
shared-memory slots (one memcpy, no pickling of 6 MB images), with only small
messages on a pipe.
"""
from __future__ import annotations

import abc
import ctypes
import itertools
import multiprocessing
import os
import signal
import threading
import time
from multiprocessing import shared_memory
from typing import Callable, Optional

import cv2
import numpy as np

from billiards_vision.camera import shm
from billiards_vision.camera.base import BadFrame, CaptureSettings, Frame, FrameSource, SourceError

MAX_BAD_RUN = 30   # consecutive bad frames that count as a broken connection
SLOTS = 3          # shared-memory frame slots per child process
PR_SET_PDEATHSIG = 1


def normalise(frame: Frame, expected_shape: Optional[tuple], settings: CaptureSettings) -> tuple:
    """Check one frame, convert it to HxWx3 uint8 at the requested size; returns the source shape."""
    image = frame.image
    if not isinstance(image, np.ndarray) or image.size == 0:
        raise BadFrame('empty frame')
    if image.dtype != np.uint8:
        raise BadFrame(f'frame of type {image.dtype}, expected uint8')
    if expected_shape is not None and image.shape != expected_shape:
        raise BadFrame(f'frame of wrong size {image.shape[1]}x{image.shape[0]}, '
                       f'expected {expected_shape[1]}x{expected_shape[0]}')
    shape = image.shape
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    elif image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    elif image.shape[2] != 3:
        raise BadFrame(f'frame with {image.shape[2]} channels')
    w, h = settings.width, settings.height
    if w > 0 and h > 0 and (image.shape[1], image.shape[0]) != (w, h):
        image = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
        frame.jpeg = None  # the camera's JPEG no longer matches image_raw
    frame.image = np.ascontiguousarray(image)
    return shape


def capture_loop(source: FrameSource, sink, settings: CaptureSettings, jpeg_quality: int) -> None:
    """Open `source` and hand frames to `sink` until it is cancelled or the stream ends."""
    source.open()
    sink.opened(source.camera_info())
    shape, bad_run = None, 0
    while not sink.cancelled():
        try:
            frame = source.read()
            if frame is None:
                sink.ended()
                return
            shape = normalise(frame, shape, settings)
        except BadFrame as exc:
            bad_run += 1
            sink.bad(str(exc))
            if bad_run >= MAX_BAD_RUN:
                raise SourceError(f'{bad_run} bad frames in a row, last: {exc}') from exc
            continue
        bad_run = 0
        if frame.jpeg is None and sink.want_jpeg():
            ok, buf = cv2.imencode('.jpg', frame.image, [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
            frame.jpeg = buf.tobytes() if ok else None
        sink.frame(frame)


def _describe(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, SourceError) else f'{type(exc).__name__}: {exc}'


class Worker(abc.ABC):
    """Common state the watchdog reads: when it started, opened, last made progress."""

    def __init__(self, events, generation: int):
        self.events = events            # the Capture supervisor
        self.generation = generation
        self.started = time.monotonic()
        self.opened_at: Optional[float] = None
        self.last_progress: Optional[float] = None
        self.abandoned = False

    @abc.abstractmethod
    def alive(self) -> bool:
        """True while the capture loop still runs."""

    def join(self, timeout: float) -> None:
        """Wait up to `timeout` for an abandoned worker to clean up (shutdown only)."""

    @abc.abstractmethod
    def abandon(self) -> None:
        """Stop caring about this worker (the watchdog gave up on it); kill it where possible."""


class ThreadWorker(Worker):
    """Runs the capture loop on a daemon thread."""

    def __init__(self, events, generation: int, factory: Callable, location: str, settings: CaptureSettings,
                 jpeg_quality: int):
        super().__init__(events, generation)
        self._cancel = threading.Event()
        self._want_jpeg = False
        self._thread = threading.Thread(target=self._run, args=(factory, location, settings, jpeg_quality),
                                        name=f'camera-capture-{generation}', daemon=True)
        self._thread.start()

    # sink interface used by capture_loop
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def want_jpeg(self) -> bool:
        return self.events.want_jpeg

    def opened(self, info) -> None:
        self.events.worker_opened(self, info)

    def frame(self, frame: Frame) -> None:
        self.events.worker_frame(self, frame)

    def bad(self, reason: str) -> None:
        self.events.worker_bad(self, reason)

    def ended(self) -> None:
        self.events.worker_ended(self)

    def _run(self, factory, location, settings, jpeg_quality) -> None:
        source = None
        try:
            source = factory(location, settings)
            capture_loop(source, self, settings, jpeg_quality)
        except Exception as exc:  # any failure of a source means: reconnect
            self.events.worker_failed(self, _describe(exc))
        finally:
            if source is not None:
                try:
                    source.close()
                except Exception as exc:
                    self.events.worker_log(self, f'closing the source failed: {_describe(exc)}')

    def alive(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def abandon(self) -> None:
        self.abandoned = True
        self._cancel.set()


# --- child process -------------------------------------------------------------------

_CONTEXT = None


def mp_context():
    """Forkserver: children start from a clean, preloaded server, not a fork of a process with DDS threads."""
    global _CONTEXT
    if _CONTEXT is None:
        ctx = multiprocessing.get_context('forkserver')
        ctx.set_forkserver_preload(['billiards_vision.camera.worker', 'billiards_vision.camera.bag',
                                    'billiards_vision.camera.device', 'billiards_vision.camera.stream',
                                    'billiards_vision.camera.video_file', 'billiards_vision.camera.pattern',
                                    'billiards_vision.camera.image_folder'])
        _CONTEXT = ctx
    return _CONTEXT


class _ChildSink:
    """The capture loop's sink inside the child: frames into shared memory, events on the pipe."""

    def __init__(self, conn, want_jpeg):
        self._conn = conn
        self._want = want_jpeg
        self._shm = None
        self._slot_size = 0
        self._free: set[int] = set()
        self._dropped = 0

    def cancelled(self) -> bool:
        return False  # the parent kills the process instead

    def want_jpeg(self) -> bool:
        return bool(self._want.value)

    def opened(self, info) -> None:
        self._conn.send(('opened', info))

    def bad(self, reason: str) -> None:
        self._conn.send(('bad', reason))

    def ended(self) -> None:
        self._conn.send(('ended',))

    def _handle(self, msg) -> None:
        if msg[0] == 'free':
            self._free.add(msg[1])
        elif msg[0] == 'shm':
            if self._shm is not None:
                self._shm.close()
            self._shm = attach_segment(msg[1])
            self._slot_size = msg[2]
            self._free = set(range(SLOTS))

    def frame(self, frame: Frame) -> None:
        nbytes = frame.image.nbytes
        while self._conn.poll():
            self._handle(self._conn.recv())
        if self._shm is None or nbytes > self._slot_size:
            self._conn.send(('alloc', nbytes))
            self._shm = None
            while self._shm is None:
                self._handle(self._conn.recv())
        if not self._free:
            self._dropped += 1  # the parent has not taken the previous frames yet
            return
        slot = self._free.pop()
        view = np.ndarray(frame.image.shape, np.uint8, buffer=self._shm.buf, offset=slot * self._slot_size)
        view[...] = frame.image
        del view
        self._conn.send(('frame', slot, frame.image.shape, frame.stamp_ns, frame.index, frame.jpeg,
                         frame.extra, self._dropped))
        self._dropped = 0


_serial = itertools.count()
_reclaimed = False


def new_segment(size: int, log: Callable[[str], None]):
    """A segment of `size` bytes for frames from a child. Named after this process where possible
    (see camera/shm.py); the first one a process makes first reclaims those of killed owners."""
    global _reclaimed
    if not shm.available():
        return shared_memory.SharedMemory(create=True, size=size)  # its resource tracker cleans up
    if not _reclaimed:
        _reclaimed = True
        stale = shm.reclaim_stale()
        if stale:
            log(f'reclaimed {len(stale)} shared-memory segment(s) left by a killed camera driver: '
                f'{", ".join(stale)}')
    return shm.Segment.new(next(_serial), size)


def attach_segment(name: str):
    return shm.Segment(name) if name.startswith(shm.PREFIX) else shared_memory.SharedMemory(name=name)


def _die_with_parent() -> None:
    """Linux: SIGKILL this child when its parent, the forkserver (which ends with the node), dies,
    so a child hung in a driver call never outlives a node that was killed itself."""
    try:
        libc = ctypes.CDLL('libc.so.6', use_errno=True)
    except OSError:
        return  # not glibc: the node still kills its children on a normal shutdown
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _child_main(factory, location, settings, conn, want_jpeg, jpeg_quality) -> None:
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the node decides
    source = None
    try:
        conn.send(('started', os.getpid()))
        source = factory(location, settings)
        capture_loop(source, _ChildSink(conn, want_jpeg), settings, jpeg_quality)
    except (BrokenPipeError, EOFError, ConnectionResetError):
        return  # the node went away or abandoned us: nobody is left to tell
    except Exception as exc:
        try:
            conn.send(('error', _describe(exc)))
        except OSError:
            return  # the node is gone
    finally:
        if source is not None:
            source.close()
        conn.close()


class ProcessWorker(Worker):
    """Runs the capture loop in a child process that `abandon` kills."""

    def __init__(self, events, generation: int, factory: Callable, location: str, settings: CaptureSettings,
                 jpeg_quality: int):
        super().__init__(events, generation)
        ctx = mp_context()
        self._conn, child_conn = ctx.Pipe(duplex=True)
        self._want = ctx.Value('b', 0, lock=False)
        self._shm = None  # shm.Segment or, without /dev/shm, shared_memory.SharedMemory
        self._slot_size = 0
        self._child_started = False
        self._process = ctx.Process(target=_child_main, name=f'camera-capture-{generation}', daemon=True,
                                    args=(factory, location, settings, child_conn, self._want, jpeg_quality))
        self._process.start()
        child_conn.close()
        self._reader = threading.Thread(target=self._read_loop, name=f'camera-reader-{generation}',
                                        daemon=True)
        self._reader.start()

    def _read_loop(self) -> None:
        ended_cleanly = False
        try:
            while True:
                try:
                    msg = self._conn.recv()
                except (EOFError, OSError):
                    break
                ended_cleanly = self._dispatch(msg) or ended_cleanly
        finally:
            self._process.join(timeout=2.0)
            if not (ended_cleanly or self.abandoned):
                self.events.worker_failed(self, f'capture process exited (code {self._process.exitcode})')
            self._conn.close()
            self._release_shm()

    def _dispatch(self, msg) -> bool:
        kind = msg[0]
        self._want.value = 1 if self.events.want_jpeg else 0
        if kind == 'started':
            self._child_started = True
            self.started = time.monotonic()  # the open timeout counts from here, not from process start-up
        elif kind == 'frame':
            _, slot, shape, stamp_ns, index, jpeg, extra, dropped = msg
            view = np.ndarray(shape, np.uint8, buffer=self._shm.buf, offset=slot * self._slot_size)
            image = view.copy()
            del view
            self._send(('free', slot))
            if dropped:
                self.events.worker_dropped(self, dropped)
            self.events.worker_frame(self, Frame(image, stamp_ns, jpeg=jpeg, index=index, extra=extra))
        elif kind == 'alloc':
            self._release_shm()
            self._slot_size = msg[1]
            self._shm = new_segment(msg[1] * SLOTS, lambda text: self.events.worker_log(self, text))
            self._send(('shm', self._shm.name, self._slot_size))
        elif kind == 'opened':
            self.events.worker_opened(self, msg[1])
        elif kind == 'bad':
            self.events.worker_bad(self, msg[1])
        elif kind == 'ended':
            self.events.worker_ended(self)
            return True
        elif kind == 'error':
            self.events.worker_failed(self, msg[1])
            return True
        return False

    def _send(self, msg) -> None:
        # The child may already be gone (killed by abandon, crashed): the next recv() sees the end of the
        # pipe and the read loop reports it; the frame just received is still delivered.
        try:
            self._conn.send(msg)
        except OSError as exc:
            if not self.abandoned:
                self.events.worker_log(self, f'capture process gone while answering it: {exc}')

    def _release_shm(self) -> None:
        if self._shm is not None:
            self._shm.close()
            self._shm.unlink()
            self._shm = None

    def waiting_for_start(self) -> bool:
        return not self._child_started

    def alive(self) -> bool:
        return self._process.is_alive() or self._reader.is_alive()

    def join(self, timeout: float) -> None:
        self._reader.join(timeout)

    def abandon(self) -> None:
        self.abandoned = True
        if self._process.is_alive():
            self._process.kill()  # the reader thread sees EOF, reaps the child and frees the memory
