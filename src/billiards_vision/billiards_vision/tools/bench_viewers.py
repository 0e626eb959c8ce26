# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Many browsers on one web_video_server: CPU, per-client rate, a slow client, memory over time.

    python -m billiards_vision.tools.bench_viewers [--seconds 10] [--size 1280x720]   # make bench
    python -m billiards_vision.tools.bench_viewers --soak 300                         # make soak

Starts camera_driver (pattern://moving, 30 fps) and web_video_server as their
own processes on the current ROS_DOMAIN_ID, then reads MJPEG streams of
/camera/image_raw over loopback from this process:
  1. one client, then 20 clients: the server's CPU (from /proc) and each client's fps;
  2. 19 clients at full rate plus one that reads one frame a second;
  3. with --soak S: for S seconds clients (streams and snapshots) come and go at
     random; the server's RSS is sampled every 5 s (printed every 15 s) and the
     median of the last third must not exceed that of the middle third by 5 % (10 MB).
Exit code 1 when a criterion fails: CPU(20) <= 1.5 x CPU(1), every client >= 10 fps,
the slow client not slowing the others (their median within 20 % of phase 1),
flat RSS in the soak.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time

TOPIC = '/camera/image_raw'
TICK = os.sysconf('SC_CLK_TCK')


def cpu_seconds(pid: int) -> float:
    fields = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def rss_mb(pid: int) -> float:
    for line in open(f'/proc/{pid}/status'):
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f'no VmRSS for {pid}')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


async def stream_client(port: int, seconds: float, period: float = 0.0, query: str = '') -> int:
    """Read MJPEG parts for `seconds` (one every `period` s when > 0); returns the parts read."""
    reader, writer = await asyncio.open_connection('127.0.0.1', port, limit=1 << 20)
    writer.write(f'GET /stream?topic={TOPIC}{query} HTTP/1.1\r\nHost: bench\r\n\r\n'.encode())
    head = await reader.readuntil(b'\r\n\r\n')
    if not head.startswith(b'HTTP/1.1 200'):
        writer.close()
        raise RuntimeError(f'stream refused: {head.splitlines()[0].decode()}')
    loop = asyncio.get_running_loop()
    end, parts = loop.time() + seconds, 0
    try:
        while loop.time() < end:
            headers = await asyncio.wait_for(reader.readuntil(b'\r\n\r\n'), timeout=max(end - loop.time(), 0.01))
            length = next(int(line.split(b':')[1]) for line in headers.split(b'\r\n')
                          if line.lower().startswith(b'content-length'))
            await reader.readexactly(length + 2)
            parts += 1
            if period:
                await asyncio.sleep(period)
    except asyncio.TimeoutError:
        pass
    finally:
        writer.close()
    return parts


async def snapshot_client(port: int) -> int:
    reader, writer = await asyncio.open_connection('127.0.0.1', port)
    writer.write(f'GET /snapshot?topic={TOPIC}&width=320 HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n'
                 .encode())
    data = await reader.read()
    writer.close()
    return int(data.split(b' ', 2)[1])


class Graph:
    """camera_driver and web_video_server as child processes."""

    def __init__(self, width: int, height: int):
        self.port = free_port()
        self.procs = []
        self.camera = self._start(['camera_driver', '--ros-args', '-p', 'source:=pattern://moving',
                                   '-p', f'image_width:={width}', '-p', f'image_height:={height}',
                                   '-p', 'framerate:=30.0'])
        self.server = self._start(['web_video_server', '--ros-args', '-p', f'port:={self.port}',
                                   '-p', 'address:=127.0.0.1', '-p', 'max_clients:=64'])

    def _start(self, args):
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.procs.append(proc)
        return proc

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if asyncio.run(stream_client(self.port, 1.0)) > 5:
                    return
            except (OSError, RuntimeError, asyncio.IncompleteReadError):
                pass
            time.sleep(0.5)
        raise RuntimeError('no frames from web_video_server within 30 s')

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in self.procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


async def clients_phase(port: int, fast: int, seconds: float, slow: int = 0) -> tuple[list, list]:
    tasks = [stream_client(port, seconds) for _ in range(fast)] + \
            [stream_client(port, seconds, period=1.0) for _ in range(slow)]
    counts = await asyncio.gather(*tasks)
    return [c / seconds for c in counts[:fast]], list(counts[fast:])


def measure(graph: Graph, fast: int, seconds: float, slow: int = 0) -> dict:
    cpu0, t0 = cpu_seconds(graph.server.pid), time.monotonic()
    fps, slow_parts = asyncio.run(clients_phase(graph.port, fast, seconds, slow))
    cpu = (cpu_seconds(graph.server.pid) - cpu0) / (time.monotonic() - t0)
    return {'clients': fast + slow, 'cpu': cpu, 'fps_min': min(fps), 'fps_median': statistics.median(fps),
            'slow_parts': slow_parts}


