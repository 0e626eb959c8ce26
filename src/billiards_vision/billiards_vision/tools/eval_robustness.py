# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Score the detectors on synthetic frames under photometric camera degradations.

    python -m billiards_vision.tools.eval_robustness [--frames 240] [--every 15] [--degradations none jpeg60 ...]

Renders every synthetic scenario except `demo` (cloth cycling teal / green / blue, seeds
and cloths as in eval_detectors) at --width x --height (1280x720 by default, what a
typical MJPEG webcam gives), and runs detect_all on every --every-th of --frames frames
once per degradation, so each row is scored on the same frames. Scores use
billiards_vision.evaluation.score_detections with centre-distance matching and are
printed as one row per degradation. Noise comes from one seeded numpy Generator per
degradation, so a run (or a subset of degradations) is reproducible. `--json FILE`
writes the metrics, overall and per scenario.
"""
from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from typing import Callable

import cv2
import numpy as np
from tqdm import tqdm

from ..detection.pipeline import detect_all
from ..evaluation import score_detections
from .eval_detectors import CLOTHS, _print, _row

EXCLUDED_SCENARIOS = ('demo',)   # loops the other scenarios; scoring it would count them twice


def _scale(image: np.ndarray, gains) -> np.ndarray:
    """Multiply (per channel when `gains` has three values), round and saturate like a camera ISP."""
    out = image.astype(np.float32) * np.asarray(gains, np.float32)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    """Encode and decode as JPEG (the MJPEG webcam path)."""
    ok, buf = cv2.imencode('.jpg', image, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise RuntimeError(f'JPEG encoding of a {image.shape} image failed')
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


def sensor_noise(image: np.ndarray, rng: np.random.Generator, sigma: float) -> np.ndarray:
    """Additive Gaussian noise, independent per pixel and channel."""
    noise = rng.standard_normal(image.shape, dtype=np.float32) * np.float32(sigma)
    return np.clip(np.rint(image.astype(np.float32) + noise), 0, 255).astype(np.uint8)


def exposure(image: np.ndarray, gain: float) -> np.ndarray:
    """Under (gain < 1) or over (gain > 1) exposure; highlights clip at 255."""
    return _scale(image, gain)


def white_balance(image: np.ndarray, gains_bgr) -> np.ndarray:
    """Colour cast from a wrong white balance: per-channel B, G, R gains."""
    return _scale(image, gains_bgr)


@functools.lru_cache(maxsize=4)
def _vignette_gain(height: int, width: int, corner_loss: float) -> np.ndarray:
    # Quadratic radial fall-off: 1 at the image centre, 1 - corner_loss at the corners.
    y, x = np.ogrid[:height, :width]
    r2 = ((x - (width - 1) / 2.0) ** 2 + (y - (height - 1) / 2.0) ** 2) / (((width - 1) / 2.0) ** 2 +
                                                                           ((height - 1) / 2.0) ** 2)
    return (1.0 - corner_loss * r2).astype(np.float32)[..., None]


def vignette(image: np.ndarray, corner_loss: float) -> np.ndarray:
    """Lens vignetting: corners `corner_loss` (0..1) darker than the centre."""
    h, w = image.shape[:2]
    return _scale(image, _vignette_gain(h, w, float(corner_loss)))


def defocus(image: np.ndarray, sigma: float) -> np.ndarray:
    """Slightly out-of-focus lens, modelled as a Gaussian blur."""
    return cv2.GaussianBlur(image, (0, 0), sigma)


# name -> f(image, rng) -> degraded image (same shape and dtype).
DEGRADATIONS: dict[str, Callable[[np.ndarray, np.random.Generator], np.ndarray]] = {
    'none': lambda im, rng: im.copy(),   # a copy: the next degradations start from the untouched frame
    'jpeg60': lambda im, rng: jpeg(im, 60),
    'noise8': lambda im, rng: sensor_noise(im, rng, 8.0),
    'exposure0.6': lambda im, rng: exposure(im, 0.6),
    'exposure1.4': lambda im, rng: exposure(im, 1.4),
    'warm': lambda im, rng: white_balance(im, (0.8, 1.0, 1.2)),
    'vignette': lambda im, rng: vignette(im, 0.4),
    'defocus': lambda im, rng: defocus(im, 1.5),
}


def degradation_rng(seed: int, name: str) -> np.random.Generator:
    """The Generator for one degradation; keyed by its name so a subset of them gives the same pixels."""
    return np.random.default_rng([seed, list(DEGRADATIONS).index(name)])


def scenarios_to_score(only=None) -> list[tuple[int, str]]:
    """(index in SCENARIOS, name) pairs; the index picks the cloth and seed as eval_detectors does."""
    from ..sim.scenarios import SCENARIOS
    return [(k, s) for k, s in enumerate(SCENARIOS)
            if s not in EXCLUDED_SCENARIOS and (not only or s in only)]


def evaluate(degradations, frames: int, every: int, width: int, height: int, seed: int, only=None) -> dict:
    """Run detect_all on every degradation of the same rendered frames; metrics overall and per scenario."""
    from ..sim import SyntheticTable
    scenarios = scenarios_to_score(only)
    rngs = {name: degradation_rng(seed, name) for name in degradations}
    gts, by_scenario = [], {}
    preds = {name: [] for name in degradations}
    times = {name: [] for name in degradations}
    n_scored = len([i for i in range(frames) if i % every == every // 2])
    with tqdm(total=n_scored * len(scenarios) * len(degradations), unit='detection',
              desc='eval_robustness', file=sys.stderr) as progress:
        for k, scenario in scenarios:
            sim = SyntheticTable(scenario, width, height, 30.0, seed=seed + k, cloth=CLOTHS[k % 3])
            first = len(gts)
            for i in range(frames):
                image, truth = sim.next_frame()
                if i % every != every // 2:
                    continue
                truth['frame'] = len(gts)
                gts.append(truth)
                for name in degradations:
                    degraded = DEGRADATIONS[name](image, rngs[name])
                    t0 = time.perf_counter()
                    pred = detect_all(degraded).to_json()
                    times[name].append(time.perf_counter() - t0)
                    pred['frame'] = truth['frame']
                    preds[name].append(pred)
                    progress.update()
            by_scenario[scenario] = (first, len(gts), CLOTHS[k % 3])
    out = {}
    for name in degradations:
        out[name] = {
            'all': score_detections(gts, preds[name], match='distance'),
            'by_scenario': {s: score_detections(gts[a:b], preds[name][a:b], match='distance')
                            for s, (a, b, _) in by_scenario.items()},
            'detect_median_ms': 1000.0 * float(np.median(times[name])),
        }
    return {'n_frames': len(gts), 'scenarios': {s: c for s, (_, _, c) in by_scenario.items()}, 'results': out}


def _strip(m: dict) -> dict:
    return {k: v for k, v in m.items() if k not in ('per_frame', 'centre_errors_px')}


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'{text!r} is not an integer') from None
    if value < 1:
        raise argparse.ArgumentTypeError(f'must be a positive integer, got {value}')
    return value


def main(argv=None) -> int:
    from ..sim.scenarios import SCENARIOS
    parser = argparse.ArgumentParser(prog='eval_robustness', description=__doc__.split('\n')[0])
    parser.add_argument('--frames', type=_positive_int, default=240, help='frames simulated per scenario')
    parser.add_argument('--every', type=_positive_int, default=15,
                        help='score every n-th frame (240 / 15 x 7 scenarios x 8 degradations: ~3.5 min on 2 cores)')
    parser.add_argument('--width', type=_positive_int, default=1280)
    parser.add_argument('--height', type=_positive_int, default=720)
    parser.add_argument('--seed', type=int, default=11, help='scenario seeds (seed + index) and degradation noise')
    parser.add_argument('--degradations', nargs='+', metavar='NAME', choices=list(DEGRADATIONS),
                        default=list(DEGRADATIONS), help=f'degradations to score: {", ".join(DEGRADATIONS)}')
    choosable = [s for s in SCENARIOS if s not in EXCLUDED_SCENARIOS]
    parser.add_argument('--scenarios', nargs='+', metavar='NAME',
                        help=f'synthetic scenarios to score (default all of {", ".join(choosable)})')
    parser.add_argument('--json', help='write the metrics to this file')
    args = parser.parse_args(argv)
    if args.width < 64 or args.height < 64:
        parser.error(f'--width and --height must be at least 64, got {args.width}x{args.height}')
    if args.frames <= args.every // 2:
        parser.error(f'--frames {args.frames} scores no frame with --every {args.every} '
                     f'(frame {args.every // 2} of each run of {args.every} is scored)')
    unknown = sorted(set(args.scenarios or ()) - set(choosable))
    if unknown:
        parser.error(f'unknown scenario(s) {unknown}; choose from {choosable}')
    degradations = list(dict.fromkeys(args.degradations))

    t0 = time.perf_counter()
    res = evaluate(degradations, args.frames, args.every, args.width, args.height, args.seed, args.scenarios)
    wall = time.perf_counter() - t0
    timing = ', '.join(f'{n} {r["detect_median_ms"]:.0f}' for n, r in res['results'].items())
    print(f'robustness {args.width}x{args.height}: {res["n_frames"]} frames from {len(res["scenarios"])} '
          f'scenarios x {len(degradations)} degradations in {wall:.0f} s; detect_all median ms: {timing}')
    _print([_row(name, r['all']) for name, r in res['results'].items()])
    if args.json:
        dump = {'settings': {'width': args.width, 'height': args.height, 'frames': args.frames,
                             'every': args.every, 'seed': args.seed, 'n_frames': res['n_frames'],
                             'scenarios': res['scenarios'], 'wall_s': wall},
                'degradations': {name: {**_strip(r['all']), 'detect_median_ms': r['detect_median_ms'],
                                        'by_scenario': {s: _strip(m) for s, m in r['by_scenario'].items()}}
                                 for name, r in res['results'].items()}}
        with open(args.json, 'w', encoding='utf-8') as f:
            json.dump(dump, f, indent=1, default=str)
    return 0


if __name__ == '__main__':
    sys.exit(main())
