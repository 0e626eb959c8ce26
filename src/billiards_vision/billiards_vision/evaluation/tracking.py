# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Multi-object tracking scores: CLEAR-MOT (Bernardin & Stiefelhagen 2008) and IDF1
(Ristani et al. 2016).

Ground-truth objects are the visible balls with their "id"; hypotheses are the predicted
balls with their "track_id". A pair is admissible under the detection criterion of
``matching.py`` (default: centre within 0.5 x ground-truth radius).

Per frame (in time order): a ball keeps the track it was last matched to if that pair is
still admissible; the other balls are matched by Hungarian assignment. A match to another
track than the ball's last one is an id switch; a ball's tracking being interrupted and
resumed is a fragmentation.
- MOTA = 1 - (misses + false positives + id switches) / ground-truth balls.
- MOTP = mean centre distance of matched pairs (px, lower is better).
- IDF1: each ball id is assigned at most one track id globally, by Hungarian assignment
  maximising the number of frames in which the pair is admissible (IDTP); IDF1 =
  2 IDTP / (ground-truth balls + predicted balls), with IDP, IDR alongside.
- Speed error (m/s): | |v_pred| - |v_gt| | over matched pairs whose prediction gives
  "velocity_mps" (and the ground truth too), plus the velocity vector error, and the
  relative speed error of balls faster than 0.2 m/s.
- Numbers shown (what a viewer reads on a ball): over matched pairs of a numbered ball (1-15)
  whose prediction carries "number", the share showing its own number, another one, or none;
  and the frames in which one number is shown on two predicted balls.
- With process_video lines (they carry "events" and "tracks"): game events and tracks
  without a ball (game_events.py).
