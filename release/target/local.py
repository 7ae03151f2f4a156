"""LocalTarget: stable and canary builds as ``lendops serve`` processes on this machine.

Each process runs in its own session (``start_new_session``), so it outlives a killed
controller; ``state()`` records pid, port and build so a restarted controller can
``restore`` and find them again. Only processes this target started are ever signalled:
a pid is trusted only while its command line still names our port.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from release.process import free_port, pid_alive

from .errors import TargetError

__all__ = ["LocalTarget", "ServiceHandle"]


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def _start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks since boot: with the pid, an identity
    that survives pid reuse and a renamed process title (gunicorn sets one)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 22; the command name (field 2) may hold spaces, so split after its ')'.
    return int(stat.rsplit(")", 1)[1].split()[19])


def _ready(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=timeout) as resp:
            return bool(resp.status == 200)
    except (OSError, urllib.error.URLError, ValueError):
        return False


@dataclass
class ServiceHandle:
    """One ``lendops serve`` process."""

    track: str
    version: str
    faults: str | None
    host: str
    port: int
    pid: int
    log_path: str
    start_ticks: int | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def owned(self) -> bool:
        """The pid is alive and still the process we started (not a reused pid)."""
        if not pid_alive(self.pid):
            return False
        if self.start_ticks is not None:
            return _start_ticks(self.pid) == self.start_ticks
        args = _cmdline(self.pid)
        return not args or ("serve" in args and str(self.port) in args)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(Path(self.log_path).read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class LocalTarget:
    """Example::

        target = LocalTarget(db_url="sqlite:////tmp/l.db", workdir=Path("/tmp/rollout"))
        stable = target.start_stable("1.0.0")
        canary = target.start_canary("1.1.0", faults="latency_ms=200")
    """

    stable: ServiceHandle | None
    canary: ServiceHandle | None
    previous: ServiceHandle | None
    lost: list[ServiceHandle]

    def __init__(
        self, *, db_url: str, workdir: Path | str, host: str = "127.0.0.1",
        lendops_cmd: Sequence[str] = ("lendops",), env: Mapping[str, str] | None = None,
        ready_timeout: float = 60.0, workers: int = 1,
        port_picker: Callable[[str], int] = free_port,
    ) -> None:
        self.db_url = db_url
        self.workdir = Path(workdir)
        self.host = host
        self.lendops_cmd = tuple(lendops_cmd)
        self.env = dict(env or {})
        self.ready_timeout = ready_timeout
        self.workers = workers
        self.port_picker = port_picker
        self.stable = self.canary = self.previous = None
        self.lost = []

    # -- starting -------------------------------------------------------------------

    def _spawn(self, track: str, version: str, faults: str | None) -> ServiceHandle:
        self.workdir.mkdir(parents=True, exist_ok=True)
        port = self.port_picker(self.host)
        argv = [*self.lendops_cmd, "serve", "--host", self.host, "--port", str(port),
                "--db", self.db_url, "--version", version, "--track", track]
        if self.workers > 1:
            argv += ["--workers", str(self.workers)]
        if faults:
            argv += ["--faults", faults]
        env = dict(os.environ)
        # Each server (and its gunicorn workers) must get its own metrics directory.
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        env.update(self.env)
        log_path = self.workdir / f"{track}-{version}-{port}.log"
        with log_path.open("ab") as log:
            try:
                proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, env=env,
                                        start_new_session=True)
            except OSError as exc:
                raise TargetError(f"cannot run {argv[0]!r}: {exc}", track=track,
                                  version=version) from exc
        handle = ServiceHandle(track=track, version=version, faults=faults, host=self.host,
                               port=port, pid=proc.pid, log_path=str(log_path),
                               start_ticks=_start_ticks(proc.pid))
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise TargetError(
                    f"{track} {version} exited with code {proc.returncode} before it was ready",
                    track=track, version=version, pid=proc.pid, log_tail=handle.log_tail())
            if _ready(handle.url, timeout=0.5):
                return handle
            time.sleep(0.1)
        self._stop(handle)
        raise TargetError(
            f"{track} {version} not ready on {handle.url}/readyz within {self.ready_timeout:.0f} s",
            track=track, version=version, pid=handle.pid, log_tail=handle.log_tail())

    def start_stable(self, version: str, faults: str | None = None) -> str:
        """Start a stable process; one already running becomes ``previous`` and keeps
        serving until ``stop_previous`` (repoint traffic first)."""
        handle = self._spawn("stable", version, faults)
        if self.stable is not None:
            if self.previous is not None:
                self._stop(self.previous)
            self.previous = self.stable
        self.stable = handle
        return handle.url

    def start_canary(self, version: str, faults: str | None = None) -> str:
        if self.canary is not None and self.canary.owned():
            raise TargetError(f"a canary ({self.canary.version}) is already running; stop it first",
                              track="canary", version=version, pid=self.canary.pid)
        self.canary = self._spawn("canary", version, faults)
        return self.canary.url

    def promote(self) -> str:
        """Run the canary's build (same version and faults) as the new stable."""
        if self.canary is None:
            raise TargetError("no canary to promote", track="canary")
        return self.start_stable(self.canary.version, self.canary.faults)

    # -- stopping -------------------------------------------------------------------

    def _stop(self, handle: ServiceHandle, timeout: float = 15.0) -> None:
        if not handle.owned():
            return
        # The process leads its own session: the group holds it and any gunicorn workers.
        try:
            os.killpg(handle.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and pid_alive(handle.pid):
            time.sleep(0.05)
        try:
            os.killpg(handle.pid, signal.SIGKILL)  # stragglers (workers) or a hung leader
        except ProcessLookupError:
            pass
        end = time.monotonic() + 5
        while time.monotonic() < end and pid_alive(handle.pid):
            time.sleep(0.05)

    def stop_canary(self) -> None:
        if self.canary is not None:
            self._stop(self.canary)
            self.canary = None

    def stop_previous(self) -> None:
        if self.previous is not None:
            self._stop(self.previous)
            self.previous = None

    def stop_all(self) -> None:
        """Stop every process of this target, including ``lost`` ones that are still
        alive and ours (started but not answering /readyz)."""
        for handle in (self.canary, self.previous, self.stable, *self.lost):
            if handle is not None:
                self._stop(handle)
        self.stable = self.canary = self.previous = None
        self.lost = []

    # -- views and persistence -------------------------------------------------------

    def endpoints(self) -> dict[str, str | None]:
        return {"stable": self.stable.url if self.stable else None,
                "canary": self.canary.url if self.canary else None}

    def state(self) -> dict[str, Any]:
        return {
            "kind": "local",
            "db_url": self.db_url,
            "workdir": str(self.workdir),
            "host": self.host,
            "workers": self.workers,
            **{slot: asdict(h) if h is not None else None
               for slot, h in (("stable", self.stable), ("canary", self.canary),
                               ("previous", self.previous))},
        }

    @classmethod
    def restore(
        cls, state: Mapping[str, Any], *, lendops_cmd: Sequence[str] = ("lendops",),
        env: Mapping[str, str] | None = None, strict: bool = True, ready_timeout: float = 60.0,
    ) -> LocalTarget:
        """Re-attach to the processes named in ``state``. A process that is gone or does
        not answer /readyz raises TargetError (``strict``) or is listed in ``lost``."""
        target = cls(db_url=state["db_url"], workdir=state["workdir"], host=state["host"],
                     lendops_cmd=lendops_cmd, env=env, ready_timeout=ready_timeout,
                     workers=int(state.get("workers", 1)))
        for slot in ("stable", "canary", "previous"):
            raw = state.get(slot)
            if raw is None:
                continue
            handle = ServiceHandle(**raw)
            if handle.owned() and _ready(handle.url, timeout=2.0):
                setattr(target, slot, handle)
                continue
            if strict:
                raise TargetError(
                    f"{slot} {handle.version} (pid {handle.pid}, {handle.url}) is not running "
                    "or not ready", track=handle.track, version=handle.version,
                    pid=handle.pid, log_tail=handle.log_tail())
            target.lost.append(handle)
        return target
