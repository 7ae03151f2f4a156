"""Multiprocess metrics (gunicorn with several workers).

prometheus-client decides at *import* time whether metric values live in memory or in
per-process mmap files under ``PROMETHEUS_MULTIPROC_DIR``. The serve command must
therefore call :func:`configure` (or export the variable) before anything imports
``prometheus_client``; :func:`is_multiprocess` tells which mode the process is in.

The master clears stale files once at start (:func:`prepare_directory`), and marks
each exited worker dead (:func:`mark_dead`) so its ``live*`` gauges disappear while
its counters and histograms stay counted.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import MultiprocessConfigError

__all__ = [
    "ENV_VAR",
    "configure",
    "directory",
    "exposition_registry",
    "is_multiprocess",
    "mark_dead",
    "prepare_directory",
]

ENV_VAR = "PROMETHEUS_MULTIPROC_DIR"


def directory() -> str | None:
    """The multiprocess directory from the environment, or None."""
    return os.environ.get(ENV_VAR) or None


def is_multiprocess() -> bool:
    """True when this process writes metric values to mmap files.

    Raises MultiprocessConfigError when the environment asks for multiprocess mode but
    prometheus-client was imported before the variable was set: the worker's values
    would then never reach /metrics, which is worse than failing at start.
    """
    from prometheus_client import values

    in_files = values.ValueClass is not values.MutexValue
    wanted = directory()
    if wanted and not in_files:
        raise MultiprocessConfigError(
            directory=wanted,
            reason=f"{ENV_VAR} was set after prometheus_client was imported; set it "
            "before the application (or gunicorn's config) imports any metrics code",
        )
    if in_files and not (wanted and os.path.isdir(wanted)):
        raise MultiprocessConfigError(directory=wanted, reason="not set or not a directory")
    return in_files


def prepare_directory(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` and remove metric files left by an earlier run.

    Only ``*.db`` files are removed, so a directory shared by mistake keeps anything else.
    Call it once in the master, before workers start.
    """
    target = Path(path)
    try:
        target.mkdir(parents=True, exist_ok=True)
        for stale in target.glob("*.db"):
            stale.unlink(missing_ok=True)
    except OSError as exc:
        raise MultiprocessConfigError(directory=str(target), reason=str(exc)) from exc
    return target


def configure(path: str | os.PathLike[str]) -> Path:
    """Switch this process (and the children it spawns) to multiprocess mode."""
    target = prepare_directory(path)
    os.environ[ENV_VAR] = str(target)
    is_multiprocess()  # fail now, not on the first scrape
    return target


def mark_dead(pid: int, path: str | None = None) -> None:
    """Forget the live gauges of an exited worker (counters stay: they were real)."""
    from prometheus_client import multiprocess

    where = path or directory()
    if where:
        multiprocess.mark_process_dead(pid, where)


def exposition_registry(own: object) -> object:
    """The registry /metrics should expose: the probe's own, or one that merges the
    files of every worker when running multiprocess."""
    if not is_multiprocess():
        return own
    from prometheus_client import CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector

    merged = CollectorRegistry(auto_describe=True)
    MultiProcessCollector(merged, path=directory())
    return merged
