# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""A real HTTP MJPEG server on 127.0.0.1: stream, stall, kill and restart.

The server runs in its own process (this file with --serve), so it can be killed
and restarted on the same port. Throughout, the probe node's 20 Hz timer on the
driver's executor must never go 0.5 s without running.
"""
import os
import signal
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2
import numpy as np

from conftest import PYTHON, wait_for
from test_camera_node import STEP, harness_factory  # noqa: F401 (fixture)

DOMAIN = 48
SERVER_LIFETIME = 120.0  # the server stops by itself even if a test forgets it


def serve(port: int, stall_flag: str) -> None:
    """MJPEG over HTTP at 30 fps; while `stall_flag` exists, connections stay open but send nothing."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header('Content-Type', 'multipart/x-mixed-replace; boundary=frame')
            self.end_headers()
            for i in range(int(SERVER_LIFETIME * 30)):
                while os.path.exists(stall_flag):
                    time.sleep(0.05)
                ok, jpeg = cv2.imencode('.jpg', np.full((48, 64, 3), (i % 12) * STEP, np.uint8))
                part = jpeg.tobytes()
                try:
                    self.wfile.write(b'--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n'
                                     % len(part) + part + b'\r\n')
                except OSError:
                    return  # the client went away
                time.sleep(1 / 30)

        def log_message(self, *args):
            return

    server = ThreadingHTTPServer(('127.0.0.1', port), Handler)
    server.daemon_threads = True
    server.timeout = 0.5
    end = time.monotonic() + SERVER_LIFETIME
    while time.monotonic() < end:
        server.handle_request()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(('127.0.0.1', port)) == 0


def start_server(processes, port, flag):
    proc = processes.start([PYTHON, os.path.abspath(__file__), '--serve', str(port), str(flag)],
                           env=dict(os.environ))
    assert wait_for(lambda: listening(port) or proc.poll() is not None, 15) and proc.poll() is None
    return proc


def test_mjpeg_server_stalls_dies_and_comes_back(harness_factory, processes, tmp_path):  # noqa: F811
    port, flag = free_port(), tmp_path / 'stall'
    server = start_server(processes, port, flag)
    h = harness_factory(DOMAIN, source=f'http://127.0.0.1:{port}/stream.mjpg', open_timeout=2.0,
                        read_timeout=1.0, reconnect_delay=0.2, reconnect_delay_max=1.0)
    h.subscribe_compressed()
    assert wait_for(lambda: len(h.images) >= 10 and len(h.jpegs) >= 3, 15)
    values = [m['value'] for m in h.images[-10:]]
    assert all((b - a) % 12 in (1, 2) for a, b in zip(values, values[1:])), values  # in order
    assert h.driver._capture.snapshot()['capture_mode'] == 'process'  # auto: streams run in a child
    # The compressed topic carries the server's own JPEG bytes, not a re-encoding.
    forwarded = bytes(h.jpegs[-1].data)
    value = int(cv2.imdecode(np.frombuffer(forwarded, np.uint8), cv2.IMREAD_COLOR).mean())
    assert forwarded == cv2.imencode('.jpg', np.full((48, 64, 3), value, np.uint8))[1].tobytes()

    # Stall: the socket stays open and silent.
    seen = len(h.statuses)
    flag.touch()
    assert wait_for(lambda: any(s['state'] == 'stalled' for s in h.statuses[seen:]), 5)
    assert wait_for(lambda: h.statuses[-1]['reconnects'] >= 1 and h.state() != 'streaming', 5)
    flag.unlink()
    resumed = time.monotonic()
    assert wait_for(lambda: len(h.frames_after(resumed)) >= 5, 15)

    # Kill the server; restart it on the same port.
    processes.stop(server, sig=signal.SIGKILL)
    seen = len(h.statuses)
    assert wait_for(lambda: any(s['state'] == 'reconnecting' for s in h.statuses[seen:]), 5)
    server = start_server(processes, port, flag)
    restarted = time.monotonic()
    assert wait_for(lambda: len(h.frames_after(restarted)) >= 3, 5.0), 'no frames within 5 s of the restart'

    assert h.max_tick_gap() < 0.5, f'probe timer stalled for {h.max_tick_gap():.2f} s'
    assert len(h.ticks) > 20


if __name__ == '__main__' and sys.argv[1:2] == ['--serve']:
    serve(int(sys.argv[2]), sys.argv[3])
