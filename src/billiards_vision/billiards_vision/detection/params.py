# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Detector settings: one dataclass per detector, one place for defaults, meanings and ranges.

Lengths are relative (to the ball radius in pixels or the table size) so one
configuration works at any resolution. The nodes declare their ROS parameters
from these fields (`knobs()`), config/billiards.yaml documents them, and
`detect_image --params` reads the same YAML sections.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Mapping, Optional

from ..table_geometry import TABLE_PRESETS, TableGeometry

TABLE_SIZES = tuple(TABLE_PRESETS) + ('custom',)


def knob(default, description: str, range: Optional[tuple] = None, choices: Optional[tuple] = None):
    meta = {'description': description, 'range': range, 'choices': choices}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class TableParams:
    table_size: str = knob('9ft', "playing-surface preset; 'custom' uses table_length_m / table_width_m",
                           choices=TABLE_SIZES)
    table_length_m: float = knob(2.54, 'long side between cushion noses [m] when table_size is custom',
                                 (0.5, 5.0))
    table_width_m: float = knob(1.27, 'short side between cushion noses [m] when table_size is custom',
                                (0.3, 3.0))
    manual_corners: list = knob([], 'cushion-nose corners x0,y0..x3,y3 [px] that replace detection; '
                                    'empty = detect')
    search_width_px: int = knob(960, 'the coarse table search runs on a copy scaled to this width [px]',
                                (160, 4096))
    cloth_hue_tolerance_deg: float = knob(24.0, 'hue difference from the estimated cloth hue still called '
                                                'cloth [deg]', (2.0, 90.0))
    cloth_min_saturation: float = knob(0.22, 'minimum HSV saturation (0..1) of cloth pixels', (0.0, 1.0))
    min_table_area_fraction: float = knob(0.08, 'the cloth must cover at least this share of the image',
                                          (0.0, 1.0))
    cushion_band_fraction: float = knob(0.035, 'inward band searched for the cushion nose, share of the '
                                               'table length in px', (0.0, 0.2))
    nose_min_contrast: float = knob(0.03, 'minimum brightness drop over 4 px (share of the cloth '
                                          'brightness) that marks the cushion nose', (0.0, 1.0))

    def geometry(self) -> TableGeometry:
        if self.table_size == 'custom':
            return TableGeometry(float(self.table_length_m), float(self.table_width_m))
        return TableGeometry.from_preset(self.table_size)


@dataclass
class BallParams:
    radius_scale: float = knob(1.0, 'scales the ball radius predicted from the table homography',
                               (0.3, 3.0))
    radius_tolerance: float = knob(0.3, 'a fitted radius may differ this much (share) from the prediction',
                                   (0.05, 1.0))
    edge_threshold: float = knob(6.0, 'minimum colour gradient of a ball outline [CIELab units / px]',
                                 (0.5, 100.0))
    noise_edge_factor: float = knob(3.0, 'an outline must be this many times stronger than the median colour '
                                         'gradient on the cloth (sensor noise)', (0.0, 20.0))
    min_outline_support: float = knob(0.5, 'share of the outline rays that must find an edge',
                                      (0.0, 1.0))
    min_confidence: float = knob(0.45, 'detections below this confidence (0..1) are dropped', (0.0, 1.0))
    surface_margin: float = knob(0.6, 'ball centres may lie this many radii outside the cushion noses '
                                      '(pocket mouths)', (0.0, 3.0))
    pocket_min_support: float = knob(0.85, 'outline support needed within one radius of a pocket mouth',
                                     (0.0, 1.0))
    cushion_margin: float = knob(0.3, 'away from pockets, ball centres lie at least this many radii inside '
                                      'the cushion noses (a ball touching a cushion is one radius in)',
                                 (-3.0, 1.0))
    blur_chroma_distance: float = knob(0.06, 'chromaticity distance from the cloth that marks a motion-blurred '
                                             'ball (shadows keep the cloth chromaticity)', (0.0, 1.0))
    min_separation: float = knob(1.35, 'two detections closer than this many radii are one ball',
                                 (0.5, 2.0))
    white_max_saturation: float = knob(0.28, 'HSV saturation (0..1) below which a ball pixel is white '
                                             '(shaded white stays pale)', (0.0, 1.0))
    black_max_value: float = knob(0.3, 'brightness (share of the cloth\'s) below which a ball pixel is black',
                                  (0.0, 1.0))
    chroma_bleed: float = knob(0.5, 'a ball pixel with less than this share of the ball\'s own colour saturation is '
                                    'white (video and JPEG carry colour at half resolution)', (0.0, 1.0))
    cloth_light_saturation: float = knob(0.7, 'a ball pixel of the cloth\'s hue below this share of the cloth\'s '
                                              'saturation is white lit by the cloth, not ball colour, unless the '
                                              'ball shows saturated paint of the cloth\'s hue inside its rim',
                                         (0.0, 1.0))
    cue_max_colour: float = knob(0.075, 'a ball with less than this share of coloured pixels is the cue ball',
                                 (0.0, 1.0))
    cue_max_spots: float = knob(0.3, 'a white ball with up to this share of coloured spots (a training cue ball) is '
                                     'the cue ball when all-white fits the face better than a stripe or solid',
                                (0.0, 1.0))
    stripe_white_fraction: float = knob(0.31, 'white share among white and coloured pixels above which a '
                                              'ball is a stripe (a solid shows at most its number circle)',
                                        (0.0, 1.0))
    pattern_fit_window: float = knob(0.15, 'a white share this close to stripe_white_fraction is decided by where the '
                                           'white lies on the ball (stripe caps or number circles)', (0.0, 1.0))
    eight_black_fraction: float = knob(0.4, 'share of black on a ball face that makes it the eight',
                                       (0.0, 1.0))
    maroon_max_value: float = knob(0.72, 'a red whose bright pixels stay below this HSV value is maroon (7/15)',
                                   (0.0, 1.0))
    maroon_max_relative: float = knob(0.47, 'a red whose colour (HSV saturation x value) is less than this share of '
                                            'the brightness of the white beside it is maroon (7/15)', (0.0, 1.0))


