# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""HTTP side of the web video server (aiohttp). No ROS imports.

Endpoints follow web_video_server: `/` (topic list), `/stream`,
`/stream_viewer`, `/snapshot`, plus `/topics` and `/health` (JSON).
The ROS side is reached only through a `hub` object:
  hub.acquire(topic, qos_profile) -> TopicFrames  (one per topic, shared; raises Refused)
  hub.release(topic)   (the TopicFrames.topic that acquire returned)
  hub.image_topics() -> list[(name, type)]   (topics some other node publishes)
  hub.health() -> dict
Topic names are checked against the ROS rules here, before the hub sees them.
The server never reads or writes files.
"""
from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import quote

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from .frames import FrameError, Refused, TopicFrames
from .metrics import registry_for

BOUNDARY = 'billiardsframe'
STREAM_TYPES = {'mjpeg': ('jpeg', 'image/jpeg'), 'png': ('png', 'image/png')}
UNSUPPORTED_TYPES = ('ros_compressed', 'vp8', 'vp9', 'h264')
QOS_PROFILES = ('default', 'system_default', 'sensor_data')
TRANSPORTS = ('raw', 'compressed')
MAX_SIDE = 8192
# rmw's limit on a fully qualified topic name (255 minus the DDS prefix).
TOPIC_MAX_LENGTH = 247
_TOKEN = re.compile(r'[A-Za-z_][A-Za-z0-9_]*')
TOPIC_RULES = ('a topic name is /-separated tokens of ASCII letters, digits and _, no token starting with a '
               f'digit, no empty token, at most {TOPIC_MAX_LENGTH} characters, e.g. /camera/image_raw')
# What the front page shows large, first one present wins.
PREFERRED_TOPICS = ('/vision/image_annotated', '/camera/image_raw')
NO_CACHE = {'Cache-Control': 'no-cache, no-store, must-revalidate, max-age=0', 'Pragma': 'no-cache',
            'Expires': '0', 'Access-Control-Allow-Origin': '*'}
log = logging.getLogger('web_video_server')


class ClientErrorFilter(logging.Filter):
    """aiohttp logs a traceback for every malformed request it answers with a 4xx (line too long, bad
    method, broken headers). That is the client's mistake, not a fault of the server: one warning line."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError) and 400 <= (exc.code or 500) < 500:
            record.msg, record.args = f'{record.getMessage()}: {exc.code} {exc.message}'[:500], ()
            record.levelno, record.levelname = logging.WARNING, 'WARNING'
            record.exc_info = record.exc_text = None
        return True


def _quiet_client_errors() -> None:
    server_log = logging.getLogger('aiohttp.server')
    if not any(isinstance(f, ClientErrorFilter) for f in server_log.filters):
        server_log.addFilter(ClientErrorFilter())


@dataclass
class ServerSettings:
    default_stream_type: str = 'mjpeg'
    quality: int = 80
    max_fps: float = 30.0
    write_timeout: float = 10.0
    snapshot_timeout: float = 2.0
    default_qos_profile: str = 'sensor_data'
    max_clients: int = 20


class BadRequest(web.HTTPBadRequest):
    def __init__(self, reason: str):
        super().__init__(text=reason + '\n', content_type='text/plain')


@dataclass
class StreamRequest:
    topic: str
    fmt: str
    mime: str
    width: int
    height: int
    quality: int
    fps: float
    invert: bool
    qos_profile: str
    transport: str


def _number(query, name: str, default, lo, hi, kind=int):
    """Query parameter `name` as `kind` (int or float) within [lo, hi]; BadRequest otherwise."""
    raw = query.get(name)
    if raw is None or raw == '':
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise BadRequest(f"{name} must be {'an integer' if kind is int else 'a number'}, got {raw!r}") from None
    if not lo <= value <= hi:
        shown = raw if len(raw) <= 24 else raw[:24] + '...'  # a huge int cannot even be formatted as float
        raise BadRequest(f'{name} must be between {lo:g} and {hi:g}, got {shown}')
    return value


