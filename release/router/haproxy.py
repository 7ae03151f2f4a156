"""The HAProxy router: an haproxy child process driven through its runtime API.

The Python admin process owns the haproxy process (it dies with it: PDEATHSIG), keeps
the RouterConfig, and turns each change into runtime commands; nothing is reloaded.
"""

from __future__ import annotations

import asyncio
import ctypes
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from .config import RouterConfig
from .errors import RouterStartError
from .haproxy_config import HAProxyFiles, host_port, map_entries, write_files
from .haproxy_runtime import RuntimeAPI
from .metrics import RouterMetrics

__all__ = ["HAProxyRouter", "HAProxyStatsCollector"]

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # Runs in the child before exec: an orphaned haproxy would keep the port bound.
    # PDEATHSIG follows the spawning *thread*; haproxy is started from the loop's
    # executor threads, which live as long as the router (and the watchdog restarts
    # haproxy should one ever go).
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class HAProxyRouter:
    def __init__(
        self, config: RouterConfig, metrics: RouterMetrics, *, listen: tuple[str, int],
        workdir: Path, haproxy_bin: str = "haproxy", start_timeout: float = 10.0,
        connect_timeout_s: float = 2.0, server_timeout_s: float = 30.0,
    ) -> None:
        self._timeouts = {"connect_timeout_s": connect_timeout_s,
                          "server_timeout_s": server_timeout_s}
        self._config = config
        self._metrics = metrics
        self._listen = listen
        self._workdir = workdir
        self._bin = haproxy_bin
        self._start_timeout = start_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self.files: HAProxyFiles | None = None
        self.runtime: RuntimeAPI | None = None
        self._sockdir: Path | None = None

    def config(self) -> RouterConfig:
        return self._config

    def healthy(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        self._sockdir = Path(tempfile.mkdtemp(prefix="lendops-hx-"))
        self.files = write_files(
            self._config, listen=self._listen, workdir=self._workdir,
            socket_path=self._sockdir / "admin.sock", **self._timeouts,
        )
        self.runtime = RuntimeAPI(self.files.socket)
        log = open(self._workdir / "haproxy.log", "ab")  # noqa: SIM115 - owned by the child
        self._proc = subprocess.Popen(
            [self._bin, "-db", "-f", str(self.files.config)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        log.close()
        deadline = time.monotonic() + self._start_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                break
            if self.files.socket.exists() and _port_open(self._listen):
                self._metrics.observe_config(self._config)
                return
            time.sleep(0.05)
        tail = _tail(self._workdir / "haproxy.log")
        self.stop()
        raise RouterStartError("haproxy did not start", log_tail=tail)

    async def apply(self, config: RouterConfig) -> None:
        await asyncio.to_thread(self._apply_sync, config)
        self._config = config
        self._metrics.observe_config(config)

    def _apply_sync(self, config: RouterConfig) -> None:
        assert self.runtime is not None and self.files is not None
        # Backends first: during a promote (stable := canary build, weight := 0) the
        # brief overlap then sends requests to the new build, never back to the old one.
        for track, url, old in (("stable", config.stable, self._config.stable),
                                ("canary", config.canary, self._config.canary)):
            if url != old:
                host, port = host_port(url)
                self.runtime.set_server_addr(track, track, host, port)
        if (config.weight, config.cohort) != (self._config.weight, self._config.cohort):
            self.runtime.replace_map(self.files.split_map, map_entries(config))

    def stop(self) -> None:
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=5)
        self._proc = None
        if self._sockdir is not None:
            shutil.rmtree(self._sockdir, ignore_errors=True)
            self._sockdir = None

    async def close(self) -> None:
        await asyncio.to_thread(self.stop)


class HAProxyStatsCollector(Collector):
    """``lendops_router_requests_total{track,code_class}`` from HAProxy's backend
    counters (HAProxy keeps no latency histogram; see docs/router.md)."""

    def __init__(self, router: HAProxyRouter) -> None:
        self._router = router

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            "lendops_router_requests", "Requests answered, by track and status class.",
            labels=["track", "code_class"],
        )
        if self._router.runtime is not None:
            try:
                rows = self._router.runtime.stats()
            except OSError:
                rows = []
            for row in rows:
                if row.get("svname") == "BACKEND" and row.get("pxname") in ("stable", "canary"):
                    for cls in ("1xx", "2xx", "3xx", "4xx", "5xx"):
                        family.add_metric([row["pxname"], cls], float(row.get(f"hrsp_{cls}") or 0))
        yield family


def _port_open(addr: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(addr, timeout=0.2):
            return True
    except OSError:
        return False


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