async def soak(port: int, seconds: float, pid: int, rng: random.Random) -> list:
    loop = asyncio.get_running_loop()
    end, samples, tasks, next_sample = loop.time() + seconds, [], set(), loop.time()
    while loop.time() < end:
        if loop.time() >= next_sample:
            samples.append((round(seconds - (end - loop.time())), rss_mb(pid), len(tasks)))
            if len(samples) % 3 == 1:
                print(f'  t={samples[-1][0]:4d} s  RSS {samples[-1][1]:7.1f} MB  clients {len(tasks)}', flush=True)
            next_sample += 5.0
        if len(tasks) < 20:
            kind = rng.random()
            if kind < 0.15:
                coro = snapshot_client(port)
            else:
                coro = stream_client(port, rng.uniform(0.5, 8.0), period=1.0 if kind > 0.9 else 0.0,
                                     query=rng.choice(['', '&width=640', '&quality=50']))
            tasks.add(asyncio.ensure_future(coro))
        done = {t for t in tasks if t.done()}
        for t in done:
            if t.exception() is not None and not isinstance(t.exception(), (OSError, asyncio.IncompleteReadError)):
                raise t.exception()
        tasks -= done
        await asyncio.sleep(rng.uniform(0.05, 0.4))
    await asyncio.gather(*tasks, return_exceptions=True)
    return samples


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog='bench_viewers', description=__doc__.split('\n')[0])
    p.add_argument('--seconds', type=float, default=10.0, help='length of each measured phase')
    p.add_argument('--size', default='1280x720', help='camera frame size WxH')
    p.add_argument('--clients', type=int, default=20)
    p.add_argument('--soak', type=float, default=0.0, help='run clients coming and going for this many seconds')
    args = p.parse_args(argv)
    width, height = (int(v) for v in args.size.split('x'))
    graph = Graph(width, height)
    ok = True
    try:
        graph.wait_ready()
        if args.soak:
            print(f'soak: {args.soak:.0f} s of clients coming and going on {TOPIC} ({args.size})')
            samples = soak(graph.port, args.soak, graph.server.pid, random.Random(0))
            samples = asyncio.run(samples)
            # RSS swings with the number of clients (socket buffers, frames in flight): compare medians of
            # the middle and the last third of the run (the first third is warm-up).
            rss = [r for _, r, _ in samples]
            third = len(rss) // 3
            middle, last = statistics.median(rss[third:2 * third]), statistics.median(rss[2 * third:])
            growth = last - middle
            flat = growth < max(0.05 * middle, 10.0)
            print(f'RSS median {statistics.median(rss[:third]):.1f} MB (first third), {middle:.1f} (middle), '
                  f'{last:.1f} (last): {growth:+.1f} MB, min {min(rss):.1f}, max {max(rss):.1f}: '
                  f'{"flat" if flat else "GROWING"}')
            return 0 if flat else 1
        one = measure(graph, 1, args.seconds)
        many = measure(graph, args.clients, args.seconds)
        mixed = measure(graph, args.clients - 1, args.seconds, slow=1)
        print(f'web_video_server, {TOPIC} at {args.size} 30 fps, {args.seconds:g} s per phase, loopback '
              '(2-core machine shared with other jobs)')
        print('| clients | server CPU (1 core = 100 %) | client fps min / median | slow client frames |')
        print('|---|---|---|---|')
        for r, note in ((one, ''), (many, ''), (mixed, ' (1 slow)')):
            slow = f"{r['slow_parts'][0]} in {args.seconds:g} s" if r['slow_parts'] else '-'
            print(f"| {r['clients']}{note} | {100 * r['cpu']:.1f} % | {r['fps_min']:.1f} / {r['fps_median']:.1f} "
                  f'| {slow} |')
        ratio = many['cpu'] / max(one['cpu'], 1e-6)
        checks = {f'CPU {args.clients} clients / 1 client = {ratio:.2f} <= 1.5': ratio <= 1.5,
                  f"every client >= 10 fps ({min(one['fps_min'], many['fps_min']):.1f})":
                      min(one['fps_min'], many['fps_min']) >= 10.0,
                  f"slow client does not slow the others (median {mixed['fps_median']:.1f} vs "
                  f"{many['fps_median']:.1f} fps, min {mixed['fps_min']:.1f})":
                      mixed['fps_median'] >= 0.8 * many['fps_median'] and mixed['fps_min'] >= 10.0}
        for text, passed in checks.items():
            print(f"{'PASS' if passed else 'FAIL'}: {text}")
            ok = ok and passed
    finally:
        graph.stop()
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