def topic_name_problem(topic: str) -> str | None:
    """Why `topic` is not a valid fully qualified ROS topic name (rmw's rules), or None."""
    if len(topic) > TOPIC_MAX_LENGTH:
        return f'longer than {TOPIC_MAX_LENGTH} characters'
    if not topic.startswith('/'):
        return 'not starting with /'
    for token in topic[1:].split('/'):
        if not token:
            return 'an empty token (// or a trailing /)'
        if not _TOKEN.fullmatch(token):
            return (f'token {token[:40]!r} starts with a digit' if token[0].isdigit() and token.isascii()
                    else f'token {token[:40]!r} has characters other than ASCII letters, digits and _')
    return None


def parse_stream_request(query, settings: ServerSettings, stream: bool = True) -> StreamRequest:
    """Validate query parameters; raises BadRequest (400) with the reason."""
    topic = query.get('topic', '')
    if not topic:
        raise BadRequest('missing required query parameter: topic (e.g. ?topic=/camera/image_raw)')
    if not topic.startswith('/'):
        topic = '/' + topic
    transport = query.get('default_transport', 'raw')
    if transport not in TRANSPORTS:
        raise BadRequest(f'unknown default_transport {transport!r}; allowed: {", ".join(TRANSPORTS)}')
    if transport == 'compressed' and not topic.endswith('/compressed'):
        topic += '/compressed'  # image_transport's name for the compressed variant
    problem = topic_name_problem(topic)
    if problem:
        raise BadRequest(f'invalid topic name {topic[:300]!r}: {problem}; {TOPIC_RULES}')
    kind = query.get('type', settings.default_stream_type) if stream else 'mjpeg'
    if kind in UNSUPPORTED_TYPES:
        raise BadRequest(f'stream type {kind!r} is not supported here; supported: {", ".join(STREAM_TYPES)}')
    if kind not in STREAM_TYPES:
        raise BadRequest(f'unknown stream type {kind!r}; supported: {", ".join(STREAM_TYPES)}')
    fmt, mime = STREAM_TYPES[kind]
    invert = query.get('invert', 'false').lower()
    if invert not in ('', 'true', 'false', '1', '0'):
        raise BadRequest(f'invert must be true or false, got {invert!r}')
    qos = query.get('qos_profile', settings.default_qos_profile)
    if qos not in QOS_PROFILES:
        raise BadRequest(f'unknown qos_profile {qos!r}; allowed: {", ".join(QOS_PROFILES)}')
    return StreamRequest(
        topic=topic, fmt=fmt, mime=mime,
        width=_number(query, 'width', 0, 0, MAX_SIDE), height=_number(query, 'height', 0, 0, MAX_SIDE),
        quality=_number(query, 'quality', settings.quality, 1, 100),
        fps=_number(query, 'fps', settings.max_fps, 0.1, settings.max_fps, float),
        invert=invert in ('true', '1'), qos_profile=qos, transport=transport)


