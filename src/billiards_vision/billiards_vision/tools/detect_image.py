# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""detect_image IMAGE [--params FILE] [--json]: the table, ball and cue detectors on one picture.

With --json one JSON object is printed (the detection format of the brief);
otherwise an annotated copy is written next to the input as <name>_detections.png
and a one-line summary is printed. --params reads a config/billiards.yaml-style
file and uses its table_detector, ball_detector and cue_detector sections.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import yaml

from ..detection.params import DetectorParams
from ..detection.pipeline import annotate, detect_all


def load_params(path) -> DetectorParams:
    if path is None:
        return DetectorParams()
    with open(path, encoding='utf-8') as f:
        config = yaml.safe_load(f) or {}
    if not isinstance(config, dict):
        raise ValueError(f'{path}: expected a mapping of node sections')
    return DetectorParams.from_yaml_dict(config)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog='detect_image', description=__doc__.split('\n')[0])
    parser.add_argument('image', help='picture to analyse (any format OpenCV reads, any size)')
    parser.add_argument('--params', help='YAML in the config/billiards.yaml format')
    parser.add_argument('--json', action='store_true', help='print the detections as one JSON object')
    args = parser.parse_args(argv)
    try:
        params = load_params(args.params)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        print(f'detect_image: bad --params: {exc}', file=sys.stderr)
        return 2
    image = cv2.imread(args.image, cv2.IMREAD_COLOR)
    if image is None:
        print(f'detect_image: cannot read image {args.image!r}', file=sys.stderr)
        return 2
    det = detect_all(image, params)
    if args.json:
        print(json.dumps(det.to_json()))
        return 0
    src = Path(args.image)
    out = src.with_name(src.stem + '_detections.png')
    if not cv2.imwrite(str(out), annotate(image, det)):
        print(f'detect_image: cannot write {out}', file=sys.stderr)
        return 1
    print(f'{out}: table {"found" if det.table is not None else "not found"}, {len(det.balls)} balls, '
          f'cue {"found" if det.cue is not None else "not found"}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
