# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Ball type and number fused over a track's detections. No ROS.

Each detection votes for its type and number with its type confidence; the
track's label is the heaviest vote, decided only once it carries enough weight,
so one bad classification neither flips an identity nor blocks an association.
Each number is on the table once: `assign_numbers` gives the reported tracks their
numbers together, so a ball misread the same way for seconds (the 12 read as 10 in a
rack: purple and blue) shows its own number or none, not the number another ball carries.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Optional

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..table_geometry import ball_type_of_number

TYPES = ('unknown', 'cue', 'eight', 'solid', 'stripe')


class ClassVotes:
    def __init__(self, decay: float = 0.98):
        self.decay = decay
        self.types: dict[str, float] = defaultdict(float)
        self.numbers: dict[int, float] = defaultdict(float)
        # The association asks the fused label for every track x detection pair of a frame (over a
        # thousand times a frame with 16 balls): what the votes say is kept until the next vote.
        self._memo: dict = {}

    def add(self, kind: str, number: Optional[int], confidence: float) -> None:
        w = max(0.05, min(1.0, float(confidence)))
        self._memo = {}
        for table in (self.types, self.numbers):
            for k in table:
                table[k] *= self.decay
        if kind and kind != 'unknown':
            self.types[kind] += w
        if number is not None and 0 <= number <= 15:
            self.numbers[number] += w
            # A number also says its type (the cue ball is number 0).
            self.types[ball_type_of_number(number)] += 0.5 * w

    def merge(self, other: 'ClassVotes') -> None:
        """Add another track's votes for the same ball (a dropped track's, _revive)."""
        self._memo = {}
        for mine, theirs in ((self.types, other.types), (self.numbers, other.numbers)):
            for k, w in theirs.items():
                mine[k] += w

    @staticmethod
    def _best(table: dict):
        if not table:
            return None, 0.0, 0.0
        best = max(table, key=table.get)
        total = sum(table.values())
        return best, table[best], table[best] / total if total > 0 else 0.0

    def _fused(self, name: str):
        got = self._memo.get(name)
        if got is None:
            got = self._memo[name] = self._best(self.types if name == 'types' else self.numbers)
        return got

    def type(self, min_weight: float = 0.0) -> str:
        best, weight, _ = self._fused('types')
        return best if best is not None and weight >= min_weight else 'unknown'

    def number(self, min_weight: float = 1.5, min_share: float = 0.6) -> Optional[int]:
        key = ('number', min_weight, min_share)
        if key in self._memo:
            return self._memo[key]
        best, weight, share = self._fused('numbers')
        if best is None or weight < min_weight or share < min_share:
            out = None
        else:
            # The number must agree with the fused type.
            kind = self.type()
            out = best if kind in ('unknown', ball_type_of_number(best)) else None
        self._memo[key] = out
        return out

    def carried_number(self) -> Optional[int]:
        """The number read often and consistently enough to be the ball's (evidence against other reads)."""
        return self.number(min_weight=2.0, min_share=0.7)

    def confident_type(self, min_weight: float = 2.0, min_share: float = 0.8) -> Optional[str]:
        best, weight, share = self._fused('types')
        return best if best is not None and weight >= min_weight and share >= min_share else None

    def share(self, kind: str) -> float:
        total = sum(self.types.values())
        return self.types.get(kind, 0.0) / total if total > 0 else 0.0

    def mismatch(self, kind: str, number: Optional[int]) -> float:
        """0 (agrees or unknown) .. 1.7 (contradicts a confident label twice) for a detection's class.

        A wrong type and a wrong colour are separate faults and add up; a number of the other type in the
        same colour (9 read on the 1) is the wrong type alone.
        """
        key = ('mismatch', kind, number)
        if key in self._memo:
            return self._memo[key]
        cost = 0.0
        fused = self.confident_type()
        if fused is not None and kind not in ('unknown', None) and kind != fused:
            cost += 1.0 - self.share(kind)
        n = self.carried_number()
        if n is not None and number is not None and colour(number) != colour(n):
            cost += 0.7
        self._memo[key] = cost
        return cost


KEEP_BONUS = 1.25   # a number shown in the last frame weighs this much more: near-equal claims do not flicker


def assign_numbers(votes: list[ClassVotes], shown: list[Optional[int]], min_weight: float = 1.5,
                   min_share: float = 0.6) -> list[Optional[int]]:
    """The number each track shows, no number on two tracks: the assignment of numbers to tracks with the
    largest vote weight (each number read at least min_weight and agreeing with the track's fused type;
    KEEP_BONUS for the number it showed last). A track shows its assigned number when that holds min_share of
    its votes for the numbers no other track was given; without a rival it is `ClassVotes.number()`."""
    n_tracks = len(votes)
    weight = np.zeros((n_tracks, 16))
    for i, v in enumerate(votes):
        kind = v.type()
        for n, w in v.numbers.items():
            if w >= min_weight and kind in ('unknown', ball_type_of_number(n)):
                weight[i, n] = w * (KEEP_BONUS if n == shown[i] else 1.0)
    out: list[Optional[int]] = [None] * n_tracks
    if not weight.any():
        return out
    rows, cols = linear_sum_assignment(weight, maximize=True)
    given = {int(n): int(i) for i, n in zip(rows, cols) if weight[i, n] > 0}
    for n, i in given.items():
        free = sum(w for k, w in votes[i].numbers.items() if given.get(k, i) == i)
        if votes[i].numbers[n] >= min_share * free:
            out[i] = n
    return out


def colour(number: int) -> int:
    """The colour of a numbered ball: 1-7 and 9-15 share theirs in pairs (1 and 9 yellow); 0 white, 8 black."""
    return number if number in (0, 8) else (number - 1) % 8 + 1
