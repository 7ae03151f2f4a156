"""Runs a router process: the traffic listener (Python or HAProxy) plus the admin API,
until SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from aiohttp import web
from prometheus_client import CollectorRegistry

from .admin import admin_app
from .config import RouterConfig
from .errors import RouterError
from .haproxy import HAProxyRouter, HAProxyStatsCollector
from .metrics import RouterMetrics
from .proxy import ProxySettings, PythonRouter

__all__ = ["Impl", "RouterSettings", "run_router", "serve"]

log = logging.getLogger("lendops.router")

Impl = Literal["python", "haproxy"]


@dataclass(frozen=True)
class RouterSettings:
    """listen/admin: (host, port) pairs; workdir: where HAProxy's files go (a temporary
    directory when None); proxy: timeouts and pools of the Python router."""

    listen: tuple[str, int]
    admin: tuple[str, int]
    impl: Impl = "python"
    workdir: Path | None = None
    proxy: ProxySettings = field(default_factory=ProxySettings)


async def serve(config: RouterConfig, settings: RouterSettings, stop: asyncio.Event) -> None:
    registry = CollectorRegistry()
    runners: list[web.BaseRunner] = []
    tmp: tempfile.TemporaryDirectory[str] | None = None
    control: PythonRouter | HAProxyRouter
    try:
        if settings.impl == "python":
            metrics = RouterMetrics(registry)
            control = PythonRouter(config, metrics, settings.proxy)
            server = web.Server(control.handle, access_log=None)
            runner: web.BaseRunner = web.ServerRunner(server, access_log=None)
            await runner.setup()
            runners.append(runner)
            await web.TCPSite(runner, *settings.listen, backlog=1024).start()
        else:
            workdir = settings.workdir
            if workdir is None:
                tmp = tempfile.TemporaryDirectory(prefix="lendops-haproxy-")
                workdir = Path(tmp.name)
            metrics = RouterMetrics(registry, with_requests=False)
            control = HAProxyRouter(
                config, metrics, listen=settings.listen, workdir=workdir,
                connect_timeout_s=settings.proxy.connect_timeout,
                server_timeout_s=settings.proxy.read_timeout,
            )
            await asyncio.to_thread(control.start)
            registry.register(HAProxyStatsCollector(control))
        admin_runner = web.AppRunner(admin_app(control, registry), access_log=None)
        await admin_runner.setup()
        runners.append(admin_runner)
        await web.TCPSite(admin_runner, *settings.admin).start()
        if isinstance(control, HAProxyRouter):
            watchdog = asyncio.get_running_loop().create_task(_watch_haproxy(control, stop))
            try:
                await stop.wait()
            finally:
                watchdog.cancel()
        else:
            await stop.wait()
    finally:
        for r in reversed(runners):
            await r.cleanup()
        if "control" in locals():
            await control.close()
        if tmp is not None:
            tmp.cleanup()


async def _watch_haproxy(control: HAProxyRouter, stop: asyncio.Event,
                         interval: float = 0.5, max_restarts: int = 5) -> None:
    """Restart a haproxy child that died, with the config in force (so the split the
    controller set survives); give up, and end the router, after ``max_restarts``."""
    restarts = 0
    while not stop.is_set():
        await asyncio.sleep(interval)
        if control.healthy():
            continue
        if restarts >= max_restarts:
            log.error("haproxy died %d times; stopping the router", restarts)
            stop.set()
            return
        restarts += 1
        log.warning("haproxy exited; restarting it (%d/%d)", restarts, max_restarts)
        try:
            await asyncio.to_thread(control.stop)
            await asyncio.to_thread(control.start)
        except RouterError as exc:
            log.error("haproxy restart failed: %s", exc)


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    # uvloop (libuv) cuts the Python router's added latency several-fold (bench/); the
    # router still runs on the standard loop where uvloop is missing or
    # LENDOPS_ROUTER_LOOP=asyncio asks for it.
    if os.environ.get("LENDOPS_ROUTER_LOOP", "uvloop") == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def run_router(config: RouterConfig, settings: RouterSettings) -> None:
    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await serve(config, settings, stop)

    factory = _loop_factory()
    if factory is None:
        asyncio.run(main())
    else:
        with asyncio.Runner(loop_factory=factory) as runner:
            runner.run(main())
