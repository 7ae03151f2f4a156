"""Start, attach to and stop a router process (detached: it outlives its starter)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from release.process import pid_alive

from .errors import RouterStartError

__all__ = ["RouterProcess"]


def _healthy(admin_url: str, timeout: float = 0.5) -> bool:
    try:
        with urllib.request.urlopen(f"{admin_url}/healthz", timeout=timeout) as resp:
            return resp.status == 200 and json.load(resp).get("status") == "ok"
    except (OSError, ValueError, urllib.error.URLError):
        return False


@dataclass
class RouterProcess:
    url: str
    admin_url: str
    pid: int
    log_path: Path | None = None
    _popen: subprocess.Popen[bytes] | None = None

    @classmethod
    def start(
        cls, listen_port: int, admin_port: int, stable: str, canary: str,
        impl: str = "python", *, weight: int = 0, cohort: Iterable[str] = (),
        host: str = "127.0.0.1", workdir: Path | None = None,
        command: Sequence[str] = (sys.executable, "-m", "release.router"),
        start_timeout: float = 15.0, extra_args: Sequence[str] = (),
        env: dict[str, str] | None = None,
    ) -> RouterProcess:
        """Spawn ``lendops router`` in its own session and wait for /healthz."""
        args = [
            *command, "--listen", f"{host}:{listen_port}", "--admin", f"{host}:{admin_port}",
            "--stable", stable, "--canary", canary, "--impl", impl, "--weight", str(weight),
        ]
        args += list(extra_args)
        codes = ",".join(sorted(cohort))
        if codes:
            args += ["--cohort", codes]
        log_path: Path | None = None
        if workdir is not None:
            workdir.mkdir(parents=True, exist_ok=True)
            log_path = workdir / f"router-{listen_port}.log"
            if impl == "haproxy":
                args += ["--workdir", str(workdir / f"haproxy-{listen_port}")]
        log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            popen = subprocess.Popen(
                args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, env={**os.environ, **env} if env else None,
            )
        finally:
            if log_path:
                log.close()  # type: ignore[union-attr]
        proc = cls(url=f"http://{host}:{listen_port}", admin_url=f"http://{host}:{admin_port}",
                   pid=popen.pid, log_path=log_path, _popen=popen)
        deadline = time.monotonic() + start_timeout
        while time.monotonic() < deadline:
            if popen.poll() is not None:
                break
            if _healthy(proc.admin_url):
                return proc
            time.sleep(0.05)
        tail = proc.log_tail()
        proc.stop()
        raise RouterStartError(
            f"router ({impl}) did not become healthy on {proc.admin_url}", log_tail=tail
        )

    @classmethod
    def attach(cls, pid: int, url: str, admin_url: str) -> RouterProcess:
        """Re-attach to a router started earlier (e.g. by a controller before a restart)."""
        if not pid_alive(pid):
            raise RouterStartError(f"router pid {pid} is not running")
        if not _healthy(admin_url, timeout=2.0):
            raise RouterStartError(f"router pid {pid} does not answer on {admin_url}/healthz")
        return cls(url=url, admin_url=admin_url, pid=pid)

    def alive(self) -> bool:
        if self._popen is not None:
            return self._popen.poll() is None
        return pid_alive(self.pid)

    def log_tail(self, lines: int = 30) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the router's process group (the router and its haproxy child), then
        SIGKILL if it lingers."""
        if not self.alive():
            return
        try:
            os.killpg(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                return
            time.sleep(0.05)
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        if self._popen is not None:
            self._popen.wait(timeout=5)
