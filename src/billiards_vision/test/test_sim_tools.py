# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""The `simulate` tool: video, ground truth, camera_info and rosbag2 output."""
import json

import cv2
import numpy as np
import pytest
import yaml

from billiards_vision.sim.bench import bench
from billiards_vision.tools import simulate

GT_KEYS = {'frame', 't', 'image_size', 'camera', 'table', 'balls', 'cue', 'markers_px'}
BALL_KEYS = {'id', 'number', 'type', 'x', 'y', 'radius', 'position_m', 'velocity_mps', 'visible', 'pocketed'}


def test_break_for_ten_seconds_writes_video_and_300_truth_lines(tmp_path):
    out = tmp_path / 'break'
    code = simulate.main(['--scenario', 'break', '--seconds', '10', '--resolution', '320x180', '--seed', '3',
                          '--out', str(out), '--quiet'])
    assert code == 0
    videos = list(out.glob('video.*'))
    assert len(videos) == 1
    cap = cv2.VideoCapture(str(videos[0]))
    frames = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        assert frame.shape == (180, 320, 3)
        frames += 1
    cap.release()
    assert frames == 300
    lines = (out / 'ground_truth.jsonl').read_text().splitlines()
    assert len(lines) == 300
    truths = [json.loads(line) for line in lines]
    assert [t['frame'] for t in truths] == list(range(300))
    assert truths[-1]['t'] == pytest.approx(299 / 30.0)
    for t in truths:
        assert set(t) == GT_KEYS
        assert t['image_size'] == [320, 180]
        assert len(t['table']['corners_px']) == 4 and len(t['table']['pockets_px']) == 6
        for b in t['balls']:
            assert set(b) == BALL_KEYS
    assert len(truths[0]['balls']) == 16
    # The break happens in these ten seconds: the cue appears and balls move.
    assert any(t['cue'] is not None for t in truths)
    assert max(np.hypot(*b['velocity_mps']) for t in truths for b in t['balls']) > 10.0
    info = yaml.safe_load((out / 'camera_info.yaml').read_text())
    assert info['image_width'] == 320 and info['image_height'] == 180
    assert info['distortion_model'] == 'plumb_bob'
    assert np.allclose(np.reshape(info['camera_matrix']['data'], (3, 3)), truths[0]['camera']['K'])
    assert len(info['projection_matrix']['data']) == 12


def test_bag_has_one_image_and_camera_info_per_frame(tmp_path):
    from rosbags.rosbag2 import Reader
    from rosbags.typesys import Stores, get_typestore
    out = tmp_path / 'bagged'
    assert simulate.main(['--scenario', 'rack', '--seconds', '1', '--fps', '15', '--resolution', '160x96',
                          '--out', str(out), '--bag', '--quiet']) == 0
    typestore = get_typestore(Stores.ROS2_JAZZY)
    counts, stamps = {}, []
    with Reader(out / 'bag') as reader:
        for conn, stamp, raw in reader.messages():
            msg = typestore.deserialize_cdr(raw, conn.msgtype)
            counts[conn.topic] = counts.get(conn.topic, 0) + 1
            if conn.topic == '/camera/image_raw':
                assert (msg.width, msg.height, msg.encoding) == (160, 96, 'bgr8')
                assert msg.data.size == 160 * 96 * 3
                assert msg.header.stamp.sec * 10**9 + msg.header.stamp.nanosec == stamp
                stamps.append(stamp)
            else:
                assert msg.k.shape == (9,) and msg.distortion_model == 'plumb_bob'
    assert counts == {'/camera/image_raw': 15, '/camera/camera_info': 15}
    assert np.allclose(np.diff(stamps), 1e9 / 15, atol=1)


def test_bad_arguments_fail_with_a_message(tmp_path, capsys):
    with pytest.raises(SystemExit):
        simulate.main(['--scenario', 'snooker', '--out', str(tmp_path)])
    with pytest.raises(SystemExit):
        simulate.main(['--resolution', '12x', '--out', str(tmp_path)])
    assert simulate.main(['--seconds', '0', '--out', str(tmp_path)]) == 2
    assert 'positive' in capsys.readouterr().err


def test_bench_reports_frame_times():
    result = bench(160, 96, 5, 'rack')
    assert 0 < result['median_ms'] <= result['p95_ms'] <= result['max_ms']
