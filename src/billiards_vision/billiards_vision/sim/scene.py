# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""SyntheticTable: a scenario, the physics, the camera and the renderer, frame by frame."""
from __future__ import annotations

from dataclasses import dataclass, fields
import cv2
import numpy as np

from ..table_geometry import BALL_RADIUS_M, TableGeometry, ball_type_of_number
from .camera import OverheadCamera
from .cue import cue_truth, draw_cue, draw_cue_shadow, hand_outlines_px
from .physics import TablePhysics
from .lighting import Lamps
from .render import composite, darken, render_ball, shadow_alpha
from .sensor import Sensor
from .scenarios import SCENARIOS, ScenarioContext
from .table_render import (CLOTH_BGR, MARKER_RADIUS_M, NOSE_HEIGHT_M, TableLook, marker_positions,
                           render_background)


@dataclass
class SimOptions:
    """Everything besides scenario/size/fps/seed/table/cloth that SyntheticTable accepts."""

    camera_height: float | None = None   # [m]; default scales with the table (2.0 m for 9 ft)
    hfov_deg: float = 73.0               # horizontal field of view
    tilt_deg: float = -2.0               # camera pitch; negative: the near (bottom) rail looks wider
    roll_deg: float = -0.4
    # Where the optical axis meets the table [m, table frame]; the reference camera hangs a
    # little towards the bottom rail, so the table sits a bit high in its frames.
    camera_offset_x: float = 0.0
    camera_offset_y: float = -0.06
    principal_offset_x: float = 0.0      # principal point offset from the image centre [px]
    principal_offset_y: float = 0.0
    # Radial distortion (barrel < 0). The reference frames show straight cushions to ~1 px at
    # 1280x720, so the default is mild.
    k1: float = -0.02
    k2: float = 0.0
    markers: bool = True                 # two white dots on the head and foot spots
    hand: bool = True                    # bridge hand and forearm with the cue
    motion_blur: float = 0.5             # exposure as a fraction of the frame time (0 = none)
    noise_sigma: float = 2.0             # sensor noise [grey levels]
    jpeg_quality: int = 88               # 0 = no JPEG round trip
    vignetting: float = 0.1
    light_unevenness: float = 0.4
    shadows: bool = True

    _RANGES = {
        'camera_height': (0.5, 10.0), 'hfov_deg': (20.0, 150.0), 'tilt_deg': (-15.0, 15.0),
        'roll_deg': (-10.0, 10.0), 'camera_offset_x': (-0.5, 0.5), 'camera_offset_y': (-0.5, 0.5),
        'principal_offset_x': (-500.0, 500.0),
        'principal_offset_y': (-500.0, 500.0), 'k1': (-0.5, 0.5), 'k2': (-0.5, 0.5), 'motion_blur': (0.0, 1.0),
        'noise_sigma': (0.0, 20.0), 'jpeg_quality': (0, 100), 'vignetting': (0.0, 0.9),
        'light_unevenness': (0.0, 1.0),
    }

    @classmethod
    def from_kwargs(cls, options: dict) -> 'SimOptions':
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - names)
        if unknown:
            raise ValueError(f'unknown option(s) {", ".join(unknown)}; allowed: {", ".join(sorted(names))}')
        opts = cls(**options)
        for name, (lo, hi) in cls._RANGES.items():
            value = getattr(opts, name)
            if value is None:
                continue
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not lo <= value <= hi:
                raise ValueError(f'option {name} must be a number in [{lo}, {hi}], got {value!r}')
        for name in ('markers', 'hand', 'shadows'):
            if not isinstance(getattr(opts, name), bool):
                raise ValueError(f'option {name} must be true or false, got {getattr(opts, name)!r}')
        return opts