@dataclass
class CueParams:
    min_length_balls: float = knob(2.5, 'a stick shows at least this many ball diameters over the table',
                                   (1.0, 50.0))
    min_piece_balls: float = knob(1.2, 'a shorter stick piece counts when foreground continues its line to '
                                       'the table edge (the shaft beyond the bridge hand) [ball diameters]',
                                  (0.5, 50.0))
    max_width_balls: float = knob(0.75, 'a stick is at most this many ball diameters wide', (0.1, 3.0))
    max_width_ratio: float = knob(0.2, 'a stick is at most this wide relative to its visible length',
                                  (0.01, 1.0))
    edge_exclusion_balls: float = knob(0.6, 'lines this close to a cushion (ball diameters) and parallel '
                                            'to it are cushion edges, not sticks', (0.0, 5.0))
    max_edge_angle_deg: float = knob(8.0, 'angle to a cushion [deg] below which a line counts as parallel',
                                     (0.0, 45.0))
    aim_tolerance_balls: float = knob(1.1, 'a ball is the target when the aim line passes within this '
                                           'many radii of its centre', (0.0, 5.0))


def knobs(cls) -> list[tuple[str, Any, dict]]:
    """(name, default, metadata) of every field of a params dataclass."""
    inst = cls()
    return [(f.name, getattr(inst, f.name), dict(f.metadata)) for f in fields(cls)]


def make_params(cls, values: Mapping[str, Any]):
    """A params dataclass from a mapping (unknown keys ignored, types coerced, choices checked)."""
    kwargs = {}
    for name, default, meta in knobs(cls):
        if name not in values:
            continue
        value = values[name]
        if isinstance(default, bool):
            value = bool(value)
        elif isinstance(default, int):
            value = int(value)
        elif isinstance(default, float):
            value = float(value)
        elif isinstance(default, list):
            value = [float(v) for v in value] if value is not None and len(value) else []
        if meta.get('choices') and value not in meta['choices']:
            raise ValueError(f"{name}: {value!r} is not allowed; allowed values: {', '.join(meta['choices'])}")
        kwargs[name] = value
    params = cls(**kwargs)
    if getattr(params, 'manual_corners', None) and len(params.manual_corners) != 8:
        raise ValueError('manual_corners: needs 8 numbers (x0,y0..x3,y3) or none')
    return params


@dataclass
class DetectorParams:
    table: TableParams = field(default_factory=TableParams)
    balls: BallParams = field(default_factory=BallParams)
    cue: CueParams = field(default_factory=CueParams)

    @classmethod
    def from_yaml_dict(cls, config: Mapping[str, Any]) -> 'DetectorParams':
        """Read the detector sections of a config/billiards.yaml-style mapping."""
        def section(name):
            node = config.get(name) or {}
            return (node.get('ros__parameters') or {}) if isinstance(node, Mapping) else {}
        return cls(make_params(TableParams, section('table_detector')),
                   make_params(BallParams, section('ball_detector')),
                   make_params(CueParams, section('cue_detector')))
