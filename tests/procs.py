"""Real processes for tests: the lending service as a subprocess, databases, tokens.

Shared by every test area; keep this API stable:

    free_port() -> int
    prepare_db(db_url)                                   # migrate + seed (idempotent)
    create_token(db_url, role, branch=None, customer=None) -> str
    with start_lending_service(db_url=url, version="1.1.0", track="canary") as svc:
        requests.get(svc.base_url + "/version")
"""

from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import requests

__all__ = ["free_port", "prepare_db", "create_token", "start_lending_service", "ServiceProcess", "lendops_cmd"]

_LENDOPS = [sys.executable, "-c", "from release.cli import main; main()"]


def lendops_cmd(*args: str) -> list[str]:
    """argv running ``lendops ARGS`` with this interpreter."""
    return [*_LENDOPS, *args]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare_db(db_url: str) -> None:
    """Apply migrations and seed branches + demo customers (in-process, idempotent)."""
    from core_lending.runtime import naive_utc, utc_now
    from core_lending.store import Database, upgrade
    from core_lending.store.seed import seed

    db = Database(db_url)
    try:
        upgrade(db.engine)
        with db.write() as s:
            seed(s, now=naive_utc(utc_now()))
    finally:
        db.dispose()


def create_token(db_url: str, role: str, branch: str | None = None, customer: int | None = None) -> str:
    from core_lending.runtime import naive_utc, utc_now
    from core_lending.store import Database
    from core_lending.store.records import create_token as _create

    db = Database(db_url)
    try:
        with db.write() as s:
            return _create(s, role=role, branch_code=branch, customer_id=customer, now=naive_utc(utc_now()))
    finally:
        db.dispose()


@dataclass
class ServiceProcess:
    """A running ``lendops serve``; stop() (or the context manager) ends it and its workers."""

    proc: subprocess.Popen[bytes]
    host: str
    port: int
    db_url: str
    version: str
    track: str
    log_path: Path
    manager_token: str | None = None
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def output(self) -> str:
        """Everything the process wrote to stdout and stderr so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 15.0) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(5)
        else:  # the leader is gone; make sure no gunicorn worker outlives it
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def __enter__(self) -> ServiceProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_lending_service(
    *, db_url: str, version: str = "1.0.0", track: str = "stable", faults: str | None = None, workers: int = 1,
    env: Mapping[str, str] | None = None, host: str = "127.0.0.1", port: int | None = None,
    timeout: float = 60.0,
) -> ServiceProcess:
    """Run ``lendops serve`` on a free loopback port and wait (bounded) until /readyz answers 200.

    The database must be prepared (``prepare_db``). Raises RuntimeError with the log tail
    if the process exits or is not ready within ``timeout`` seconds.
    """
    port = port or free_port()
    argv = lendops_cmd("serve", "--host", host, "--port", str(port), "--db", db_url, "--version", version,
                       "--track", track, "--workers", str(workers))
    if faults:
        argv += ["--faults", faults]
    proc_env = dict(os.environ)
    proc_env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # each server gets its own fresh directory
    proc_env.setdefault("LENDING_PAYOUT_DELAY_MS", "50")
    proc_env.update(env or {})
    fd, name = tempfile.mkstemp(prefix=f"lendops-{track}-{port}-", suffix=".log")
    os.close(fd)
    log = Path(name)
    atexit.register(log.unlink, missing_ok=True)
    with log.open("wb") as sink:
        proc = subprocess.Popen(argv, stdout=sink, stderr=subprocess.STDOUT, env=proc_env,
                                start_new_session=True)
    svc = ServiceProcess(proc=proc, host=host, port=port, db_url=db_url, version=version, track=track,
                         log_path=log)
    deadline = time.monotonic() + timeout
    session = requests.Session()
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"lendops serve exited with {proc.returncode}:\n{svc.output()[-3000:]}")
            try:
                if session.get(svc.base_url + "/readyz", timeout=2).status_code == 200:
                    return svc
            except requests.RequestException:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"lendops serve not ready after {timeout}s:\n{svc.output()[-3000:]}")
    except BaseException:
        svc.stop()
        raise
    finally:
        session.close()