class SyntheticTable:
    """Rendered frames of a simulated pool table with exact ground truth."""

    def __init__(self, scenario: str = 'demo', width: int = 1920, height: int = 1080, fps: float = 30.0,
                 seed: int = 0, table_size: str = '9ft', cloth: str = 'teal', **options):
        if scenario not in SCENARIOS:
            raise ValueError(f'unknown scenario {scenario!r}; allowed: {", ".join(SCENARIOS)}')
        if cloth not in CLOTH_BGR:
            raise ValueError(f'unknown cloth {cloth!r}; allowed: {", ".join(CLOTH_BGR)}')
        if not (isinstance(width, int) and isinstance(height, int)) or width < 64 or height < 64:
            raise ValueError(f'width and height must be integers >= 64, got {width}x{height}')
        if not 1.0 <= float(fps) <= 240.0:
            raise ValueError(f'fps must be 1..240, got {fps}')
        self.geometry = TableGeometry.from_preset(table_size)
        self.options = SimOptions.from_kwargs(options)
        o = self.options
        self.scenario = scenario
        self.width, self.height, self.fps, self.seed = width, height, float(fps), int(seed)
        cam_h = o.camera_height if o.camera_height is not None else 2.0 * self.geometry.length / 2.54
        self.camera = OverheadCamera(width, height, cam_h, o.hfov_deg, o.tilt_deg, o.roll_deg, o.k1, o.k2,
                                     (o.principal_offset_x, o.principal_offset_y),
                                     (o.camera_offset_x, o.camera_offset_y))
        self.rng = np.random.default_rng(seed)
        look = TableLook(cloth=cloth, markers=o.markers, vignetting=o.vignetting,
                         light_unevenness=o.light_unevenness)
        self.background, self.gain = render_background(self.camera, self.geometry, look,
                                                       np.random.default_rng(seed + 7919))
        self.lamps = Lamps(self.geometry)
        # Lens softness in px, about half a pixel at 1280 wide.
        self._soften = 0.45 * width / 1280.0
        self.physics = TablePhysics(self.geometry)
        self.ctx = ScenarioContext(self.physics, self.rng, self.fps, hand=o.hand)
        self._script = SCENARIOS[scenario](self.ctx)
        self.frame_index = 0
        self.loops = 0                      # times the scenario ran to its end and started again
        self._sensor = Sensor(self.background, o.noise_sigma, o.jpeg_quality, np.random.default_rng(seed + 104729))
        self._table_truth = self._static_table_truth()
        self._markers_m = marker_positions(self.geometry) if o.markers else []
        self._markers_px = self.camera.project(
            np.array([[m[0], m[1], 0.0] for m in self._markers_m]).reshape(-1, 3))
        self._sprite_cache: dict[int, tuple[tuple, object]] = {}
        self._shadow_cache: dict[int, tuple[tuple, tuple]] = {}

    # ----------------------------------------------------------- public API
    def camera_info(self) -> dict:
        return self.camera.camera_info()

    @property
    def scenario_title(self) -> str:
        """Name of the scenario now playing (changes while `demo` loops)."""
        return self.ctx.title

    def next_frame(self) -> tuple[np.ndarray, dict]:
        """Advance one frame: (BGR uint8 image, ground-truth dict)."""
        truth = self._advance()
        image = self._render(truth)
        self.frame_index += 1
        return image, truth

    def next_truth(self) -> dict:
        """Advance one frame without rendering it: the ground-truth dict only (for tracker tests)."""
        truth = self._advance()
        self.frame_index += 1
        return truth

    def _advance(self) -> dict:
        try:
            next(self._script)
        except StopIteration:
            self.loops += 1
            self._script = SCENARIOS[self.scenario](self.ctx)
            next(self._script)
        return self._truth()

    # -------------------------------------------------------------- truth
    def _static_table_truth(self) -> dict:
        g = self.geometry
        corners = np.column_stack([g.corners(), np.full(4, NOSE_HEIGHT_M)])
        pockets = np.array([[xy[0], xy[1], NOSE_HEIGHT_M] for _, xy in g.pockets()])
        return {'corners_px': self.camera.project(corners).tolist(),
                'pockets_px': self.camera.project(pockets).tolist(),
                'size_m': [g.length, g.width]}

    def _truth(self) -> dict:
        p = self.physics
        present = np.flatnonzero(p.on_table | p.pocketed)
        centres = np.column_stack([p.pos[present], np.full(len(present), BALL_RADIUS_M)])
        px = self.camera.project(centres)
        radii = self.camera.sphere_radius_px(centres, BALL_RADIUS_M)
        cue = self.ctx.cue
        # A ball whose centre lies under the player's hand or arm is not visible.
        hands = [h.astype(np.float32) for h in hand_outlines_px(self.camera, cue)] if cue is not None else []
        balls = []
        for k, n in enumerate(present):
            x, y = px[k]
            inside = 0 <= x < self.width and 0 <= y < self.height
            inside = inside and not any(cv2.pointPolygonTest(h, (float(x), float(y)), False) >= 0
                                        for h in hands)
            balls.append({'id': int(n), 'number': int(n), 'type': ball_type_of_number(int(n)),
                          'x': float(x), 'y': float(y), 'radius': float(radii[k]),
                          'position_m': [float(v) for v in p.pos[n]],
                          'velocity_mps': [float(v) for v in p.vel[n]],
                          'visible': bool(p.on_table[n] and inside), 'pocketed': bool(p.pocketed[n])})
        markers = []
        on = p.pos[p.on_table]
        for m, mpx in zip(self._markers_m, self._markers_px):
            covered = len(on) and np.min(np.linalg.norm(on - m, axis=1)) < BALL_RADIUS_M + MARKER_RADIUS_M
            if not covered:
                markers.append([float(mpx[0]), float(mpx[1])])
        return {'frame': self.frame_index, 't': self.frame_index / self.fps,
                'image_size': [self.width, self.height], 'camera': self.camera.truth(),
                'table': self._table_truth, 'balls': balls,
                'cue': cue_truth(self.camera, cue) if cue is not None else None,
                'markers_px': markers}

    # ------------------------------------------------------------- render
    def _render(self, truth: dict) -> np.ndarray:
        o = self.options
        frame, noise = self._sensor.begin()
        dirty = []                          # boxes drawn on: only they get a new JPEG round trip
        p = self.physics
        visible = [b for b in truth['balls'] if not b['pocketed']]
        # Motion blur: image displacement over the exposure, from the table velocity.
        exposure = o.motion_blur / self.fps
        blur = {b['id']: (0.0, 0.0) for b in visible}
        moving = [b for b in visible if exposure > 0 and any(b['velocity_mps'])]
        if moving:
            # One projection call for all balls: smear start and end over the exposure.
            centre = np.array([[*b['position_m'], BALL_RADIUS_M] for b in moving])
            half = np.array([[*b['velocity_mps'], 0.0] for b in moving]) * (exposure / 2)
            ends = self.camera.project(np.vstack([centre - half, centre + half])).reshape(2, -1, 2)
            for b, d in zip(moving, ends[1] - ends[0]):
                blur[b['id']] = (float(d[0]), float(d[1]))
        if o.shadows:
            for b in visible:
                n = b['id']
                key = (round(b['x'], 3), round(b['y'], 3), blur[n])
                cached = self._shadow_cache.get(n)
                if cached is not None and cached[0] == key:
                    x0, y0, amount = cached[1]
                else:
                    xy = np.array(b['position_m'])
                    lamps = self.lamps.shadow_shifts(xy, BALL_RADIUS_M)
                    pts = [[*xy, 0.0]] + [[*(xy + shift_m), 0.0] for shift_m, _ in lamps]
                    px = self.camera.project(np.array(pts))
                    shifts = [(tuple(px[k + 1] - px[0]), w) for k, (_, w) in enumerate(lamps)]
                    x0, y0, amount = shadow_alpha(b['x'], b['y'], b['radius'], shifts, blur[n])
                    self._shadow_cache[n] = (key, (x0, y0, amount))
                darken(frame, x0, y0, amount, dirty)
            if self.ctx.cue is not None:
                draw_cue_shadow(frame, self.camera, self.ctx.cue, self.lamps, soften_px=max(1.0, self.width / 800),
                                dirty=dirty)
        for b in visible:
            n = b['id']
            key = (round(b['x'], 3), round(b['y'], 3), blur[n], p.orientation[n].round(6).tobytes())
            cached = self._sprite_cache.get(n)
            if cached is not None and cached[0] == key:
                sprite = cached[1]
            else:
                gain = float(self.gain[int(np.clip(b['y'], 0, self.height - 1)),
                                       int(np.clip(b['x'], 0, self.width - 1))])
                light = self.lamps.light_view(np.array([*b['position_m'], BALL_RADIUS_M]))
                sprite = render_ball(n, b['x'], b['y'], b['radius'], p.orientation[n], gain, blur[n], light,
                                     self._soften)
                self._sprite_cache[n] = (key, sprite)
            composite(frame, sprite, noise, dirty)
        if self.ctx.cue is not None:
            tip = truth['cue']['tip_px']
            light = float(self.gain[int(np.clip(tip[1], 0, self.height - 1)), int(np.clip(tip[0], 0, self.width - 1))])
            draw_cue(frame, self.camera, self.ctx.cue, light, dirty)
        return self._sensor.finish(frame, dirty)