"""
from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
from scipy.optimize import linear_sum_assignment

from .datasets import DatasetError
from .frames import key_label, pair_frames
from .game_events import relative_speed_errors, score_events, score_ghosts
from .matching import DEFAULT_DISTANCE_GATE, DEFAULT_IOU_THRESHOLD, admissible_costs, assign, resolve_mode
from .metrics import visible_balls
from .stats import ratio, summary

FAST_MPS = 0.2


def _track_ids(balls: list[dict], key: str, where: str) -> list:
    ids = []
    for b in balls:
        if b.get(key) is None:
            raise DatasetError(f'{where}: a ball has no "{key}" (needed for tracking metrics)')
        ids.append(b[key])
    if len(set(ids)) != len(ids):
        raise DatasetError(f'{where}: "{key}" repeated within one frame')
    return ids


def _frame_matches(cost, ok, gt_ids, hyp_ids, last_track) -> list[tuple[int, int]]:
    """Keep still-admissible previous correspondences, then Hungarian for the rest."""
    kept = []
    for g, gid in enumerate(gt_ids):
        h_id = last_track.get(gid)
        if h_id in hyp_ids:
            h = hyp_ids.index(h_id)
            if ok[g, h]:
                kept.append((g, h))
    free_g = [g for g in range(len(gt_ids)) if g not in {k[0] for k in kept}]
    free_h = [h for h in range(len(hyp_ids)) if h not in {k[1] for k in kept}]
    sub = assign(cost[np.ix_(free_g, free_h)], ok[np.ix_(free_g, free_h)]) if free_g and free_h else []
    return kept + [(free_g[g], free_h[h]) for g, h in sub]


def _count_number(gt_ball, pred_ball, shown: dict) -> None:
    """A numbered ball matched to a prediction that says which number it shows (None: it shows none)."""
    truth = gt_ball.get('number')
    if 'number' not in pred_ball or not isinstance(truth, int) or not 1 <= truth <= 15:
        return
    n = pred_ball['number']
    shown['none' if n is None else 'right' if n == truth else 'wrong'] += 1


def _speed_errors(gt_ball, pred_ball):
    if pred_ball.get('velocity_mps') is None or gt_ball.get('velocity_mps') is None:
        return None
    (pvx, pvy), (gvx, gvy) = pred_ball['velocity_mps'], gt_ball['velocity_mps']
    return (abs(math.hypot(pvx, pvy) - math.hypot(gvx, gvy)), math.hypot(pvx - gvx, pvy - gvy),
            math.hypot(gvx, gvy), math.hypot(pvx, pvy))


def _ordered_pairs(gt_frames, pred_frames, image_root):
    pairs, unused = pair_frames(gt_frames, pred_frames, image_root)
    if all(key[0] == 'frame' for key, _, _ in pairs):
        pairs.sort(key=lambda p: p[0][1])
    return pairs, unused


def score_tracking(gt_frames: list[dict], pred_frames: list[dict], gate: float = DEFAULT_DISTANCE_GATE,
                   match: str = 'auto', iou_threshold: float = DEFAULT_IOU_THRESHOLD,
                   image_root=None) -> dict:
    """CLEAR-MOT and identity scores of predicted tracks (see the module docstring)."""
    pairs, unused = _ordered_pairs(gt_frames, pred_frames, image_root)
    n_gt = n_pred = misses = false_pos = switches = 0
    distances, speed, velocity, fast = [], [], [], []
    last_track, tracked_history = {}, defaultdict(list)
    id_overlap = defaultdict(int)
    shown = {'right': 0, 'wrong': 0, 'none': 0}
    twice = 0
    for key, gt, pred in pairs:
        where = f'frame {key_label(key)}'
        gt_balls, pred_balls = visible_balls(gt), list((pred or {}).get('balls', []))
        gt_ids = _track_ids(gt_balls, 'id', 'ground truth ' + where)
        hyp_ids = _track_ids(pred_balls, 'track_id', 'predictions ' + where)
        n_gt += len(gt_balls)
        n_pred += len(pred_balls)
        if gt_balls and pred_balls:
            mode = resolve_mode(match, gt_balls)
            cost, ok = admissible_costs(gt_balls, pred_balls, mode, gate, iou_threshold)
            matches = _frame_matches(cost, ok, gt_ids, hyp_ids, last_track)
            for g, h in zip(*np.nonzero(ok)):
                id_overlap[(gt_ids[g], hyp_ids[h])] += 1
        else:
            matches = []
        matched_g = {g for g, _ in matches}
        numbers = [b['number'] for b in pred_balls if 'number' in b and b['number'] is not None]
        twice += len(set(numbers)) < len(numbers)
        for g, h in matches:
            _count_number(gt_balls[g], pred_balls[h], shown)
            gid, hid = gt_ids[g], hyp_ids[h]
            if gid in last_track and last_track[gid] != hid:
                switches += 1
            last_track[gid] = hid
            distances.append(float(np.hypot(gt_balls[g]['x'] - pred_balls[h]['x'],
                                            gt_balls[g]['y'] - pred_balls[h]['y'])))
            errs = _speed_errors(gt_balls[g], pred_balls[h])
            if errs is not None:
                speed.append(errs[0])
                velocity.append(errs[1])
                if errs[2] > FAST_MPS:
                    fast.append(errs[2:])
        for g, gid in enumerate(gt_ids):
            tracked_history[gid].append(g in matched_g)
        misses += len(gt_balls) - len(matches)
        false_pos += len(pred_balls) - len(matches)
    fragmentations = 0
    for history in tracked_history.values():
        runs = np.diff(np.asarray(history, dtype=int))
        fragmentations += max(int(np.count_nonzero(runs == 1)) - (0 if history[0] else 1), 0)
    idtp, id_map = _global_id_matches(id_overlap)
    out = {
        'n_frames': len(pairs), 'n_missing_pred': sum(p is None for _, _, p in pairs),
        'n_unused_pred': len(unused),
        'n_gt': n_gt, 'n_pred': n_pred, 'misses': misses, 'false_positives': false_pos,
        'id_switches': switches, 'fragmentations': fragmentations,
        'mota': 1.0 - (misses + false_pos + switches) / n_gt if n_gt else None,
        'motp_px': float(np.mean(distances)) if distances else None,
        'idtp': idtp, 'idf1': ratio(2 * idtp, n_gt + n_pred), 'idp': ratio(idtp, n_pred),
        'idr': ratio(idtp, n_gt),
        'n_tracks_gt': len(tracked_history),
        'speed_error_mps': summary(speed), 'velocity_error_mps': summary(velocity),
        f'relative_speed_error_over_{FAST_MPS}mps': relative_speed_errors(fast),
    }
    labelled = sum(shown.values())
    if labelled:
        out['numbers_shown'] = {'n': labelled, **{k: v / labelled for k, v in shown.items()},
                                'frames_number_twice': twice}
    events = score_events(pairs, id_map)
    if events:
        out['events'] = events
        out['tracks_without_ball'] = score_ghosts(pairs)
    return out


def _global_id_matches(id_overlap: dict) -> tuple[int, dict]:
    """IDTP: the largest total overlap of a one-to-one ball-id / track-id assignment, and that
    assignment as {track id: ball id}."""
    if not id_overlap:
        return 0, {}
    gids = sorted({g for g, _ in id_overlap}, key=str)
    hids = sorted({h for _, h in id_overlap}, key=str)
    counts = np.zeros((len(gids), len(hids)))
    for (g, h), n in id_overlap.items():
        counts[gids.index(g), hids.index(h)] = n
    rows, cols = linear_sum_assignment(counts, maximize=True)
    return int(counts[rows, cols].sum()), {hids[c]: gids[r] for r, c in zip(rows, cols) if counts[r, c] > 0}