class VideoServer:
    """aiohttp application serving the hub's topics."""

    def __init__(self, hub, settings: ServerSettings, encoder_threads: int = 2):
        self.hub = hub
        self.settings = settings
        self.encoder = ThreadPoolExecutor(max_workers=encoder_threads, thread_name_prefix='mjpeg-encode')
        self.started = time.time()
        self.clients = 0
        self.parts_sent = 0
        self.refused = {'max_clients': 0, 'max_topics': 0}
        self.registry = registry_for(self.health_data)
        _quiet_client_errors()
        self.app = web.Application(middlewares=[self._errors])
        self.app.add_routes([
            web.get('/', self.index), web.get('/stream', self.stream, allow_head=False),
            web.get('/stream_viewer', self.stream_viewer), web.get('/snapshot', self.snapshot, allow_head=False),
            web.get('/topics', self.topics), web.get('/health', self.health), web.get('/metrics', self.metrics),
        ])

    @web.middleware
    async def _errors(self, request, handler):
        # Every endpoint is a GET without a body; a body is refused before any work is done.
        if request.body_exists or 'Transfer-Encoding' in request.headers:
            raise web.HTTPBadRequest(text='requests to this server take no body\n')
        try:
            return await handler(request)
        except web.HTTPNotFound:
            raise web.HTTPNotFound(text=f'no such page: {request.path[:200]}; see / for the topic list\n')
        except web.HTTPMethodNotAllowed as exc:
            raise web.HTTPMethodNotAllowed(request.method, exc.allowed_methods,
                                           text=f'{request.method} is not allowed here; use GET\n')
        except Refused as exc:
            if exc.status == 503:
                self.refused['max_topics'] += 1
                raise web.HTTPServiceUnavailable(text=exc.reason + '\n', headers={'Retry-After': '5'})
            raise BadRequest(exc.reason) from None

    def _admit(self) -> None:
        """503 past `max_clients` concurrent streams and snapshots."""
        if self.clients >= self.settings.max_clients:
            self.refused['max_clients'] += 1
            raise web.HTTPServiceUnavailable(
                text=f'{self.clients} clients are watching, the limit (max_clients) is '
                     f'{self.settings.max_clients}; try again later\n', headers={'Retry-After': '5'})

    async def index(self, request: web.Request) -> web.Response:
        topics = self.hub.image_topics()
        rows = []
        for name, kind in topics:
            q = quote(name, safe='/')
            rows.append(f'<li><b>{html.escape(name)}</b> <small>({html.escape(kind)})</small> '
                        f'<a href="/stream_viewer?topic={q}">viewer</a> '
                        f'<a href="/stream?topic={q}">stream</a> <a href="/snapshot?topic={q}">snapshot</a></li>')
        names = [n for n, _ in topics]
        main = next((t for t in PREFERRED_TOPICS if t in names), names[0] if names else None)
        view = (f'<img id="main" alt="{html.escape(main)}" style="max-width:100%" '
                f'src="/stream?topic={quote(main, safe="/")}&amp;width=1280">' if main else '')
        body = ('<!doctype html><html><head><meta charset="utf-8"><title>billiards_vision</title></head>'
                '<body style="font-family:sans-serif"><h1>billiards_vision</h1>' + view +
                '<h2>Image topics</h2><ul id="topics">' + ''.join(rows or ['<li>no image topics yet</li>']) +
                '</ul><p><a href="/health">health</a> &middot; <a href="/metrics">metrics</a> &middot; '
                '<a href="/topics">topics (JSON)</a></p></body></html>')
        return web.Response(text=body, content_type='text/html', headers=NO_CACHE)

    async def stream_viewer(self, request: web.Request) -> web.Response:
        req = parse_stream_request(request.query, self.settings)
        src = '/stream?' + request.query_string
        body = ('<!doctype html><html><head><meta charset="utf-8"><title>' + html.escape(req.topic) +
                '</title></head><body style="margin:0;background:#222"><img id="stream" style="max-width:100%" src="' +
                html.escape(src) + '"></body></html>')
        return web.Response(text=body, content_type='text/html', headers=NO_CACHE)

    async def topics(self, request: web.Request) -> web.Response:
        return web.json_response([{'name': n, 'type': t} for n, t in self.hub.image_topics()], headers=NO_CACHE)

    def health_data(self) -> dict:
        data = {'status': 'ok', 'uptime_s': round(time.time() - self.started, 3), 'clients': self.clients,
                'max_clients': self.settings.max_clients, 'parts_sent': self.parts_sent,
                'refused': dict(self.refused)}
        data.update(self.hub.health())
        return data

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response(self.health_data(), headers=NO_CACHE)

    async def metrics(self, request: web.Request) -> web.Response:
        body = generate_latest(self.registry)
        return web.Response(body=body, headers={**NO_CACHE, 'Content-Type': CONTENT_TYPE_LATEST})

    async def snapshot(self, request: web.Request) -> web.Response:
        req = parse_stream_request(request.query, self.settings, stream=False)
        self._admit()
        frames = self.hub.acquire(req.topic, req.qos_profile)
        self.clients += 1
        try:
            loop = asyncio.get_running_loop()
            frame = await loop.run_in_executor(None, frames.wait_newer, -1, self.settings.snapshot_timeout)
            if frame is None:
                raise web.HTTPServiceUnavailable(
                    text=f'no image on {req.topic} within {self.settings.snapshot_timeout:g} s\n')
            data = await self._encode(frame, req, frames)
        finally:
            self.clients -= 1
            self.hub.release(frames.topic)
        frames.count_sent(len(data))
        return web.Response(body=data, content_type=req.mime,
                            headers={**NO_CACHE, 'X-Timestamp': f'{frame.stamp:.6f}'})

    async def _encode(self, frame, req: StreamRequest, frames: TopicFrames) -> bytes:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self.encoder, frame.encoded, req.fmt, req.width, req.height,
                                              req.quality, req.invert, frames)
        except FrameError as exc:
            raise web.HTTPUnprocessableEntity(text=f'cannot encode frame of {req.topic}: {exc}\n') from exc

    async def stream(self, request: web.Request) -> web.StreamResponse:
        req = parse_stream_request(request.query, self.settings)
        self._admit()
        frames: TopicFrames = self.hub.acquire(req.topic, req.qos_profile)
        loop = asyncio.get_running_loop()
        event = asyncio.Event()

        def notify():
            loop.call_soon_threadsafe(event.set)

        frames.add_listener(notify)
        self.clients += 1
        resp = web.StreamResponse(status=200, headers={
            **NO_CACHE, 'Content-Type': f'multipart/x-mixed-replace;boundary={BOUNDARY}', 'Connection': 'close'})
        try:
            await resp.prepare(request)
            await self._stream_parts(request, resp, frames, req, event)
        except (ConnectionResetError, ConnectionError) as exc:
            log.info('client %s left %s: %s', request.remote, req.topic, exc)
        except asyncio.TimeoutError:
            log.warning('client %s on %s did not take a frame within %.1f s; dropped',
                        request.remote, req.topic, self.settings.write_timeout)
        finally:
            frames.remove_listener(notify)
            self.clients -= 1
            self.hub.release(frames.topic)
        return resp

    async def _stream_parts(self, request, resp, frames: TopicFrames, req: StreamRequest, event) -> None:
        loop = asyncio.get_running_loop()
        period = 1.0 / req.fps
        seq, due = -1, 0.0
        while True:
            # A dead client is noticed here within a second even when no frame comes.
            if request.transport is None or request.transport.is_closing():
                return
            frame = frames.latest
            if frame is None or frame.seq <= seq:
                event.clear()
                frame = frames.latest
                if frame is None or frame.seq <= seq:
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(event.wait(), timeout=1.0)
                    continue
            now = loop.time()
            if now < due:  # rate limit: wait, then send whatever is newest then
                await asyncio.sleep(due - now)
                continue
            try:
                data = await loop.run_in_executor(self.encoder, frame.encoded, req.fmt, req.width, req.height,
                                                  req.quality, req.invert, frames)
            except FrameError as exc:
                log.warning('skipping a frame of %s: %s', req.topic, exc)
                seq = frame.seq
                continue
            head = (f'--{BOUNDARY}\r\nContent-Type: {req.mime}\r\nContent-Length: {len(data)}\r\n'
                    f'X-Timestamp: {frame.stamp:.6f}\r\n\r\n').encode()
            # Slow clients: the write waits, frames arriving meanwhile replace each other,
            # so the client gets the newest one next, never a backlog.
            await asyncio.wait_for(resp.write(head + data + b'\r\n'), self.settings.write_timeout)
            self.parts_sent += 1
            frames.count_sent(len(data))
            seq = frame.seq
            due = max(now, due) + period
            if due < now:
                due = now
