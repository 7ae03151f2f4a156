"""Persistence of one rollout in its workdir (plain files, crash-safe).

Layout under ``<workdir>/rollouts/<name>/``::

    rollout.json     state, analyzer state, runtime (process) state, the spec text
    commands/        one JSON file per operator command, taken in name order
    controller.lock  flock held by the live controller (its pid inside)
    controller.log   output of a detached controller

Every write goes to a temporary file that is fsync'ed and renamed over the old one
(then the directory is fsync'ed), so a kill -9 leaves either the old or the new
document, never half of one.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

from release.controller.errors import AlreadyRunning, NoRollout

__all__ = ["RolloutStore", "list_rollouts"]


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def list_rollouts(workdir: str | Path) -> list[str]:
    root = Path(workdir) / "rollouts"
    if not root.is_dir():
        return []
    return sorted(p.parent.name for p in root.glob("*/rollout.json"))


class RolloutStore:
    def __init__(self, workdir: str | Path, name: str) -> None:
        self.workdir = Path(workdir).resolve()
        self.name = name
        self.dir = self.workdir / "rollouts" / name
        self.path = self.dir / "rollout.json"
        self.commands_dir = self.dir / "commands"
        self.lock_path = self.dir / "controller.lock"
        self.log_path = self.dir / "controller.log"
        self._lock_fd: int | None = None

    @classmethod
    def find(cls, workdir: str | Path, name: str | None = None) -> RolloutStore:
        """The named rollout, or the only one in the workdir."""
        if name:
            store = cls(workdir, name)
            if not store.exists():
                raise NoRollout(f"no rollout {name!r} in {workdir}", workdir=str(workdir), name=name)
            return store
        names = list_rollouts(workdir)
        if not names:
            raise NoRollout(f"no rollout in {workdir} (start one with `lendops release run FILE`)",
                            workdir=str(workdir))
        if len(names) > 1:
            raise NoRollout(f"several rollouts in {workdir}: {', '.join(names)}; pass --name",
                            workdir=str(workdir))
        return cls(workdir, names[0])

    def exists(self) -> bool:
        return self.path.exists()

    # -- document ---------------------------------------------------------------
    def load(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self.path.read_text())
        except FileNotFoundError:
            raise NoRollout(f"no rollout {self.name!r} in {self.workdir}", name=self.name) from None
        return data

    def save(self, document: dict[str, Any]) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        _atomic_write(self.path, json.dumps(document, indent=1, default=str).encode())

    # -- commands ---------------------------------------------------------------
    def enqueue(self, name: str, *, full: bool = False, by: str = "") -> Path:
        self.commands_dir.mkdir(parents=True, exist_ok=True)
        body = {"name": name, "full": full, "by": by or os.environ.get("USER", "operator"), "at": time.time()}
        path = self.commands_dir / f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.json"
        _atomic_write(path, json.dumps(body).encode())
        return path

    def take_commands(self) -> list[dict[str, Any]]:
        """Read and remove every queued command (see :meth:`queued` to remove each only
        once it has been applied)."""
        out = []
        for path, body in self.queued():
            out.append(body)
            path.unlink(missing_ok=True)
        return out

    def queued(self) -> list[tuple[Path, dict[str, Any]]]:
        if not self.commands_dir.is_dir():
            return []
        out = []
        for path in sorted(self.commands_dir.glob("*.json")):
            try:
                out.append((path, json.loads(path.read_text())))
            except (OSError, ValueError):
                path.unlink(missing_ok=True)  # cannot be half-written (atomic rename): junk
        return out

    def pending_commands(self) -> int:
        return len(list(self.commands_dir.glob("*.json"))) if self.commands_dir.is_dir() else 0

    # -- the controller lock ------------------------------------------------------
    def acquire(self) -> None:
        """Hold the rollout's lock for this process (the kernel drops it if we die)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise AlreadyRunning(self.name, self.controller_pid()) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        os.fsync(fd)
        self._lock_fd = fd

    def release(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def controller_pid(self) -> int | None:
        """The pid of the live controller, or None when nobody holds the lock."""
        if not self.lock_path.exists():
            return None
        fd = os.open(self.lock_path, os.O_RDONLY)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                text = self.lock_path.read_text().strip()
                return int(text) if text.isdigit() else -1
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        finally:
            os.close(fd)
