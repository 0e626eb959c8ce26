# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""synthetic://SCENARIO: the rendered table of billiards_vision.sim, with its ground truth."""
from __future__ import annotations

from typing import Optional

import numpy as np

from billiards_vision.camera.base import CaptureSettings, Frame, FrameSource, Pacer, now_ns, register_scheme


def _scenarios() -> tuple:
    from billiards_vision.sim import SCENARIOS
    return tuple(SCENARIOS)


class SyntheticSource(FrameSource):
    prefer_process = True  # rendering holds the GIL for ~20 ms a 1080p frame
    open_time_hint = 30.0  # SyntheticTable() builds its renderer: seconds

    def __init__(self, location: str, settings: CaptureSettings):
        super().__init__(location, settings)
        self.scenario = location.split('://', 1)[1]
        self._table = None
        self._pacer = Pacer()
        self._index = 0

    @classmethod
    def validate(cls, location: str) -> Optional[str]:
        name = location.split('://', 1)[1]
        try:
            scenarios = _scenarios()
        except ImportError as exc:
            return f'the synthetic table is not available ({exc})'
        return None if name in scenarios else f'unknown scenario {name!r}; allowed: {", ".join(scenarios)}'

    def open(self) -> None:
        from billiards_vision.sim import SyntheticTable
        s = self.settings
        self._table = SyntheticTable(self.scenario, width=s.width or 1920, height=s.height or 1080,
                                     fps=s.framerate, seed=0)

    def read(self) -> Optional[Frame]:
        self._pacer.wait(1.0 / self.settings.framerate)
        image, truth = self._table.next_frame()
        self._index += 1
        return Frame(image, now_ns(), index=self._index, extra={'truth': truth})

    def camera_info(self) -> Optional[dict]:
        if self._table is None:
            return None
        info = dict(self._table.camera_info())
        for key in ('K', 'D', 'R', 'P'):  # the sim gives nested rows; camera_info wants them flat
            if key in info:
                info[key] = [float(v) for v in np.ravel(info[key])]
        return info


register_scheme('synthetic', SyntheticSource, 'SCENARIO (the synthetic table of billiards_vision.sim)')
