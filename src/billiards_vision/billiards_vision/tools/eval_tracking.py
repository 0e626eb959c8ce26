# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Tracker measurements on synthetic scenarios, at 30 Hz and 10 Hz detections.

    python -m billiards_vision.tools.eval_tracking [--scenarios break single_shot ...] [--seeds 10]
        [--break-seeds 1]
        [--detections truth|video] [--ball-search full incremental] [--every 1 3] [--json FILE]

Each scenario runs once to its end (random: --seeds seeds, break: --break-seeds seeds). Detections:
- truth: ground truth with realistic faults (evaluation/synthetic_detections.py), fast;
- video: `simulate` renders the clip (1280x720), `process_video` runs the real detectors and
  the tracker on it, and `evaluate --tracking` scores the file, i.e. the offline tools
  end to end (minutes per clip on a loaded 2-core machine); --ball-search runs the ball
  detector in full search every frame and/or incremental (as the live node does), side by side.
  The detections are kept in --work; --replay with the same --work runs only the tracker on them.
At 10 Hz (--every 3) the ground truth is scored on the frames that were processed.
Prints one row per clip and run: id switches, IDF1, longest track without a ball, median
relative speed error (> 0.2 m/s), pocketing events right / expected, shot start and
all-stopped delays in processed frames.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from ..evaluation import load_ground_truth, load_predictions, score_tracking
from ..evaluation.synthetic_detections import observations_from_truth
from ..sim import SyntheticTable
from ..table_geometry import TableGeometry
from ..tracking.session import TrackingSession

SCENARIOS = ('break', 'single_shot', 'cluster', 'cue_aiming', 'random')
SIZE = (1280, 720)


def scenario_truth(scenario: str, seed: int, fps: float = 30.0) -> list[dict]:
    """Every frame of one run of the scenario (no rendering)."""
    table = SyntheticTable(scenario, width=SIZE[0], height=SIZE[1], fps=fps, seed=seed)
    frames = []
    while True:
        truth = table.next_truth()
        if table.loops:
            return frames
        frames.append(truth)


def track_truth(frames: list[dict], every: int, seed: int) -> list[dict]:
    """The tracker on faulty detections made from ground truth: process_video lines."""
    rng = np.random.default_rng(seed + 12345)
    session = TrackingSession()
    session.set_table(TableGeometry(*frames[0]['table']['size_m']))
    out = []
    for g in frames[::every]:
        cue = None
        if g.get('cue'):
            tip = g['cue']['tip_m']
            d = np.subtract(tip, g['cue'].get('butt_m', tip))
            cue = None if not np.any(d) else {'tip_m': tip, 'angle': float(np.arctan2(d[1], d[0]))}
        out.append(session.step(g['frame'], g['t'], observations_from_truth(g, rng), cue))
    return out


def track_video(frames: list[dict], scenario: str, seed: int, every: int, work: Path,
                search: str = 'full', replay: bool = False) -> list[dict]:
    from . import process_video, simulate
    clip = work / f'{scenario}_{seed}'
    if not (clip / 'ground_truth.jsonl').exists():
        code = simulate.main(['--scenario', scenario, '--seed', str(seed), '--seconds', str(len(frames) / 30.0),
                              '--resolution', f'{SIZE[0]}x{SIZE[1]}', '--out', str(clip), '--quiet'])
        if code:
            raise RuntimeError(f'simulate failed for {scenario} seed {seed}')
    video = next(p for p in (clip / 'video.mp4', clip / 'video.avi') if p.exists())
    out = clip / f'tracks_every{every}_{search}.jsonl'
    dets = clip / f'detections_every{every}_{search}.jsonl'
    if replay and dets.exists():
        if process_video.main(['--replay', str(dets), '--out', str(out)]):
            raise RuntimeError(f'process_video --replay failed on {dets}')
    elif process_video.main([str(video), '--out', str(out), '--every', str(every), '--ball-search', search,
                             '--detections', str(dets), '--quiet']):
        raise RuntimeError(f'process_video failed on {video}')
    return [json.loads(line) for line in out.read_text().splitlines()]


