# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Game events from the tracks. No ROS.

- shot started: the first ball that leaves its spot while every ball was at rest,
  stamped when it started (between the frame it was last seen at rest and now);
- collision: a ball at rest starts moving next to a moving one, or a moving ball's
  velocity changes unforeseen (a manoeuvre) within touching distance of another;
- cushion: the prediction reflected a ball that was then seen where the
  reflection put it, or a manoeuvre happened at a cushion line;
- ball pocketed: see Tracker._pocket_of, with the ball and pocket;
- all balls stopped: once every ball is at rest again, stamped with the last
  ball's fitted stop time (motion.py), not with the frame that noticed it.
Event stamps say when it happened; they may be a frame or two before the frame
that reports them.
"""
from __future__ import annotations

import numpy as np

from ..table_geometry import BALL_RADIUS_M

SHOT_STARTED, BALLS_STOPPED, BALL_POCKETED, COLLISION, CUSHION = (
    'shot_started', 'balls_stopped', 'ball_pocketed', 'collision', 'cushion')
EVENT_TYPES = (SHOT_STARTED, BALLS_STOPPED, BALL_POCKETED, COLLISION, CUSHION)   # GameEvent.msg order
TOUCH_M = 2 * BALL_RADIUS_M + 0.025
REPEAT_S = 0.3


def event(kind: str, stamp: float, ball_ids, position, pocket: int = -1, detail: str = '') -> dict:
    return {'type': kind, 'stamp': float(stamp), 'ball_ids': [int(i) for i in ball_ids],
            'position': [float(position[0]), float(position[1])], 'pocket': int(pocket), 'detail': detail}


class EventDetector:
    def __init__(self, tracker):
        self.tracker = tracker
        self.reset()

    def reset(self) -> None:
        self.shot_active = False
        self.t_shot = 0.0
        self.last_stop = 0.0
        self.pending: list[dict] = []
        self.recent: dict = {}

    # ------------------------------------------------------------ hooks
    def pocketed(self, tr) -> None:
        self.pending.append(event(BALL_POCKETED, tr.t_pocketed, [tr.id], tr.pos, tr.pocket,
                                  f'ball {self._name(tr)} in pocket {tr.pocket}'))
        self.last_stop = max(self.last_stop, tr.t_pocketed)

    def lost(self, tr) -> None:
        """A moving track was dropped: it was last known moving when it was last seen."""
        self.last_stop = max(self.last_stop, tr.t_last)

    def stopped(self, tr) -> None:
        if tr.t_stop is not None:
            self.last_stop = max(self.last_stop, tr.t_stop)

    # ------------------------------------------------------------- step
    def step(self, stamp: float) -> list[dict]:
        out, self.pending = self.pending, []
        tracks = [t for t in self.tracker.tracks if t.confirmed]
        for tr in tracks:
            if tr.started is not None:
                out += self._started(tr, tracks)
            if tr.manoeuvred and tr.last_matched:
                out += self._manoeuvre(tr, tracks, stamp)
            elif tr.bounced and tr.last_matched:
                out += self._once(CUSHION, (tr.id,), stamp, tr.pos, f'ball {self._name(tr)} off a cushion')
        if self.shot_active and not any(t.moving for t in tracks):
            self.shot_active = False
            when = min(max(self.last_stop, self.t_shot), stamp)
            out.append(event(BALLS_STOPPED, when, [], (0.0, 0.0), -1, 'all balls at rest'))
        out.sort(key=lambda e: e['stamp'])
        return out

    def _started(self, tr, tracks) -> list[dict]:
        if not self.shot_active:
            self.shot_active = True
            self.t_shot = tr.started
            self.last_stop = tr.started
            return [event(SHOT_STARTED, tr.started, [tr.id], tr.rest_pos, -1, f'ball {self._name(tr)} struck')]
        spot = np.asarray(tr.history[0][1:]) if tr.history else tr.pos
        other = self._nearest(tr, tracks, spot, moving_only=True)
        if other is None:
            return []
        return self._once(COLLISION, (other.id, tr.id), tr.started, 0.5 * (spot + other.pos),
                          f'ball {self._name(other)} hit ball {self._name(tr)}')

    def _manoeuvre(self, tr, tracks, stamp) -> list[dict]:
        other = self._nearest(tr, tracks, tr.pos, moving_only=False)
        if other is not None:
            return self._once(COLLISION, tuple(sorted((tr.id, other.id))), stamp, 0.5 * (tr.pos + other.pos),
                              f'balls {self._name(tr)} and {self._name(other)} collided')
        cushions = self.tracker.cushions
        if cushions is not None and np.any(np.abs(tr.pos) > cushions.limit - 0.03):
            return self._once(CUSHION, (tr.id,), stamp, tr.pos, f'ball {self._name(tr)} off a cushion')
        return []

    def _nearest(self, tr, tracks, where, moving_only: bool):
        best, best_d = None, TOUCH_M
        for o in tracks:
            if o is tr or (moving_only and not o.moving):
                continue
            d = float(np.linalg.norm(o.pos - where))
            if d < best_d:
                best, best_d = o, d
        return best

    def _once(self, kind, ids, stamp, position, detail) -> list[dict]:
        key = (kind, tuple(sorted(ids)))
        if stamp - self.recent.get(key, -1e9) < REPEAT_S:
            return []
        self.recent[key] = stamp
        return [event(kind, stamp, ids, position, -1, detail)]

    @staticmethod
    def _name(tr) -> str:
        n = tr.number
        return f'{n} (track {tr.id})' if n is not None else f'{tr.type} (track {tr.id})'
