# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""`simulate`: render a synthetic-table scenario to a video with ground truth.

    simulate --scenario break --seconds 10 --fps 30 --resolution 1920x1080 --seed 0 --out DIR [--bag]

Writes DIR/video.mp4 (mp4v; DIR/video.avi with MJPG if mp4v is unavailable),
DIR/ground_truth.jsonl (one JSON object a frame), DIR/camera_info.yaml (ROS
camera_info YAML) and, with --bag, a rosbag2 (MCAP) in DIR/bag with
/camera/image_raw (bgr8) and /camera/camera_info stamped at the frame times.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
import sys

import cv2
import numpy as np
from tqdm import tqdm
import yaml

from ..sim import SCENARIOS, SyntheticTable
from ..table_geometry import TABLE_PRESETS
from ..sim.table_render import CLOTH_BGR

FRAME_ID = 'camera'


def parse_resolution(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split('x'))
    except ValueError:
        raise argparse.ArgumentTypeError(f'resolution must look like 1280x720, got {text!r}') from None
    if w < 64 or h < 64:
        raise argparse.ArgumentTypeError(f'resolution must be at least 64x64, got {text!r}')
    return w, h


def camera_info_yaml(info: dict, camera_name: str = 'synthetic') -> dict:
    """camera_info dict -> the ROS camera_calibration_parsers YAML layout."""
    def mat(rows, cols, values):
        return {'rows': rows, 'cols': cols, 'data': [float(v) for v in np.ravel(values)]}
    return {'image_width': info['width'], 'image_height': info['height'], 'camera_name': camera_name,
            'camera_matrix': mat(3, 3, info['K']), 'distortion_model': info['distortion_model'],
            'distortion_coefficients': mat(1, 5, info['D']),
            'rectification_matrix': mat(3, 3, info.get('R', np.eye(3))),
            'projection_matrix': mat(3, 4, info['P'])}


def open_video(out_dir: Path, fps: float, size: tuple[int, int]) -> tuple[cv2.VideoWriter, Path]:
    for name, fourcc in (('video.mp4', 'mp4v'), ('video.avi', 'MJPG')):
        path = out_dir / name
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, size)
        if writer.isOpened():
            return writer, path
        writer.release()
        path.unlink(missing_ok=True)
    raise RuntimeError('OpenCV can write neither mp4v .mp4 nor MJPG .avi video here')


class BagWriter:
    """Image and camera_info messages into a rosbag2 (MCAP) via rosbags."""

    def __init__(self, path: Path, info: dict):
        from rosbags.rosbag2 import StoragePlugin, Writer
        from rosbags.typesys import Stores, get_typestore
        self.ts = get_typestore(Stores.ROS2_JAZZY)
        # Bag format version 9 is what rosbag2 on Jazzy writes.
        self.writer = Writer(path, version=9, storage_plugin=StoragePlugin.MCAP)
        self.writer.open()
        self.image_conn = self.writer.add_connection('/camera/image_raw', 'sensor_msgs/msg/Image', typestore=self.ts)
        self.info_conn = self.writer.add_connection('/camera/camera_info', 'sensor_msgs/msg/CameraInfo',
                                                    typestore=self.ts)
        self.info = info

    def _header(self, stamp_ns: int):
        t = self.ts.types
        stamp = t['builtin_interfaces/msg/Time'](sec=stamp_ns // 1_000_000_000, nanosec=stamp_ns % 1_000_000_000)
        return t['std_msgs/msg/Header'](stamp=stamp, frame_id=FRAME_ID)

    def write(self, image: np.ndarray, stamp_ns: int) -> None:
        t = self.ts.types
        h, w = image.shape[:2]
        img = t['sensor_msgs/msg/Image'](header=self._header(stamp_ns), height=h, width=w, encoding='bgr8',
                                         is_bigendian=0, step=w * 3,
                                         data=np.ascontiguousarray(image).reshape(-1))
        self.writer.write(self.image_conn, stamp_ns, self.ts.serialize_cdr(img, 'sensor_msgs/msg/Image'))
        i = self.info
        roi = t['sensor_msgs/msg/RegionOfInterest'](x_offset=0, y_offset=0, height=0, width=0, do_rectify=False)
        msg = t['sensor_msgs/msg/CameraInfo'](
            header=self._header(stamp_ns), height=i['height'], width=i['width'],
            distortion_model=i['distortion_model'], d=np.array(i['D'], np.float64),
            k=np.array(i['K'], np.float64).ravel(), r=np.eye(3).ravel(),
            p=np.array(i['P'], np.float64).ravel(), binning_x=0, binning_y=0, roi=roi)
        self.writer.write(self.info_conn, stamp_ns, self.ts.serialize_cdr(msg, 'sensor_msgs/msg/CameraInfo'))

    def close(self) -> None:
        self.writer.close()


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog='simulate', description='Render a synthetic pool-table scenario to video '
                                'plus ground truth (ground_truth.jsonl, camera_info.yaml, optional rosbag2).')
    p.add_argument('--scenario', default='demo', choices=sorted(SCENARIOS), help='what happens on the table')
    p.add_argument('--seconds', type=float, default=10.0, help='length of the clip [s]')
    p.add_argument('--fps', type=float, default=30.0, help='frame rate')
    p.add_argument('--resolution', type=parse_resolution, default=(1920, 1080), help='WxH, e.g. 1280x720')
    p.add_argument('--seed', type=int, default=0, help='random seed (layouts, shots, noise)')
    p.add_argument('--table-size', default='9ft', choices=sorted(TABLE_PRESETS))
    p.add_argument('--cloth', default='teal', choices=sorted(CLOTH_BGR))
    p.add_argument('--out', required=True, type=Path, help='output directory (created)')
    p.add_argument('--bag', action='store_true', help='also write a rosbag2 (MCAP) to OUT/bag')
    p.add_argument('--quiet', action='store_true', help='no progress bar')
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.seconds <= 0 or args.fps <= 0:
        print('simulate: --seconds and --fps must be positive', file=sys.stderr)
        return 2
    width, height = args.resolution
    try:
        table = SyntheticTable(args.scenario, width=width, height=height, fps=args.fps, seed=args.seed,
                               table_size=args.table_size, cloth=args.cloth)
    except ValueError as exc:
        print(f'simulate: {exc}', file=sys.stderr)
        return 2
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    info = table.camera_info()
    with open(out / 'camera_info.yaml', 'w') as f:
        yaml.safe_dump(camera_info_yaml(info), f, sort_keys=False)
    bag_path = out / 'bag'
    if args.bag and bag_path.exists():
        print(f'simulate: {bag_path} already exists; remove it or choose another --out', file=sys.stderr)
        return 2
    writer, video_path = open_video(out, args.fps, (width, height))
    bag = BagWriter(bag_path, info) if args.bag else None
    n_frames = int(round(args.seconds * args.fps))
    try:
        with open(out / 'ground_truth.jsonl', 'w') as gt:
            for _ in tqdm(range(n_frames), desc=f'simulate {args.scenario}', unit='frame', disable=args.quiet):
                image, truth = table.next_frame()
                writer.write(image)
                gt.write(json.dumps(truth) + '\n')
                if bag is not None:
                    bag.write(image, int(round(truth['t'] * 1e9)))
    finally:
        writer.release()
        if bag is not None:
            bag.close()
    print(f'wrote {n_frames} frames to {video_path}, {out / "ground_truth.jsonl"}, {out / "camera_info.yaml"}'
          + (f', {bag_path}' if bag is not None else ''))
    return 0


if __name__ == '__main__':
    sys.exit(main())