def row(name: str, every: int, m: dict) -> dict:
    ev = m.get('events', {})

    def delays(kind):
        t = ev.get(kind) or {}
        d = [abs(x) for x in t.get('delays', []) if x is not None]
        return {'expected': t.get('n_gt'), 'found': t.get('found'), 'extra': t.get('extra'),
                'max_delay_frames': round(max(d), 2) if d else None}
    rel = m.get('relative_speed_error_over_0.2mps') or {}
    pockets = ev.get('ball_pocketed') or {}
    return {'clip': name, 'every': every, 'id_switches': m['id_switches'], 'idf1': m['idf1'],
            'mota': m['mota'], 'longest_without_ball_s': (m.get('tracks_without_ball') or {}).get(
                'longest_without_ball_s'),
            'speed_rel_median': rel.get('median'), 'pockets_right': pockets.get('right_ball_and_pocket'),
            'pockets_expected': pockets.get('n_gt'), 'pockets_extra': pockets.get('extra'),
            'shot_started': delays('shot_started'), 'balls_stopped': delays('balls_stopped'),
            'numbers_shown': {k: round(v, 4) if isinstance(v, float) else v
                              for k, v in (m.get('numbers_shown') or {}).items()} or None}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog='eval_tracking', description=__doc__.split('\n')[0])
    p.add_argument('--scenarios', nargs='+', default=list(SCENARIOS), choices=SCENARIOS)
    p.add_argument('--seeds', type=int, default=10, help='seeds of random (others: seed 0)')
    p.add_argument('--break-seeds', type=int, default=1, help='seeds of break (rack order, cue ball spot, aim)')
    p.add_argument('--break-seed-from', type=int, default=0,
                   help='first break seed (e.g. 20 with --break-seeds 30: held-out seeds 20-29)')
    p.add_argument('--seed-from', type=int, default=0,
                   help='first seed of random (e.g. 5 with --seeds 10: seeds 5-9, to split a run over processes)')
    p.add_argument('--detections', choices=('truth', 'video'), default='truth')
    p.add_argument('--ball-search', nargs='+', choices=('full', 'incremental'), default=['full'],
                   help='video mode: the ball detector\'s search, one run each (default %(default)s)')
    p.add_argument('--every', type=int, nargs='+', default=[1, 3])
    p.add_argument('--work', type=Path, default=None, help='folder for rendered clips (video mode)')
    p.add_argument('--replay', action='store_true',
                   help='video mode: run only the tracker on the detections an earlier run left in --work')
    p.add_argument('--json', type=Path, default=None, help='also write all rows here')
    args = p.parse_args(argv)
    if args.replay and (args.work is None or not args.work.is_dir()):
        p.error('--replay needs --work, the folder an earlier video-mode run left its detections in')
    work = args.work or Path(tempfile.mkdtemp(prefix='eval_tracking_'))
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    for scenario in args.scenarios:
        seeds = {'random': args.seeds, 'break': args.break_seeds}.get(scenario, 1)
        first = {'random': args.seed_from, 'break': args.break_seed_from}.get(scenario, 0)
        for seed in range(first, seeds):
            frames = scenario_truth(scenario, seed)
            runs = [(every, search) for every in args.every
                    for search in (args.ball_search if args.detections == 'video' else [None])]
            for every, search in runs:
                if args.detections == 'truth':
                    preds = track_truth(frames, every, seed)
                else:
                    preds = track_video(frames, scenario, seed, every, work, search, args.replay)
                gt = frames[::every]
                tag = f'{every}' + (f'_{search}' if search else '')
                path = work / f'{scenario}_{seed}_pred{tag}.jsonl'
                path.write_text(''.join(json.dumps(r) + '\n' for r in preds))
                gt_path = work / f'{scenario}_{seed}_gt{every}.jsonl'
                gt_path.write_text(''.join(json.dumps(g) + '\n' for g in gt))
                m = score_tracking(load_ground_truth(gt_path), load_predictions(path))
                r = row(f'{scenario}/{seed}', every, m)
                if search:
                    r['ball_search'] = search
                rows.append(r)
                print(json.dumps(r), flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == '__main__':
    sys.exit(main())
