# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""process_video INPUT [--params FILE] --out FILE.jsonl: detection and tracking on every frame offline.

INPUT is a video file, a folder of images or a rosbag2 (file or folder). Table,
ball and cue detection (the detector nodes' modules and settings; the ball search is the
full one on every frame unless --ball-search incremental) and the tracker
(the `tracker` node's) run on each frame in order; one JSON line a frame:
{"frame", "stamp", "tracks": [...], "events": [...], "cue": {...} | null,
"prediction": {...} | null, "table": {...} | null} (tracking/session.py). Stamps:
the video's frame times, the image folder at --fps, the bag's header stamps.
`evaluate --gt ground_truth.jsonl --pred FILE.jsonl --tracking` scores it.

--detections FILE.jsonl also writes what the detectors found, one line a frame ({"frame", "stamp",
"table": {"corners_px", "size_m", "long_side_horizontal"} | null, "balls": [Observation fields],
"cue"}); `process_video --replay FILE.jsonl --out ...` runs only the tracker on such a file
(seconds instead of the detectors' minutes, e.g. while changing the tracker).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import sys
from typing import Iterator, Optional

import cv2
import yaml
from tqdm import tqdm

from ..camera.bag import BagSource, is_bag_folder
from ..camera.base import BAG_EXTENSIONS, CaptureSettings, SourceError
from ..camera.image_folder import list_images
from ..detection.cue import detect_cue
from ..detection.incremental import IncrementalBallDetector, IncrementalParams
from ..detection.params import DetectorParams
from ..detection.table import TableDetection
from ..detection.table_tracker import TableTracker
from ..table_geometry import TableGeometry
from ..tracking import params as tracking_params
from ..tracking.session import TrackingSession
from ..tracking.tracker import Observation


def _section(config: dict, name: str) -> dict:
    node = config.get(name) or {}
    return (node.get('ros__parameters') or {}) if isinstance(node, dict) else {}


def load_config(path) -> dict:
    if path is None:
        return {}
    with open(path, encoding='utf-8') as f:
        config = yaml.safe_load(f) or {}
    if not isinstance(config, dict):
        raise ValueError(f'{path}: expected a mapping of node sections')
    return config


def frames(path: str, fps: float) -> Iterator[tuple]:
    """(image, stamp [s]) of a video file, image folder or rosbag2, in order."""
    if os.path.isdir(path) and not is_bag_folder(path):
        for k, name in enumerate(list_images(path)):
            image = cv2.imread(name, cv2.IMREAD_COLOR)
            if image is None:
                raise ValueError(f'cannot read image {name}')
            yield image, k / fps
        return
    if os.path.isdir(path) or path.lower().endswith(BAG_EXTENSIONS):
        bag = BagSource(path, CaptureSettings(loop=False, playback='framerate', framerate=1e6))
        bag.open()
        try:
            while True:
                frame = bag.read()
                if frame is None:
                    return
                yield frame.image, frame.stamp_ns * 1e-9
        finally:
            bag.close()
    if not os.path.isfile(path):
        raise ValueError(f'no such video file, image folder or rosbag2: {path}')
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        raise ValueError(f'cannot decode video {path}')
    rate = cap.get(cv2.CAP_PROP_FPS)
    rate = rate if 0.5 <= rate <= 1000 else fps
    k = 0
    try:
        while True:
            ok, image = cap.read()
            if not ok:
                return
            yield image, k / rate
            k += 1
    finally:
        cap.release()


def frame_count(path: str):
    if os.path.isdir(path) and not is_bag_folder(path):
        return len(list_images(path))
    if os.path.isfile(path) and not path.lower().endswith(BAG_EXTENSIONS):
        cap = cv2.VideoCapture(path)
        n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        cap.release()
        return n or None
    return None


class Pipeline:
    """Table, balls, cue and tracker on successive frames (what the nodes do, in one process)."""

    def __init__(self, config: dict, ball_search: Optional[str] = None):
        det = DetectorParams.from_yaml_dict(config)
        self.det = det
        # The ball search as the ball_detector node does it: incremental unless full_search_every_frame
        # (or `ball_search`, 'incremental' / 'full', which overrides the config for side-by-side runs).
        ball_cfg = _section(config, 'ball_detector')
        full = bool(ball_cfg.get('full_search_every_frame', False)) if ball_search is None else ball_search == 'full'
        self.balls = IncrementalBallDetector(det.balls, IncrementalParams.from_mapping(ball_cfg), force_full=full)
        table_cfg = _section(config, 'table_detector')
        self.table_tracker = TableTracker(det.table, float(table_cfg.get('redetect_interval_s', 10.0)),
                                          float(table_cfg.get('change_threshold', 0.05)),
                                          float(table_cfg.get('smoothing', 0.3)))
        self.session = TrackingSession(*tracking_params.make(_section(config, 'tracker')))
        self.detections: Optional[dict] = None    # the last step's detector output (--detections)

    def step(self, frame: int, image, stamp: float) -> dict:
        table, _ = self.table_tracker.update(image, stamp)
        balls, cue = [], None
        if table is not None:
            self.session.set_table(table.geometry, table.to_image)
            balls = self.balls.detect(image, table, stamp)
            found = detect_cue(image, table, balls, self.det.cue)
            if found is not None and found.tip_m is not None:
                cue = {'tip_px': [float(v) for v in found.tip_px], 'butt_px': [float(v) for v in found.butt_px],
                       'angle_deg': float(found.angle_deg),
                       'tip_m': [float(v) for v in found.tip_m], 'angle': float(found.angle_table_rad),
                       'confidence': float(found.confidence)}
        obs = [Observation(b.position_m[0], b.position_m[1], b.x, b.y, b.radius, b.type, b.number,
                           b.type_confidence, b.confidence) for b in balls if b.position_m is not None]
        self.detections = {'frame': int(frame), 'stamp': float(stamp), 'table': None if table is None else {
            'corners_px': table.corners_px.tolist(), 'size_m': [table.geometry.length, table.geometry.width],
            'long_side_horizontal': bool(table.long_side_horizontal)},
            'balls': [{k: v.item() if hasattr(v, 'item') else v for k, v in dataclasses.asdict(o).items()}
                      for o in obs], 'cue': cue}
        record = self.session.step(frame, stamp, obs, cue)
        record['table'] = table.to_json() if table is not None else None
        return record


def replay(lines, config: dict) -> Iterator[dict]:
    """The tracker alone on detections written with --detections: the records process_video wrote."""
    session = TrackingSession(*tracking_params.make(_section(config, 'tracker')))
    for d in lines:
        t = d.get('table')
        table = None if t is None else TableDetection(t['corners_px'], TableGeometry(*t['size_m']),
                                                      t['long_side_horizontal'])
        if table is not None:
            session.set_table(table.geometry, table.to_image)
        obs = [Observation(**b) for b in d['balls']]
        record = session.step(d['frame'], d['stamp'], obs, d.get('cue'))
        record['table'] = table.to_json() if table is not None else None
        yield record


def _clean(value):
    """JSON without NaN/inf (they are not JSON)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog='process_video', description=__doc__.split('\n')[0])
    p.add_argument('input', nargs='?', help='video file, image folder or rosbag2 (not with --replay)')
    p.add_argument('--params', help='YAML in the config/billiards.yaml format (detector and tracker sections)')
    p.add_argument('--out', required=True, help='output .jsonl, one line a frame')
    p.add_argument('--fps', type=float, default=30.0, help='frame rate of an image folder (default %(default)s)')
    p.add_argument('--every', type=int, default=1,
                   help='process every N-th frame only (e.g. 3: 10 Hz detections from 30 fps video)')
    p.add_argument('--max-frames', type=int, default=0, help='stop after this many input frames (0: all)')
    p.add_argument('--ball-search', choices=('incremental', 'full'), default='full',
                   help='full (the whole table every frame: offline nothing is gained by a shortcut, default) or '
                        'incremental (re-search only where the picture changed, as the live ball_detector does: '
                        'several times faster, see README "Live rate")')
    p.add_argument('--quiet', action='store_true', help='no progress bar')
    p.add_argument('--detections', help='also write the detectors\' output here (.jsonl, one line a frame)')
    p.add_argument('--replay', help='run only the tracker on a --detections file (no INPUT)')
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.every < 1 or args.fps <= 0 or args.max_frames < 0:
        print('process_video: --every must be >= 1, --fps > 0, --max-frames >= 0', file=sys.stderr)
        return 2
    if (args.input is None) == (args.replay is None):
        print('process_video: give either INPUT or --replay FILE', file=sys.stderr)
        return 2
    if args.replay:
        try:
            config = load_config(args.params)
            with open(args.replay, encoding='utf-8') as f:
                records = list(replay((json.loads(line) for line in f if line.strip()), config))
            with open(args.out, 'w', encoding='utf-8') as out:
                out.writelines(json.dumps(_clean(r)) + '\n' for r in records)
        except (OSError, ValueError, KeyError, TypeError, yaml.YAMLError) as exc:
            print(f'process_video: {exc}', file=sys.stderr)
            return 2
        print(f'wrote {len(records)} frames to {args.out}')
        return 0 if records else 1
    try:
        pipeline = Pipeline(load_config(args.params), args.ball_search)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        print(f'process_video: bad --params: {exc}', file=sys.stderr)
        return 2
    total = frame_count(args.input)
    if total and args.max_frames:
        total = min(total, args.max_frames)
    written = 0
    dets = None
    try:
        dets = open(args.detections, 'w', encoding='utf-8') if args.detections else None
        with open(args.out, 'w', encoding='utf-8') as out:
            bar = tqdm(total=total, desc='process_video', unit='frame', disable=args.quiet)
            for k, (image, stamp) in enumerate(frames(args.input, args.fps)):
                if args.max_frames and k >= args.max_frames:
                    break
                bar.update(1)
                if k % args.every:
                    continue
                out.write(json.dumps(_clean(pipeline.step(k, image, stamp))) + '\n')
                if dets is not None:
                    dets.write(json.dumps(_clean(pipeline.detections)) + '\n')
                written += 1
            bar.close()
    except (OSError, ValueError, SourceError) as exc:
        print(f'process_video: {exc}', file=sys.stderr)
        return 2
    finally:
        if dets is not None:
            dets.close()
    print(f'wrote {written} frames to {args.out}')
    return 0 if written else 1


if __name__ == '__main__':
    sys.exit(main())
