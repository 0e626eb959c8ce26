# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""bench_transport: steady-state accounting and one real publisher/subscriber cell."""
import json
import os
from pathlib import Path

import pytest

from billiards_vision.tools import bench_transport

MS = 1_000_000


def _arrival(seq, latency_ms=5):
    """(seq, arrival ns, publish ns) for frames published every 33 ms."""
    return (seq, seq * 33 * MS + latency_ms * MS, seq * 33 * MS)


def test_summary_counts_only_frames_after_the_first_arrival():
    pub = {'matched': True, 'stamps_ns': [s * 33 * MS for s in range(10)], 'publish_ms': [1.0] * 10}
    # Frames 0-2 are sent before the reader is ready; 5 is lost in the steady state.
    sub = {'arrivals': [_arrival(s) for s in (3, 4, 6, 7, 8, 9)], 'bad_size': 0}
    row = bench_transport.summarize(pub, sub)
    assert (row['sent'], row['received'], row['lost']) == (10, 6, 1)
    assert row['lost_pct'] == pytest.approx(100 / 7)
    assert row['offered_fps'] == pytest.approx(1000 / 33)
    assert row['delivered_fps'] == pytest.approx(5 / (6 * 0.033))
    assert row['latency_p50_ms'] == pytest.approx(5.0)


def test_summary_without_arrivals_reports_every_frame_lost():
    pub = {'matched': True, 'stamps_ns': [s * 33 * MS for s in range(4)], 'publish_ms': [2.0] * 4}
    row = bench_transport.summarize(pub, {'arrivals': [], 'bad_size': 0})
    assert (row['received'], row['lost'], row['lost_pct']) == (0, 4, 100.0)
    assert row['latency_p50_ms'] is None


def test_config_env_parses_labels_and_rejects_garbage():
    configs = bench_transport.config_envs(['udp:FASTRTPS_DEFAULT_PROFILES_FILE=/x.xml,A=1'])
    assert configs['udp'] == {'FASTRTPS_DEFAULT_PROFILES_FILE': '/x.xml', 'A': '1'}
    assert configs['default'] == {}
    with pytest.raises(SystemExit):
        bench_transport.config_envs(['broken:NOVALUE'])


def _children() -> list:
    me = str(os.getpid())
    found = []
    for stat in Path('/proc').glob('[0-9]*/stat'):
        try:
            fields = stat.read_text().rsplit(')', 1)[1].split()
        except OSError:
            continue  # the process ended while we looked
        if fields[1] == me and fields[0] != 'Z':
            found.append(stat.parent.name)
    return found


def test_one_cell_across_two_processes(capsys):
    before = _children()
    assert bench_transport.main(['--configs', 'shipped', '--qos', 'reliable', '--resolutions', '640x480',
                                 '--duration', '1', '--domain', '91', '--json']) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r['config'], r['qos'], r['resolution']) for r in rows] == [('shipped', 'reliable', '640x480')]
    row = rows[0]
    assert row['matched'] and row['sent'] > 0 and row['received'] > 0 and row['bad_size'] == 0
    assert row['received'] + row['lost'] <= row['sent']
    assert row['latency_p50_ms'] > 0
    assert set(_children()) <= set(before)  # both bench processes were reaped
