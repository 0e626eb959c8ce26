# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""A small process supervisor: what `ros2 launch` does for the graph, for `make run`.

Children share the supervisor's process group (a terminal's Ctrl-C reaches all
of them, as under launch) and die with it (PR_SET_PDEATHSIG). Their output is
relayed line by line with a `[name]` prefix. A child that fails (non-zero exit)
is started again after a backoff that doubles up to `restart_delay_max` and
starts over once the child has run `stable_after` seconds; one that exits 0
finished on purpose and is left alone; one that refuses its parameters on its
first start (exit 2) stops everything, as restarting cannot fix a typo.
SIGINT/SIGTERM stop all: SIGINT to each child, SIGTERM after `stop_timeout`,
SIGKILL 2 s later.
"""
from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Callable, Optional

PR_SET_PDEATHSIG = 1
EXIT_BAD_PARAMETERS = 2  # run_node's code for parameters a node refuses
POLL_S = 0.1


def die_with_parent(parent_pid: int, sig: int = signal.SIGTERM) -> bool:
    """Linux: get `sig` when the parent dies. False if it is already gone (then exit)."""
    try:
        libc = ctypes.CDLL('libc.so.6', use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, sig)
    except OSError:
        pass  # not glibc: the supervisor still stops its children on SIGINT/SIGTERM
    return os.getppid() == parent_pid


@dataclass
class Child:
    name: str
    command: list
    proc: Optional[subprocess.Popen] = None
    relay: Optional[threading.Thread] = None
    started: float = 0.0
    runs: int = 0
    failures: int = 0                     # failed runs in a row, for the backoff
    restart_at: Optional[float] = None
    finished: bool = False                # exited 0 by itself: not started again


class Supervisor:
    def __init__(self, children: list[Child], env: dict, on_line: Optional[Callable[[str, str], None]] = None,
                 restart_delay: float = 2.0, restart_delay_max: float = 30.0, stable_after: float = 30.0,
                 stop_timeout: float = 5.0, out=None):
        self.children = children
        self.env = env
        self.on_line = on_line or (lambda name, line: None)
        self.restart_delay, self.restart_delay_max = restart_delay, restart_delay_max
        self.stable_after, self.stop_timeout = stable_after, stop_timeout
        self.out = out or sys.stdout
        self._out_lock = threading.Lock()
        self._stop_signal: Optional[int] = None

    # --- output -------------------------------------------------------------------------

    def say(self, text: str) -> None:
        with self._out_lock:
            self.out.write(text + '\n')
            self.out.flush()

    def _relay(self, child: Child, stream) -> None:
        for line in stream:
            line = line.rstrip('\n')
            self.say(f'[{child.name}] {line}')
            self.on_line(child.name, line)
        stream.close()

    # --- children -----------------------------------------------------------------------

    def _start(self, child: Child) -> None:
        child.proc = subprocess.Popen(child.command, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, text=True, bufsize=1)
        child.started = time.monotonic()
        child.runs += 1
        child.restart_at = None
        child.relay = threading.Thread(target=self._relay, args=(child, child.proc.stdout),
                                       name=f'relay-{child.name}', daemon=True)
        child.relay.start()

    def _on_exit(self, child: Child, code: int, now: float) -> Optional[int]:
        """Decide about a child that exited by itself; returns an exit code to stop everything with."""
        ran = now - child.started
        child.proc = None
        if code == 0:
            child.finished = True
            self.say(f'[graph] {child.name} finished (exit 0); not started again')
            return None
        if code == EXIT_BAD_PARAMETERS and child.runs == 1:
            self.say(f'[graph] {child.name} refused its parameters (exit 2); stopping')
            return EXIT_BAD_PARAMETERS
        child.failures = 1 if ran >= self.stable_after else child.failures + 1
        delay = min(self.restart_delay * 2 ** (child.failures - 1), self.restart_delay_max)
        child.restart_at = now + delay
        self.say(f'[graph] {child.name} exited with code {code} after {ran:.1f} s; starting it again in {delay:g} s')
        return None

    # --- main loop ----------------------------------------------------------------------

    def _request_stop(self, signum, frame) -> None:
        if self._stop_signal is None:
            self._stop_signal = signum

    def run(self) -> int:
        """Start every child and supervise until SIGINT/SIGTERM or all finished; returns the exit code."""
        previous = {s: signal.signal(s, self._request_stop) for s in (signal.SIGINT, signal.SIGTERM)}
        code = 0
        try:
            for child in self.children:
                if self._stop_signal is None:
                    self._start(child)
            while self._stop_signal is None:
                now = time.monotonic()
                fatal = None
                for child in self.children:
                    if child.proc is not None and child.proc.poll() is not None:
                        fatal = self._on_exit(child, child.proc.returncode, now) or fatal
                    elif child.restart_at is not None and now >= child.restart_at:
                        self._start(child)
                if fatal is not None:
                    code = fatal
                    break
                if all(c.finished for c in self.children):
                    return 0
                time.sleep(POLL_S)
            return self.stop() or code
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def stop(self) -> int:
        """SIGINT every running child (again: a terminal's Ctrl-C reached them already), escalate
        after stop_timeout; returns 0 if every child exited 0."""
        running = [c for c in self.children if c.proc is not None]
        for child in running:
            self._signal(child, signal.SIGINT)
        codes = self._wait(running, self.stop_timeout)
        for sig, timeout in ((signal.SIGTERM, 2.0), (signal.SIGKILL, 2.0)):
            late = [c for c in running if c.name not in codes]
            if not late:
                break
            self.say(f'[graph] {", ".join(c.name for c in late)} still running; sending {sig.name}')
            for child in late:
                self._signal(child, sig)
            codes.update(self._wait(late, timeout))
        for child in running:
            if child.relay is not None:
                child.relay.join(2.0)  # the rest of its output
            child.proc = None
        failed = {name: code for name, code in codes.items() if code != 0}
        if failed:
            self.say(f'[graph] not stopped cleanly: {failed}')
        return 1 if failed else 0

    @staticmethod
    def _signal(child: Child, sig: int) -> None:
        try:
            child.proc.send_signal(sig)
        except ProcessLookupError:
            pass  # exited meanwhile

    @staticmethod
    def _wait(children: list[Child], timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        codes = {}
        for child in children:
            try:
                codes[child.name] = child.proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                continue
        return codes
