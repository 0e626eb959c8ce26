# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Scores of a tracker's game events and of tracks without a ball (process_video lines).

Ground-truth events come from the synthetic ground truth (exact physics states):
- shot start: the first frame in which a ball moves after a frame with every ball at rest;
- all stopped: the first frame with every ball at rest after one with a ball moving;
- pocketed: the first frame a ball is pocketed; the pocket is the one nearest to where
  the simulator drops it.
Predicted events carry their own stamp (when it happened); stamps are put on the
ground-truth clock by the offset of the first paired frame. An event is on time when
|t_pred - t_gt| <= 2 frame periods of the ground truth. Pocketing events are right
when the track is the ball's (the IDF1 assignment of track ids to ball ids) and the
pocket is right, within 1 s.

Tracks without a ball: a predicted track on the table (any state but pocketed) with
no ground-truth ball on the table within two radii; the longest such run per track
is reported in seconds.
"""
from __future__ import annotations

import math

import numpy as np

from ..table_geometry import TableGeometry
from .stats import summary

ON_TIME_FRAMES = 2


def _moving(frame: dict) -> bool:
    return any(not b['pocketed'] and (b['velocity_mps'][0] or b['velocity_mps'][1]) for b in frame['balls'])


def ground_truth_events(gt_frames: list[dict]) -> dict:
    starts, stops, pockets = [], [], []
    prev = None
    for g in gt_frames:
        moving = _moving(g)
        if prev is not None:
            if moving and not _moving(prev):
                starts.append(g['t'])
            if not moving and _moving(prev):
                stops.append(g['t'])
            before = {b['id']: b['pocketed'] for b in prev['balls']}
            size = g['table'].get('size_m')
            geometry = TableGeometry(*size) if size else TableGeometry()
            mouths = np.array([xy for _, xy in geometry.pockets()])
            for b in g['balls']:
                if b['pocketed'] and not before.get(b['id'], False):
                    k = int(np.argmin(np.linalg.norm(mouths - np.asarray(b['position_m']), axis=1)))
                    pockets.append({'t': g['t'], 'id': b['id'], 'pocket': k})
        prev = g
    return {'shot_started': starts, 'balls_stopped': stops, 'ball_pocketed': pockets}


def _frame_dt(gt_frames) -> float:
    ts = [g['t'] for g in gt_frames if 't' in g]
    return float(np.median(np.diff(ts))) if len(ts) > 1 else 1.0 / 30


def _timing(gt_times, pred_times, dt) -> dict:
    delays, used = [], set()
    for t in gt_times:
        free = [(abs(p - t), k) for k, p in enumerate(pred_times) if k not in used]
        if free:
            d, k = min(free)
            if d <= 1.0:
                used.add(k)
                delays.append((pred_times[k] - t) / dt)
                continue
        delays.append(None)
    found = [d for d in delays if d is not None]
    return {'n_gt': len(gt_times), 'n_pred': len(pred_times), 'found': len(found),
            'on_time': sum(abs(d) <= ON_TIME_FRAMES for d in found), 'extra': len(pred_times) - len(found),
            'delay_frames': summary([abs(d) for d in found]),
            'delays': [None if d is None else round(d, 2) for d in delays]}


def score_events(pairs, id_map: dict) -> dict:
    """pairs: [(key, gt, pred | None)] in time order; id_map: track id -> ball id."""
    gt_frames = [g for _, g, _ in pairs if 't' in g]
    if not gt_frames or not any(p is not None and 'events' in p for _, _, p in pairs):
        return {}
    dt = _frame_dt(gt_frames)
    first = next((g, p) for _, g, p in pairs if p is not None and 'stamp' in p)
    offset = first[1]['stamp'] - first[0]['t']
    pred = {'shot_started': [], 'balls_stopped': [], 'ball_pocketed': []}
    for _, _, p in pairs:
        for e in (p or {}).get('events', []):
            if e['type'] in pred:
                pred[e['type']].append(e)
    truth = ground_truth_events(gt_frames)
    out = {name: _timing(truth[name], [e['stamp'] - offset for e in pred[name]], dt)
           for name in ('shot_started', 'balls_stopped')}
    right, used = 0, set()
    for g in truth['ball_pocketed']:
        for k, e in enumerate(pred['ball_pocketed']):
            if k in used or abs(e['stamp'] - offset - g['t']) > 1.0:
                continue
            if e['ball_ids'] and id_map.get(e['ball_ids'][0]) == g['id'] and e['pocket'] == g['pocket']:
                used.add(k)
                right += 1
                break
    out['ball_pocketed'] = {'n_gt': len(truth['ball_pocketed']), 'n_pred': len(pred['ball_pocketed']),
                            'right_ball_and_pocket': right, 'extra': len(pred['ball_pocketed']) - right}
    return out


def score_ghosts(pairs, limit_s: float = 0.5) -> dict:
    """Longest time a predicted track stayed on the table with no ball there."""
    runs, longest = {}, {}
    dt = _frame_dt([g for _, g, _ in pairs if 't' in g])
    for _, g, p in pairs:
        if p is None or 'tracks' not in p:
            continue
        balls = [b for b in g['balls'] if not b.get('pocketed')]
        xy = np.array([[b['x'], b['y']] for b in balls]).reshape(-1, 2)
        rad = np.array([b['radius'] for b in balls])
        alive = set()
        for tr in p['tracks']:
            if tr['state'] == 'pocketed':
                continue
            alive.add(tr['id'])
            near = len(xy) and np.any(np.hypot(xy[:, 0] - tr['x_px'], xy[:, 1] - tr['y_px']) <= 2 * rad)
            if near:
                runs.pop(tr['id'], None)
                continue
            start = runs.setdefault(tr['id'], g['t'])
            longest[tr['id']] = max(longest.get(tr['id'], 0.0), g['t'] - start + dt)
        for tid in list(runs):
            if tid not in alive:
                runs.pop(tid)
    worst = max(longest.values(), default=0.0)
    return {'tracks_without_ball': len(longest), 'longest_without_ball_s': round(worst, 3),
            f'over_{limit_s}s': sum(v > limit_s for v in longest.values())}


def relative_speed_errors(pairs_speed) -> dict:
    """Median etc. of | |v_pred| - |v_gt| | / |v_gt| over (gt speed, pred speed) pairs."""
    rel = [abs(p - g) / g for g, p in pairs_speed if g > 0 and math.isfinite(p)]
    return summary(rel)
