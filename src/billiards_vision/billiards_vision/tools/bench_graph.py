# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Graph benchmark: the whole graph as separate processes, measured from another process.

    python -m billiards_vision.tools.bench_graph [--seconds 60] [--sizes 1280x720 1920x1080]
        [--sources synthetic://demo video] [--modes incremental full] [--video FILE] [--json FILE]
        [--variant NAME:NODE.PARAM=VALUE,...]

For every (source, size, mode) the node executables of the install space are
started as separate processes with config/billiards.yaml (the camera at that
size and 30 fps; `full` sets ball_detector full_search_every_frame), like the
launch file does, at the priorities `make run` gives them (every node but the
camera driver niced, `--nice`). After a warm-up this process listens for `--seconds` and
reports per topic the rate and the capture->arrival latency (header stamp ->
arrival here, both on this machine's clock), and per process the CPU share
(from /proc/<pid>/stat, children such as the capture process included).
Subscriptions are raw (no deserialisation here): the stamp is read from the
CDR bytes. camera/camera_info stands in for camera/image_raw (same stamp, one
per frame). vision/image_annotated is subscribed as a viewer would, so the
overlay draws. `video` is a clip rendered once with `simulate` (cached).
`--variant` adds cases with parameters changed (e.g. a niceness), measured
after the unchanged ones in the same run, as another column.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional

import numpy as np

from billiards_vision.tools.graph import CAPTURE_NODE, GRAPH, NODE_NICE
from billiards_vision.tools.simulate import parse_resolution

NODES = tuple(name for name, _ in GRAPH)
# (topic, message type module.name, label in the table)
TOPICS = (('camera/camera_info', 'sensor_msgs.msg.CameraInfo', 'camera (camera_info)'),
          ('balls', 'billiards_interfaces.msg.BallArray', 'balls'),
          ('cue', 'billiards_interfaces.msg.CueStick', 'cue'),
          ('table', 'billiards_interfaces.msg.Table', 'table'),
          ('tracks', 'billiards_interfaces.msg.TrackedBallArray', 'tracks'),
          ('vision/image_annotated', 'sensor_msgs.msg.Image', 'vision/image_annotated'))
CLK_TCK = os.sysconf('SC_CLK_TCK')
WARMUP_S = 8.0


def _executable(name: str):
    from ament_index_python.packages import PackageNotFoundError, get_package_prefix
    try:
        path = Path(get_package_prefix('billiards_vision')) / 'lib' / 'billiards_vision' / name
    except PackageNotFoundError:
        return None
    return path if path.exists() else None


def _params_file() -> Path:
    from .graph import default_params_file
    return Path(default_params_file())


def _type(dotted: str):
    import importlib
    module, _, name = dotted.rpartition('.')
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


def _cpu_ticks(pid: int) -> int:
    """utime + stime of a process [clock ticks]; 0 once it is gone."""
    try:
        fields = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def _descendants(pid: int) -> list[int]:
    parents = {}
    for entry in Path('/proc').iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / 'stat').read_text().rsplit(')', 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parents.items() if pp == p]
        out.extend(kids)
        todo.extend(kids)
    return out


def _busy_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine from /proc/stat."""
    v = [int(x) for x in Path('/proc/stat').read_text().split('\n', 1)[0].split()[1:]]
    idle = v[3] + v[4]
    return sum(v) - idle, sum(v)


def _stamp(raw: bytes) -> float:
    # CDR: 4-byte encapsulation header, then std_msgs/Header: int32 sec, uint32 nanosec.
    little = raw[1] == 1
    sec, nsec = struct.unpack('<iI' if little else '>iI', raw[4:12])
    return sec + nsec * 1e-9


def ensure_video(path: Path, seconds: float) -> Path:
    """A demo clip at 1920x1080, 30 fps, rendered once with `simulate` (the camera resizes it)."""
    out = path / 'video.mp4'
    if out.exists() or (path / 'video.avi').exists():
        return out if out.exists() else path / 'video.avi'
    print(f'rendering a {seconds:.0f} s demo clip to {path} (once) ...', flush=True)
    subprocess.run([sys.executable, '-m', 'billiards_vision.tools.simulate', '--scenario', 'demo', '--seconds',
                    str(seconds), '--resolution', '1920x1080', '--seed', '2', '--out', str(path), '--quiet'],
                   check=True)
    return out if out.exists() else path / 'video.avi'


class Probe:
    """Raw subscriptions recording (stamp, arrival) per topic."""

    def __init__(self):
        import rclpy
        from billiards_vision.ros.qos import LATCHED_QOS, RESULT_QOS, SENSOR_QOS
        from billiards_vision.ros.malloc import keep_image_buffers
        keep_image_buffers()   # as the nodes measured do (ros.malloc)
        rclpy.init(args=['bench_graph_probe'])
        self.rclpy = rclpy
        self.node = rclpy.create_node('bench_graph_probe')
        self.samples = {t: [] for t, _, _ in TOPICS}
        self.recording = False
        self.subs = []
        for topic, dotted, _ in TOPICS:
            msg_type = _type(dotted)
            if msg_type is None:
                continue
            qos = SENSOR_QOS if 'camera' in topic or 'image' in topic else (
                LATCHED_QOS if topic == 'table' else RESULT_QOS)
            self.subs.append(self.node.create_subscription(msg_type, topic, self._callback(topic), qos, raw=True))

    def _callback(self, topic):
        def record(raw):
            if self.recording:
                self.samples[topic].append((_stamp(raw), time.time()))
        return record

    def spin(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.rclpy.spin_once(self.node, timeout_sec=0.05)

    def close(self) -> None:
        self.node.destroy_node()
        self.rclpy.try_shutdown()


def parse_variant(text: str) -> tuple[str, dict]:
    """'NAME:NODE.PARAM=VALUE,...' -> (NAME, {NODE: [PARAM:=VALUE, ...]}); raises ValueError with the reason."""
    name, sep, body = text.partition(':')
    if not sep or not name or not body:
        raise ValueError(f'{text!r}: expected NAME:NODE.PARAM=VALUE[,...]')
    overrides: dict = {}
    for item in body.split(','):
        key, eq, value = item.partition('=')
        node, dot, param = key.strip().partition('.')
        if not eq or not dot or not param or node not in NODES:
            raise ValueError(f'{item!r}: expected NODE.PARAM=VALUE with NODE one of {", ".join(NODES)}')
        overrides.setdefault(node, []).append(f'{param}:={value.strip()}')
    return name, overrides


def run_case(probe: Probe, source: str, size: tuple, mode: str, seconds: float, logdir: Path,
             overrides: Optional[dict] = None, case: Optional[str] = None, nice: int = NODE_NICE) -> dict:
    env = dict(os.environ)
    params = _params_file()
    procs = {}
    try:
        for name in NODES:
            exe = _executable(name)
            if exe is None:
                continue
            args = [str(exe), '--ros-args', '--params-file', str(params)]
            if name == 'camera_driver':
                args += ['-p', f'source:={source}', '-p', f'image_width:={size[0]}', '-p',
                         f'image_height:={size[1]}', '-p', 'framerate:=30.0']
            if name == 'ball_detector':
                args += ['-p', f'full_search_every_frame:={"true" if mode == "full" else "false"}']
            if name == 'web_video_server':
                args += ['-p', 'port:=0']
            for value in (overrides or {}).get(name, []):
                args += ['-p', value]
            log = open(logdir / f'{name}.log', 'w')
            if nice and name != CAPTURE_NODE:
                args = ['nice', '-n', str(nice)] + args     # nice execs the node: same pid
            procs[name] = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env,
                                           start_new_session=True)
            log.close()
        probe.spin(WARMUP_S)
        dead = [n for n, p in procs.items() if p.poll() is not None]
        pids = {n: [p.pid] + _descendants(p.pid) for n, p in procs.items()}
        ticks0 = {n: sum(_cpu_ticks(q) for q in ps) for n, ps in pids.items()}
        busy0 = _busy_ticks()
        for samples in probe.samples.values():
            samples.clear()
        probe.recording = True
        t0 = time.monotonic()
        probe.spin(seconds)
        probe.recording = False
        elapsed = time.monotonic() - t0
        ticks1 = {n: sum(_cpu_ticks(q) for q in ps) for n, ps in pids.items()}
        busy1 = _busy_ticks()
        dead += [n for n, p in procs.items() if p.poll() is not None and n not in dead]
    finally:
        for p in procs.values():
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGINT)
        deadline = time.monotonic() + 10.0
        for p in procs.values():
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
    topics = {}
    for topic, _, label in TOPICS:
        s = probe.samples[topic]
        if topic == 'table':
            topics[label] = {'messages': len(s)}
            continue
        lat = np.array([(a - st) * 1000.0 for st, a in s]) if s else np.zeros(0)
        topics[label] = {'rate_hz': len(s) / elapsed, 'p50_ms': float(np.median(lat)) if len(lat) else None,
                         'p95_ms': float(np.percentile(lat, 95)) if len(lat) else None}
    reconnects = sum(1 for line in (logdir / 'camera_driver.log').read_text(errors='replace').splitlines()
                     if 'no frame for' in line or 'reconnect' in line.lower())
    machine = (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1])
    return {'source': source, 'size': f'{size[0]}x{size[1]}', 'mode': case or mode, 'seconds': elapsed,
            'topics': topics, 'cpu_percent': {n: 100.0 * (ticks1[n] - ticks0[n]) / CLK_TCK / elapsed for n in pids},
            'machine_busy_percent': 100.0 * machine, 'cores': os.cpu_count(), 'camera_log_reconnect_lines': reconnects,
            'exited_early': dead, 'loadavg': Path('/proc/loadavg').read_text().split()[:3]}


def _fmt(v, digits=0):
    return '-' if v is None else f'{v:.{digits}f}'


def print_table(results: list[dict]) -> None:
    """One block per (source, size): topics and processes, one column pair per mode."""
    keys = []
    for r in results:
        if (r['source'], r['size']) not in keys:
            keys.append((r['source'], r['size']))
    for source, size in keys:
        runs = [r for r in results if (r['source'], r['size']) == (source, size)]
        print(f'\n{source} at {size}, 30 fps, {runs[0]["seconds"]:.0f} s per mode')
        head = f'{"topic":26s}' + ''.join(f'{r["mode"] + " Hz":>16s}{"p50 ms":>8s}{"p95 ms":>8s}' for r in runs)
        print(head)
        for label in [t[2] for t in TOPICS if t[0] != 'table']:
            row = f'{label:26s}'
            for r in runs:
                m = r['topics'][label]
                row += f'{_fmt(m["rate_hz"], 1):>16s}{_fmt(m["p50_ms"]):>8s}{_fmt(m["p95_ms"]):>8s}'
            print(row)
        print(f'{"CPU % (one core = 100)":26s}' + ''.join(f'{r["mode"]:>32s}' for r in runs))
        for name in runs[0]['cpu_percent']:
            print(f'  {name:24s}' + ''.join(f'{_fmt(r["cpu_percent"].get(name), 0):>32s}' for r in runs))
        print(f'  {"whole machine (all users)":24s}'
              + ''.join(f'{_fmt(r["machine_busy_percent"] * r["cores"], 0):>32s}' for r in runs))
        for r in runs:
            extra = f'; exited early: {r["exited_early"]}' if r['exited_early'] else ''
            print(f'  {r["mode"]}: table messages {r["topics"]["table"]["messages"]}, camera reconnect log lines '
                  f'{r["camera_log_reconnect_lines"]}, load average {" ".join(r["loadavg"])}{extra}')


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog='bench_graph', description=__doc__.split('\n')[0])
    parser.add_argument('--seconds', type=float, default=60.0, help='measured seconds per case (after warm-up)')
    parser.add_argument('--sizes', nargs='+', type=parse_resolution, default=[(1280, 720), (1920, 1080)])
    parser.add_argument('--sources', nargs='+', default=['synthetic://demo', 'video'],
                        help="camera sources; 'video' is a rendered demo clip")
    parser.add_argument('--modes', nargs='+', default=['incremental', 'full'], choices=['incremental', 'full'])
    parser.add_argument('--video', type=Path, help='video file for the video source (default: render one)')
    parser.add_argument('--cache', type=Path, default=Path(tempfile.gettempdir()) / 'billiards_bench_graph',
                        help='where the rendered clip is kept')
    parser.add_argument('--json', type=Path, help='write all measurements to this file')
    parser.add_argument('--nice', type=int, default=NODE_NICE, choices=range(0, 20), metavar='0..19',
                        help=f'niceness of every node but {CAPTURE_NODE}, as `make run` gives (default {NODE_NICE})')
    parser.add_argument('--variant', action='append', default=[], metavar='NAME:NODE.PARAM=VALUE,...',
                        help='also measure every case with these parameters changed (repeatable)')
    parser.add_argument('--logs', type=Path, help='keep the nodes\' output in this folder (default: discarded)')
    args = parser.parse_args(argv)
    if args.seconds <= 0:
        parser.error('--seconds must be positive')
    try:
        variants = [('', {})] + [parse_variant(v) for v in args.variant]
    except ValueError as exc:
        parser.error(f'--variant {exc}')
    if _executable('camera_driver') is None:
        parser.error('node executables not found: run `make setup` and source scripts/ros-env.sh')
    sources = []
    for s in args.sources:
        if s == 'video':
            s = str(args.video) if args.video else str(ensure_video(args.cache / 'clip_demo', 30.0))
        sources.append(s)
    # This process listens with the same transport settings as the nodes (1080p images cross processes).
    from .bench_transport import large_data_env
    os.environ.update(large_data_env())
    os.environ.setdefault('RMW_IMPLEMENTATION', 'rmw_fastrtps_cpp')
    probe = Probe()
    results = []
    try:
        with tempfile.TemporaryDirectory(prefix='bench_graph_') as tmp:
            logs = args.logs or Path(tmp)
            for source in sources:
                for size in args.sizes:
                    for variant, overrides in variants:
                        for mode in args.modes:
                            label = f'{mode}+{variant}' if variant else mode
                            logdir = logs / f'{len(results)}_{Path(source).name}_{size[0]}x{size[1]}_{label}'
                            logdir.mkdir(parents=True, exist_ok=True)
                            print(f'measuring {source} {size[0]}x{size[1]} {label} ...', flush=True)
                            results.append(run_case(probe, source, size, mode, args.seconds, logdir, overrides,
                                                    label, args.nice))
    finally:
        probe.close()
    print(f'\nbench_graph: {os.cpu_count()} cores; the machine may be shared (see "whole machine")')
    print_table(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == '__main__':
    sys.exit(main())
