"""The admin HTTP API, the same for every router implementation.

    GET  /config   {"stable", "canary", "weight", "cohort", "generation"}
    PUT  /config   any subset of stable, canary, weight, cohort; applied atomically
    GET  /metrics  Prometheus text
    GET  /healthz  {"status": "ok", "generation": N}
"""

from __future__ import annotations

import asyncio
import json
from typing import Protocol

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from .config import RouterConfig
from .errors import ConfigError, RouterError

__all__ = ["RouterControl", "admin_app"]

_PROBLEM = "https://lendops.dev/problems/{slug}"


class RouterControl(Protocol):
    def config(self) -> RouterConfig: ...

    async def apply(self, config: RouterConfig) -> None: ...

    def healthy(self) -> bool:
        """False when the traffic listener is gone (e.g. the haproxy child died)."""


def _problem(status: int, slug: str, title: str, detail: str, **extra: object) -> web.Response:
    body = {"type": _PROBLEM.format(slug=slug), "title": title, "status": status,
            "detail": detail, **extra}
    return web.Response(status=status, text=json.dumps(body),
                        content_type="application/problem+json")


def admin_app(control: RouterControl, registry: CollectorRegistry) -> web.Application:
    lock = asyncio.Lock()

    async def get_config(_: web.Request) -> web.Response:
        return web.json_response(control.config().to_json())

    async def put_config(request: web.Request) -> web.Response:
        try:
            patch = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            return _problem(400, "invalid-json", "Invalid JSON", str(exc))
        # Serialised: two concurrent PUTs must not both build on the same generation.
        async with lock:
            try:
                new = control.config().patched(patch)
            except ConfigError as exc:
                return _problem(422, "invalid-router-config", "Invalid router config",
                                str(exc), field=exc.field)
            try:
                await control.apply(new)
            except RouterError as exc:
                return _problem(502, "router-apply-failed", "Router change failed", str(exc))
        return web.json_response(control.config().to_json())

    async def metrics(_: web.Request) -> web.Response:
        data = await asyncio.to_thread(generate_latest, registry)
        return web.Response(body=data, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def healthz(_: web.Request) -> web.Response:
        generation = control.config().generation
        if not control.healthy():
            return web.json_response({"status": "down", "generation": generation}, status=503)
        return web.json_response({"status": "ok", "generation": generation})

    app = web.Application()
    app.router.add_get("/config", get_config)
    app.router.add_put("/config", put_config)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/healthz", healthz)
    return app
