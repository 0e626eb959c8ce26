# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Transport benchmark: bgr8 images between two processes, per Fast DDS configuration.

For every (configuration, QoS, resolution) cell a subscriber process and a publisher
process are started, each with its own environment, so the configurations differ only
in environment variables. The publisher sends one Image per 1/fps with header.stamp =
wall clock at publish and frame_id = sequence number. Only the steady state counts:
frames from the first one that arrived onwards.
"""
import argparse
import array
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PROFILE_NAME = 'fastdds_large_data.xml'
RESOLUTIONS = ('640x480', '1280x720', '1920x1080')
QOS_KINDS = ('reliable', 'best_effort')
# Variables that change how Fast DDS / rmw_fastrtps move data; cleared before each configuration.
FASTDDS_VARS = ('FASTRTPS_DEFAULT_PROFILES_FILE', 'FASTDDS_DEFAULT_PROFILES_FILE',
                'FASTDDS_BUILTIN_TRANSPORTS', 'RMW_FASTRTPS_USE_QOS_FROM_XML',
                'RMW_FASTRTPS_PUBLICATION_MODE', 'FASTDDS_ENVIRONMENT_FILE',
                'ROS_LOCALHOST_ONLY', 'ROS_AUTOMATIC_DISCOVERY_RANGE', 'ROS_STATIC_PEERS')
MATCH_TIMEOUT_S = 10.0
ACK_TIMEOUT_S = 3.0
DRAIN_S = 1.5


def profile_path() -> Path:
    """The shipped profile: source tree (symlink install) first, then the installed share."""
    here = Path(__file__).resolve().parents[2] / 'config' / PROFILE_NAME
    if here.is_file():
        return here
    from ament_index_python.packages import get_package_share_directory
    return Path(get_package_share_directory('billiards_vision')) / 'config' / PROFILE_NAME


def large_data_env() -> dict:
    """Environment variables that apply the shipped configuration (launch files, tests)."""
    return {'FASTRTPS_DEFAULT_PROFILES_FILE': str(profile_path())}


def config_envs(extra: list) -> dict:
    """Configuration label -> the Fast DDS variables it sets (everything else cleared)."""
    configs = {'default': {}, 'shipped': large_data_env(),
               'large_data': {'FASTDDS_BUILTIN_TRANSPORTS': 'LARGE_DATA'}}
    for spec in extra:
        label, _, assignments = spec.partition(':')
        pairs = [a.split('=', 1) for a in assignments.split(',') if a]
        if not label or any(len(p) != 2 for p in pairs):
            raise SystemExit(f'--config-env {spec!r}: expected LABEL:VAR=VALUE[,VAR=VALUE]')
        configs[label] = dict(pairs)
    return configs


def parse_resolution(text: str) -> tuple:
    try:
        width, height = (int(v) for v in text.lower().split('x'))
    except ValueError:
        raise argparse.ArgumentTypeError(f'resolution {text!r} is not WIDTHxHEIGHT') from None
    if width <= 0 or height <= 0:
        raise argparse.ArgumentTypeError(f'resolution {text!r} must be positive')
    return width, height


def qos_profile(kind: str):
    from rclpy.qos import QoSProfile, ReliabilityPolicy
    from billiards_vision.ros.qos import SENSOR_QOS
    reliability = ReliabilityPolicy.RELIABLE if kind == 'reliable' else ReliabilityPolicy.BEST_EFFORT
    return QoSProfile(history=SENSOR_QOS.history, depth=SENSOR_QOS.depth, reliability=reliability,
                      durability=SENSOR_QOS.durability)


def _parent_gone(parent_pid: int) -> bool:
    return os.getppid() != parent_pid


def run_publisher(args) -> dict:
    import rclpy
    from rclpy.duration import Duration
    from sensor_msgs.msg import Image
    rclpy.init()
    node = rclpy.create_node('bench_transport_pub')
    pub = node.create_publisher(Image, 'bench/image', qos_profile(args.cell_qos))
    width, height = args.resolution
    frame = np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)
    deadline = time.monotonic() + MATCH_TIMEOUT_S
    while pub.get_subscription_count() == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    matched = pub.get_subscription_count() > 0
    time.sleep(0.5)  # let the subscriber side finish matching too
    period, stamps, publish_ms = 1.0 / args.fps, [], []
    next_t = time.monotonic()
    end_t = next_t + args.duration
    while next_t < end_t and not _parent_gone(args.parent):
        time.sleep(max(0.0, next_t - time.monotonic()))
        seq = len(stamps)
        frame[0, 0, :] = (seq & 0xFF, (seq >> 8) & 0xFF, 0)  # every frame differs
        msg = Image(height=height, width=width, encoding='bgr8', step=width * 3)
        data = array.array('B')
        data.frombytes(frame.data)  # one memcpy; no per-element checks
        msg.data = data
        msg.header.frame_id = str(seq)
        now_ns = time.time_ns()
        msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(now_ns, 1_000_000_000)
        t0 = time.perf_counter()
        pub.publish(msg)
        publish_ms.append((time.perf_counter() - t0) * 1e3)
        stamps.append(now_ns)
        # Behind schedule (a slow publish): carry on from now, like a camera, instead of bursting.
        next_t = max(next_t + period, time.monotonic())
    if args.cell_qos == 'reliable':
        pub.wait_for_all_acked(Duration(seconds=ACK_TIMEOUT_S))
    node.destroy_node()
    rclpy.try_shutdown()
    return {'matched': matched, 'stamps_ns': stamps, 'publish_ms': publish_ms}


def run_subscriber(args) -> dict:
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from sensor_msgs.msg import Image
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    rclpy.init(signal_handler_options=rclpy.signals.SignalHandlerOptions.NO)
    node = rclpy.create_node('bench_transport_sub')
    arrivals, bad_size = [], [0]

    def on_image(msg):
        arrived = time.time_ns()
        if len(msg.data) != msg.height * msg.step:
            bad_size[0] += 1
            return
        sent = msg.header.stamp.sec * 1_000_000_000 + msg.header.stamp.nanosec
        arrivals.append((int(msg.header.frame_id), arrived, sent))

    node.create_subscription(Image, 'bench/image', on_image, qos_profile(args.cell_qos))
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    while not stop and not _parent_gone(args.parent):
        executor.spin_once(timeout_sec=0.1)
    node.destroy_node()
    rclpy.try_shutdown()
    return {'arrivals': arrivals, 'bad_size': bad_size[0]}


def summarize(pub: dict, sub: dict) -> dict:
    """Steady-state figures: frames from the first arrived sequence number onwards."""
    stamps, arrivals = pub['stamps_ns'], sub['arrivals']
    row = {'sent': len(stamps), 'received': 0, 'lost': len(stamps), 'lost_pct': 100.0,
           'offered_fps': _rate(stamps), 'delivered_fps': 0.0, 'latency_p50_ms': None,
           'latency_p95_ms': None, 'publish_p50_ms': _pct(pub['publish_ms'], 50),
           'bad_size': sub['bad_size'], 'matched': pub['matched']}
    if not arrivals:
        return row
    first_seq = min(arrivals, key=lambda a: a[1])[0]
    steady = [a for a in arrivals if a[0] >= first_seq]
    expected = len(stamps) - first_seq
    received = len({a[0] for a in steady})
    latency = [(a[1] - a[2]) / 1e6 for a in steady]
    row.update(received=received, lost=expected - received,
               lost_pct=100.0 * (expected - received) / expected if expected else 0.0,
               offered_fps=_rate(stamps[first_seq:]), delivered_fps=_rate(sorted(a[1] for a in steady)),
               latency_p50_ms=_pct(latency, 50), latency_p95_ms=_pct(latency, 95))
    return row


def _rate(times_ns: list) -> float:
    if len(times_ns) < 2 or times_ns[-1] <= times_ns[0]:
        return 0.0
    return (len(times_ns) - 1) / ((times_ns[-1] - times_ns[0]) / 1e9)


def _pct(values: list, q: float):
    return float(np.percentile(values, q)) if values else None


def _child_cmd(role: str, args, result: Path, qos: str, resolution: str) -> list:
    return [sys.executable, '-m', 'billiards_vision.tools.bench_transport', '--role', role,
            '--result', str(result), '--cell-qos', qos, '--resolution', resolution,
            '--fps', str(args.fps), '--duration', str(args.duration), '--parent', str(os.getpid())]


def _stop(proc: subprocess.Popen, sig: int, timeout: float) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_cell(args, env: dict, qos: str, resolution: str, workdir: Path) -> dict:
    """One publisher/subscriber pair; both are always reaped, even on error or Ctrl-C."""
    pub_file, sub_file = workdir / 'pub.json', workdir / 'sub.json'
    for f in (pub_file, sub_file):
        f.unlink(missing_ok=True)
    log = subprocess.DEVNULL if not args.verbose else None
    # cwd = workdir: Fast DDS would also load a DEFAULT_FASTRTPS_PROFILES.xml from the cwd.
    popen = dict(env=env, cwd=workdir, stdout=log, stderr=log)
    sub = subprocess.Popen(_child_cmd('sub', args, sub_file, qos, resolution), **popen)
    pub = None
    try:
        pub = subprocess.Popen(_child_cmd('pub', args, pub_file, qos, resolution), **popen)
        try:
            pub.wait(MATCH_TIMEOUT_S + args.duration + ACK_TIMEOUT_S + 15.0)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f'publisher hung ({qos}, {resolution})') from None
        time.sleep(DRAIN_S)
        _stop(sub, signal.SIGTERM, 10.0)
        if pub.returncode != 0 or sub.returncode != 0:
            raise RuntimeError(f'bench processes failed ({qos}, {resolution}): '
                               f'publisher exit {pub.returncode}, subscriber exit {sub.returncode}')
        return summarize(json.loads(pub_file.read_text()), json.loads(sub_file.read_text()))
    finally:
        for proc in (pub, sub):
            if proc is not None:
                _stop(proc, signal.SIGTERM, 5.0)


def cell_env(config_vars: dict, domain: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in FASTDDS_VARS}
    env.update(config_vars)
    env['ROS_DOMAIN_ID'] = str(domain)
    env['PYTHONUNBUFFERED'] = '1'
    return env


def format_table(rows: list) -> str:
    head = (f'{"config":<12} {"qos":<11} {"resolution":>10} {"offered":>8} {"deliver":>8} '
            f'{"lost":>5} {"lost%":>6} {"p50 ms":>7} {"p95 ms":>7} {"pub ms":>7}')
    lines = [head, '-' * len(head)]

    def ms(v):
        return f'{v:7.1f}' if v is not None else '      -'
    for r in rows:
        lines.append(f'{r["config"]:<12} {r["qos"]:<11} {r["resolution"]:>10} {r["offered_fps"]:8.1f} '
                     f'{r["delivered_fps"]:8.1f} {r["lost"]:5d} {r["lost_pct"]:6.1f} '
                     f'{ms(r["latency_p50_ms"])} {ms(r["latency_p95_ms"])} {ms(r["publish_p50_ms"])}')
    return '\n'.join(lines)


def bench(args) -> list:
    configs = config_envs(args.config_env)
    unknown = [c for c in args.configs if c not in configs]
    if unknown:
        raise SystemExit(f'unknown configuration(s) {unknown}; known: {", ".join(configs)}')
    cells = [(r, q, c) for r in args.resolutions for q in args.qos for c in args.configs]
    rows = []
    if not args.json:
        print(f'{args.fps:g} fps offered for {args.duration:g} s per cell, ROS_DOMAIN_ID={args.domain}; '
              'counted from the first frame that arrived', flush=True)
        for config in args.configs:
            settings = ' '.join(f'{k}={v}' for k, v in configs[config].items()) or 'Fast DDS builtin transports'
            print(f'  {config}: {settings}', flush=True)
    with tempfile.TemporaryDirectory(prefix='bench_transport_') as tmp:
        # Configurations side by side per resolution and QoS, so machine load hits them alike.
        for resolution, qos, config in cells:
            row = run_cell(args, cell_env(configs[config], args.domain), qos, resolution, Path(tmp))
            row.update(config=config, qos=qos, resolution=resolution, env=configs[config])
            rows.append(row)
            if not args.json:
                lines = format_table([row]).splitlines()
                print('\n'.join(lines if len(rows) == 1 else lines[-1:]), flush=True)
    return rows


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--configs', nargs='+', default=['default', 'shipped', 'large_data'],
                   help='configurations to compare (default, shipped, large_data, or a --config-env label)')
    p.add_argument('--config-env', action='append', default=[], metavar='LABEL:VAR=VALUE[,VAR=VALUE]',
                   help='extra configuration given by its environment variables')
    p.add_argument('--qos', nargs='+', choices=QOS_KINDS, default=list(QOS_KINDS))
    p.add_argument('--resolutions', nargs='+', default=list(RESOLUTIONS))
    p.add_argument('--fps', type=float, default=30.0)
    p.add_argument('--duration', type=float, default=6.0, help='publishing seconds per cell')
    p.add_argument('--domain', type=int, default=99, help='ROS_DOMAIN_ID of the bench processes')
    p.add_argument('--json', action='store_true', help='print the rows as JSON instead of a table')
    p.add_argument('--verbose', action='store_true', help='show the child processes\' output')
    # Internal: one side of a cell.
    p.add_argument('--role', choices=('pub', 'sub'), help=argparse.SUPPRESS)
    p.add_argument('--result', type=Path, help=argparse.SUPPRESS)
    p.add_argument('--resolution', type=parse_resolution, help=argparse.SUPPRESS)
    p.add_argument('--cell-qos', choices=QOS_KINDS, help=argparse.SUPPRESS)
    p.add_argument('--parent', type=int, help=argparse.SUPPRESS)
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.role:
        result = (run_publisher if args.role == 'pub' else run_subscriber)(args)
        args.result.write_text(json.dumps(result))
        return 0
    # Terminated like Ctrl-C: unwind so every cell reaps its two processes.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    for text in args.resolutions:
        parse_resolution(text)
    if args.fps <= 0 or args.duration <= 0:
        raise SystemExit('--fps and --duration must be positive')
    rows = bench(args)
    if args.json:
        print(json.dumps(rows, indent=1))
    return 0


if __name__ == '__main__':
    sys.exit(main())
