# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Pairing ground-truth frames with prediction frames.

Synthetic frames pair by ``"frame"`` (int); real frames by ``"image"``. Ground-truth image
paths are absolute; a prediction's image path may be absolute or relative to the data root
(``image_root``), and a relative path that is still not found matches the one ground-truth
path that ends with it (e.g. ``broadcast/game1_clip1/frames/frame_first.png``).
"""
from __future__ import annotations

import os

from .datasets import DatasetError


def frame_key(rec: dict, image_root=None):
    """('frame', n) or ('image', path; resolved absolute when it is or image_root is given)."""
    if 'frame' in rec:
        return ('frame', int(rec['frame']))
    image = str(rec['image'])
    if not os.path.isabs(image) and image_root is not None:
        image = os.path.join(os.path.abspath(str(image_root)), image)
    # realpath: the data loader resolves symlinks, so must the prediction side.
    return ('image', os.path.realpath(image) if os.path.isabs(image) else os.path.normpath(image))


def key_label(key) -> str:
    return str(key[1])


def pair_frames(gt_frames: list[dict], pred_frames: list[dict], image_root=None):
    """[(key, gt, pred | None)] in ground-truth order, and the keys of unused predictions.

    A ground-truth frame without a prediction is paired with None (all misses). Two
    predictions for one frame are an error.
    """
    gt_keys = [frame_key(g) for g in gt_frames]
    if len(set(gt_keys)) != len(gt_keys):
        raise DatasetError('ground truth lists a frame twice')
    gt_set = set(gt_keys)
    image_keys = [k[1] for k in gt_keys if k[0] == 'image']
    preds = {}
    unused = []
    for p in pred_frames:
        key = frame_key(p, image_root)
        if key[0] == 'image' and key not in gt_set and not os.path.isabs(str(p['image'])):
            tail = os.sep + os.path.normpath(str(p['image']))
            hits = [k for k in image_keys if k.endswith(tail)]
            if len(hits) == 1:
                key = ('image', hits[0])
        if key in preds:
            raise DatasetError(f'predictions list frame {key_label(key)} twice')
        preds[key] = p
        if key not in gt_set:
            unused.append(key_label(key))
    return [(k, g, preds.get(k)) for k, g in zip(gt_keys, gt_frames)], unused
