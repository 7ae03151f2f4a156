"""The Python router: an aiohttp reverse proxy in front of stable and canary.

aiohttp is used on both sides because its HTTP parser is C (llhttp) and its client keeps
a keep-alive pool per backend; both set TCP_NODELAY on every socket (Nagle + delayed ACK
otherwise stalls keep-alive traffic at ~25 req/s).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

from .config import RouterConfig
from .metrics import RouterMetrics, code_class
from .problem import problem_body
from .routing import Track, choose_track

__all__ = ["Backend", "BackendPool", "ProxySettings", "PythonRouter"]

_HOP_BY_HOP = frozenset(
    {
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
        "proxy-connection", "te", "trailer", "trailers", "transfer-encoding", "upgrade",
        # Answered by the router itself (see _continue); the backend gets the body at once.
        "expect",
    }
)
# Bodies up to this size are read whole: one write each way is cheaper than streaming.
_BUFFER_LIMIT = 1 << 20
_CHUNK = 1 << 16


@dataclass(frozen=True)
class ProxySettings:
    """connect_timeout: seconds to open a backend connection (then 502).
    read_timeout: seconds to wait for backend bytes (then 504).
    keepalive_timeout: idle pooled connections are closed after this; keep it below the
        backend's own idle timeout (gunicorn: 2 s) so the router never reuses a socket the
        backend is closing.
    pool_limit: connections per backend."""

    connect_timeout: float = 2.0
    read_timeout: float = 30.0
    keepalive_timeout: float = 1.5
    pool_limit: int = 256


class Backend:
    """One backend URL with its own keep-alive pool and an in-flight count."""

    def __init__(self, url: str, settings: ProxySettings) -> None:
        self.url = url
        self.inflight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        connector = aiohttp.TCPConnector(
            limit=settings.pool_limit,
            keepalive_timeout=settings.keepalive_timeout,
            ttl_dns_cache=300,
        )
        self.session = aiohttp.ClientSession(
            connector=connector,
            auto_decompress=False,
            timeout=aiohttp.ClientTimeout(
                total=None, connect=settings.connect_timeout, sock_read=settings.read_timeout
            ),
            # Forward exactly what the client sent: no invented User-Agent or Accept.
            skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
            cookie_jar=aiohttp.DummyCookieJar(),
        )

    def acquire(self) -> None:
        self.inflight += 1
        self._idle.clear()

    def release(self) -> None:
        self.inflight -= 1
        if self.inflight == 0:
            self._idle.set()

    async def close_when_idle(self) -> None:
        await self._idle.wait()
        await self.session.close()


class BackendPool:
    """Backends by URL. A backend no longer named by the config is closed once its last
    in-flight request has finished, so a repoint drops nothing."""

    def __init__(self, settings: ProxySettings) -> None:
        self._settings = settings
        self._backends: dict[str, Backend] = {}
        self._closing: set[asyncio.Task[None]] = set()

    def get(self, url: str) -> Backend:
        backend = self._backends.get(url)
        if backend is None:
            backend = self._backends[url] = Backend(url, self._settings)
        return backend

    def retire_unused(self, config: RouterConfig) -> None:
        for url in list(self._backends):
            if url not in (config.stable, config.canary):
                task = asyncio.get_running_loop().create_task(
                    self._backends.pop(url).close_when_idle()
                )
                self._closing.add(task)
                task.add_done_callback(self._closing.discard)

    async def close(self) -> None:
        for backend in self._backends.values():
            await backend.session.close()
        self._backends.clear()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)


def _forward_headers(request: web.BaseRequest) -> CIMultiDict[str]:
    drop = set(_HOP_BY_HOP)
    for token in request.headers.getall("Connection", []):
        drop.update(t.strip().lower() for t in token.split(","))
    headers: CIMultiDict[str] = CIMultiDict(
        (k, v) for k, v in request.headers.items() if k.lower() not in drop
    )
    peer = request.remote or ""
    prior = ", ".join(request.headers.getall("X-Forwarded-For", []))
    headers["X-Forwarded-For"] = f"{prior}, {peer}" if prior else peer
    headers.setdefault("X-Forwarded-Proto", request.scheme)
    if request.host:
        headers.setdefault("X-Forwarded-Host", request.host)
    return headers


def _response_headers(upstream: aiohttp.ClientResponse, *, keep_length: bool) -> CIMultiDict[str]:
    drop = set(_HOP_BY_HOP)
    for token in upstream.headers.getall("Connection", []):
        drop.update(t.strip().lower() for t in token.split(","))
    if not keep_length:
        drop.add("content-length")
    return CIMultiDict((k, v) for k, v in upstream.headers.items() if k.lower() not in drop)


async def _continue(request: web.BaseRequest) -> None:
    # The low-level server does not answer `Expect: 100-continue` (the URL dispatcher
    # would); without this, curl waits a second before sending a large body.
    if (request.version >= (1, 1) and request.body_exists
            and request.headers.get("Expect", "").lower() == "100-continue"):
        await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        request.writer.output_size = 0


async def _stream_body(request: web.BaseRequest) -> AsyncIterator[bytes]:
    async for chunk in request.content.iter_chunked(_CHUNK):
        yield chunk


class PythonRouter:
    """Holds the config snapshot, the backend pools and the metrics; ``handle`` is the
    aiohttp low-level handler of the traffic listener."""

    def __init__(
        self,
        config: RouterConfig,
        metrics: RouterMetrics,
        settings: ProxySettings | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._config = config
        self._split = config.split
        self._metrics = metrics
        self._pool = BackendPool(settings or ProxySettings())
        self._randbelow = (rng or random.Random()).randrange
        metrics.observe_config(config)

    def config(self) -> RouterConfig:
        return self._config

    def healthy(self) -> bool:
        return True  # the listener lives in this very process

    async def apply(self, config: RouterConfig) -> None:
        # One reference swap: a request reads config and backend without awaiting in
        # between, so it sees either the old config or the new one, never a mix.
        self._config, self._split = config, config.split
        self._pool.retire_unused(config)
        self._metrics.observe_config(config)

    async def close(self) -> None:
        await self._pool.close()

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        started = time.perf_counter()
        config = self._config
        track: Track = choose_track(self._split, request.headers, self._randbelow)
        backend = self._pool.get(config.stable if track == "stable" else config.canary)
        backend.acquire()
        status = 500
        try:
            response = await self._forward(request, backend, track)
            status = response.status
            return response
        finally:
            backend.release()
            self._metrics.requests.labels(track, code_class(status)).inc()
            self._metrics.duration.labels(track).observe(time.perf_counter() - started)

    async def _forward(
        self, request: web.BaseRequest, backend: Backend, track: Track
    ) -> web.StreamResponse:
        headers = _forward_headers(request)
        await _continue(request)
        body: bytes | AsyncIterator[bytes] | None = None
        if request.body_exists:
            length = request.content_length
            if length is not None and length <= _BUFFER_LIMIT:
                body = await request.read()
            else:
                body = _stream_body(request)
        url = URL(backend.url + request.raw_path, encoded=True)
        # aiohttp retries idempotent methods on a stale pooled connection itself; a POST
        # is retried only when it carries an Idempotency-Key, whose replay is safe.
        attempts = 2 if isinstance(body, bytes) and "Idempotency-Key" in request.headers else 1
        for attempt in range(attempts):
            try:
                async with backend.session.request(
                    request.method, url, headers=headers, data=body, allow_redirects=False
                ) as upstream:
                    return await self._relay(request, upstream, track)
            except aiohttp.ServerDisconnectedError as exc:
                if attempt + 1 < attempts:
                    continue
                return self._fail(502, track, "disconnected", backend, exc)
            except (asyncio.TimeoutError, aiohttp.ServerTimeoutError) as exc:
                return self._fail(504, track, "timeout", backend, exc)
            except aiohttp.ClientError as exc:
                return self._fail(502, track, "unreachable", backend, exc)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _relay(
        self, request: web.BaseRequest, upstream: aiohttp.ClientResponse, track: Track
    ) -> web.StreamResponse:
        length = upstream.content_length
        no_body = request.method == "HEAD" or upstream.status in (204, 304)
        if not no_body and length is not None and length <= _BUFFER_LIMIT:
            data = await upstream.read()
            return web.Response(
                status=upstream.status, reason=upstream.reason, body=data,
                headers=_response_headers(upstream, keep_length=False),
            )
        response = web.StreamResponse(
            status=upstream.status, reason=upstream.reason,
            headers=_response_headers(upstream, keep_length=no_body),
        )
        await response.prepare(request)
        if not no_body:
            try:
                async for chunk in upstream.content.iter_chunked(_CHUNK):
                    await response.write(chunk)
            except (aiohttp.ClientError, asyncio.TimeoutError):
                # Headers are out: cutting the connection is the only honest signal left
                # (the client sees a truncated body, never a silently short one).
                self._metrics.upstream_errors.labels(track, "cut").inc()
                if request.transport is not None:
                    request.transport.abort()
                return response
        await response.write_eof()
        return response

    def _fail(
        self, status: int, track: Track, reason: str, backend: Backend, exc: BaseException
    ) -> web.Response:
        self._metrics.upstream_errors.labels(track, reason).inc()
        detail = f"{track} backend {backend.url}: {reason} ({type(exc).__name__})"
        return web.Response(
            status=status, body=problem_body(status, detail, track=track),
            content_type="application/problem+json",
        )
