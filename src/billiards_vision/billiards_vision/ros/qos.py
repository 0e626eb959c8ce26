# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""QoS profiles of the graph (REP-2003).

Images use sensor-data QoS (best effort, keep last 5): a late frame is worth
less than the next one; subscribers that draw or check only the newest frame
keep 1. Results are reliable; the table changes rarely and is
latched (transient local) so late joiners get it at once.
"""
from rclpy.qos import (DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy,
                       qos_profile_sensor_data)

SENSOR_QOS = qos_profile_sensor_data
RESULT_QOS = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=10,
                        reliability=ReliabilityPolicy.RELIABLE,
                        durability=DurabilityPolicy.VOLATILE)
# A subscriber that only ever wants the newest frame (overlay, table check): depth 1, so a frame
# it has not taken yet is replaced by the next one instead of queueing (no stale frames drawn
# late, none taken only to be skipped).
NEWEST_FRAME_QOS = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=1,
                              reliability=ReliabilityPolicy.BEST_EFFORT,
                              durability=DurabilityPolicy.VOLATILE)
LATCHED_QOS = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=1,
                         reliability=ReliabilityPolicy.RELIABLE,
                         durability=DurabilityPolicy.TRANSIENT_LOCAL)

_NAMED = {
    'sensor_data': SENSOR_QOS,
    'default': RESULT_QOS,
    'system_default': QoSProfile(depth=10),
    'reliable': RESULT_QOS,
    'latched': LATCHED_QOS,
}
QOS_NAMES = tuple(_NAMED)


def qos_by_name(name: str) -> QoSProfile:
    """Profile for a web_video_server-style `qos_profile` name."""
    try:
        return _NAMED[name]
    except KeyError:
        raise ValueError(f'unknown QoS profile {name!r}; allowed: {", ".join(QOS_NAMES)}') from None
