# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Numbers of the running graph for /metrics (Prometheus), /health and /diagnostics. No ROS imports.

One `health()` dict (see WebVideoServer.health) is the single source: the
Prometheus collector below reads it at scrape time, /health returns it as
JSON and the node publishes it on /diagnostics, so the three never disagree.
"""
from __future__ import annotations

import collections
import threading
import time
from typing import Callable, Optional

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, SummaryMetricFamily
from prometheus_client.registry import Collector, CollectorRegistry

PREFIX = 'billiards'
# camera/status JSON keys exported as gauges (name, key, help).
CAMERA_GAUGES = (('camera_fps', 'fps', 'frames per second measured by camera_driver'),
                 ('camera_frames', 'frames', 'frames published since the driver started'),
                 ('camera_dropped', 'dropped', 'frames dropped (corrupt, empty, wrong size)'),
                 ('camera_reconnects', 'reconnects', 'reconnections since the driver started'))
CAMERA_STATES = ('connecting', 'streaming', 'stalled', 'reconnecting', 'failed', 'ended')


class RateMeter:
    """Rate and latency of one result topic from its messages' header stamps.

    Latency = arrival time minus header stamp (the stamp is the camera frame's
    capture time, so this is capture -> result on this host's clock)."""

    def __init__(self, window: float = 5.0):
        self.window = window
        self.count = 0
        self._arrivals: collections.deque = collections.deque()  # (arrival, latency)
        self._last_stamp: Optional[float] = None
        self._lock = threading.Lock()

    def record(self, stamp: float, now: Optional[float] = None) -> None:
        now = time.time() if now is None else now
        with self._lock:
            self.count += 1
            self._last_stamp = stamp
            self._arrivals.append((now, now - stamp if stamp > 0 else None))
            self._trim(now)

    def _trim(self, now: float) -> None:
        while self._arrivals and self._arrivals[0][0] < now - self.window:
            self._arrivals.popleft()

    def snapshot(self, now: Optional[float] = None) -> dict:
        now = time.time() if now is None else now
        with self._lock:
            self._trim(now)
            arrivals = list(self._arrivals)
            last_stamp = self._last_stamp
        latencies = sorted(lat for _, lat in arrivals if lat is not None)
        rate = 0.0
        if len(arrivals) >= 2:
            # Over the whole window, so a stopped publisher's rate falls to 0 within `window`.
            rate = (len(arrivals) - 1) / max(now - arrivals[0][0], arrivals[-1][0] - arrivals[0][0], 1e-6)
        return {'messages': self.count, 'rate_hz': round(rate, 3),
                'latency_s': round(latencies[len(latencies) // 2], 4) if latencies else None,
                'latency_max_s': round(latencies[-1], 4) if latencies else None,
                'age_s': None if last_stamp is None else round(now - last_stamp, 3)}


class HealthCollector(Collector):
    """Prometheus view of a health() dict, read fresh at every scrape."""

    def __init__(self, health: Callable[[], dict]):
        self.health = health

    def collect(self):
        data = self.health()
        yield from self._server(data)
        yield from self._topics(data.get('topics', {}))
        yield from self._camera(data.get('camera'))
        yield from self._results(data.get('results', {}))

    @staticmethod
    def _server(data: dict):
        clients = GaugeMetricFamily(f'{PREFIX}_web_clients', 'HTTP stream and snapshot clients now')
        clients.add_metric([], data.get('clients', 0))
        yield clients
        for key, help_text in (('max_clients', 'limit of concurrent clients (503 past it)'),
                               ('max_topics', 'limit of topics subscribed at once (503 past it)')):
            if key in data:
                g = GaugeMetricFamily(f'{PREFIX}_web_{key}', help_text)
                g.add_metric([], data[key])
                yield g
        refused = CounterMetricFamily(f'{PREFIX}_web_refused', 'requests answered 503 because of a limit',
                                      labels=['limit'])
        for limit, n in data.get('refused', {}).items():
            refused.add_metric([limit], n)
        yield refused

    @staticmethod
    def _topics(topics: dict):
        received = CounterMetricFamily(f'{PREFIX}_web_frames_received', 'frames received per image topic',
                                       labels=['topic'])
        sent = CounterMetricFamily(f'{PREFIX}_web_frames_sent', 'frames sent to clients per topic', labels=['topic'])
        sent_bytes = CounterMetricFamily(f'{PREFIX}_web_bytes_sent', 'image bytes sent to clients per topic',
                                         labels=['topic'])
        encode = SummaryMetricFamily(f'{PREFIX}_web_encode_seconds', 'JPEG/PNG encode time per topic',
                                     labels=['topic'])
        clients = GaugeMetricFamily(f'{PREFIX}_web_topic_clients', 'clients per topic', labels=['topic'])
        age = GaugeMetricFamily(f'{PREFIX}_web_frame_age_seconds', 'age of the newest frame per topic',
                                labels=['topic'])
        for name, t in topics.items():
            received.add_metric([name], t['frames_received'])
            sent.add_metric([name], t['frames_sent'])
            sent_bytes.add_metric([name], t['bytes_sent'])
            encode.add_metric([name], t['encodes'], t['encode_seconds'])
            clients.add_metric([name], t['clients'])
            if t['last_frame_age_s'] is not None:
                age.add_metric([name], t['last_frame_age_s'])
        yield from (received, sent, sent_bytes, encode, clients, age)

    @staticmethod
    def _camera(camera: Optional[dict]):
        if not camera:
            return
        for name, key, help_text in CAMERA_GAUGES:
            value = camera.get(key)
            if isinstance(value, (int, float)):
                g = GaugeMetricFamily(f'{PREFIX}_{name}', help_text)
                g.add_metric([], value)
                yield g
        state = GaugeMetricFamily(f'{PREFIX}_camera_state', 'camera_driver state (1 = the current one)',
                                  labels=['state'])
        for s in CAMERA_STATES:
            state.add_metric([s], 1.0 if camera.get('state') == s else 0.0)
        yield state
        age = camera.get('status_age_s')
        if age is not None:
            g = GaugeMetricFamily(f'{PREFIX}_camera_status_age_seconds', 'seconds since the last camera/status')
            g.add_metric([], age)
            yield g

    @staticmethod
    def _results(results: dict):
        rate = GaugeMetricFamily(f'{PREFIX}_result_rate_hz', 'messages per second on a result topic',
                                 labels=['topic'])
        latency = GaugeMetricFamily(f'{PREFIX}_result_latency_seconds',
                                    'median arrival minus header stamp (capture -> result)', labels=['topic'])
        count = CounterMetricFamily(f'{PREFIX}_result_messages', 'messages received per result topic',
                                    labels=['topic'])
        for name, r in results.items():
            rate.add_metric([name], r['rate_hz'])
            count.add_metric([name], r['messages'])
            if r['latency_s'] is not None:
                latency.add_metric([name], r['latency_s'])
        yield from (rate, latency, count)


def registry_for(health: Callable[[], dict]) -> CollectorRegistry:
    """A registry of its own per server (tests run several servers in one process)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(HealthCollector(health))
    return registry
