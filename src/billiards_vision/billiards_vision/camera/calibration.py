# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Camera calibration in the ROS camera_info YAML format (camera_calibration_parsers).

The file the ROS `cameracalibrator` writes (image_width, image_height, camera_name,
camera_matrix, distortion_model, distortion_coefficients, rectification_matrix,
projection_matrix) is read and written here; `camera_info_url` takes the same
forms as camera_info_manager: file:///abs/path, package://pkg/rel/path, or a path.
"""
from __future__ import annotations

import os
from typing import Optional

import yaml

URL_FORMS = "'' (uncalibrated), file:///path/to/camera.yaml, package://PACKAGE/path, or a file path"
_MATRICES = (('camera_matrix', 'K', 3, 3), ('rectification_matrix', 'R', 3, 3),
             ('projection_matrix', 'P', 3, 4))


def url_to_path(url: str) -> Optional[str]:
    """Path of a camera_info_url, None for ''; ValueError for other schemes."""
    url = url.strip()
    if not url:
        return None
    if url.startswith('file://'):
        return url[len('file://'):]
    if url.startswith('package://'):
        package, _, rel = url[len('package://'):].partition('/')
        try:
            from ament_index_python.packages import get_package_share_directory
            return os.path.join(get_package_share_directory(package), rel)
        except (ImportError, LookupError) as exc:
            raise ValueError(f'cannot resolve {url}: package {package!r} not found') from exc
    if '://' in url:
        raise ValueError(f'unsupported URL {url!r}; allowed: {URL_FORMS}')
    return os.path.expanduser(url)


def _matrix(doc: dict, key: str, rows: int, cols: int) -> list[float]:
    entry = doc.get(key)
    data = entry.get('data') if isinstance(entry, dict) else None
    if not isinstance(data, list) or len(data) != rows * cols:
        raise ValueError(f'{key}.data must hold {rows * cols} numbers')
    return [float(v) for v in data]


def load_camera_info(path: str) -> dict:
    """Read a camera_info YAML -> dict(width,height,K,D,R,P,distortion_model,camera_name)."""
    try:
        with open(path, encoding='utf-8') as f:
            doc = yaml.safe_load(f)
    except OSError as exc:
        raise ValueError(f'cannot read {path}: {exc.strerror}') from exc
    except yaml.YAMLError as exc:
        raise ValueError(f'{path} is not valid YAML: {exc}') from exc
    if not isinstance(doc, dict):
        raise ValueError(f'{path} is not a camera_info YAML mapping')
    try:
        info = {'width': int(doc['image_width']), 'height': int(doc['image_height'])}
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f'{path}: image_width and image_height are required integers') from exc
    try:
        for key, short, rows, cols in _MATRICES:
            if key in doc or short == 'K':
                info[short] = _matrix(doc, key, rows, cols)
        dist = doc.get('distortion_coefficients', {'data': []})
        info['D'] = [float(v) for v in (dist.get('data') or [])]
    except (ValueError, TypeError, AttributeError) as exc:
        raise ValueError(f'{path}: {exc}') from exc
    info.setdefault('R', [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0])
    if 'P' not in info:
        k = info['K']
        info['P'] = k[0:3] + [0.0] + k[3:6] + [0.0] + k[6:9] + [0.0]
    info['distortion_model'] = str(doc.get('distortion_model') or 'plumb_bob')
    info['camera_name'] = str(doc.get('camera_name') or '')
    return info


def save_camera_info(path: str, info: dict, camera_name: str) -> None:
    """Write `info` in the camera_info YAML format (what cameracalibrator writes)."""
    doc = {'image_width': int(info['width']), 'image_height': int(info['height']), 'camera_name': camera_name,
           'distortion_model': info.get('distortion_model', 'plumb_bob'),
           'distortion_coefficients': {'rows': 1, 'cols': len(info.get('D', [])),
                                       'data': [float(v) for v in info.get('D', [])]}}
    identity = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
    for key, short, rows, cols in _MATRICES:
        data = info.get(short) or (identity if short == 'R' else None)
        if data is None:
            k = info['K']
            data = k[0:3] + [0.0] + k[3:6] + [0.0] + k[6:9] + [0.0]
        doc[key] = {'rows': rows, 'cols': cols, 'data': [float(v) for v in data]}
    with open(path, 'w', encoding='utf-8') as f:
        yaml.safe_dump(doc, f, sort_keys=False)


def scale_camera_info(info: dict, width: int, height: int) -> dict:
    """The calibration for frames resized to width x height (pure scaling of K and P)."""
    if (info['width'], info['height']) == (width, height) or not info['width'] or not info['height']:
        return info
    sx, sy = width / info['width'], height / info['height']
    k, p = list(info['K']), list(info['P'])
    for row, s in ((0, sx), (1, sy)):
        k[3 * row] *= s
        k[3 * row + 2] *= s
        p[4 * row] *= s
        p[4 * row + 2] *= s
        p[4 * row + 3] *= s
    return dict(info, width=width, height=height, K=k, P=p)


def uncalibrated(width: int, height: int) -> dict:
    """What camera_info_manager publishes without a calibration: size only, zero matrices."""
    return {'width': width, 'height': height, 'K': [0.0] * 9, 'D': [], 'R': [0.0] * 9, 'P': [0.0] * 12,
            'distortion_model': ''}
