"""Gunicorn server hooks for multiprocess metrics.

Use as a config module (``gunicorn -c python:monitoring.probe.gunicorn_hooks ...``)
or merge :func:`hooks` into a custom ``BaseApplication``'s settings::

    for name, hook in hooks().items():
        self.cfg.set(name, hook)

Both hooks run in the gunicorn master. They do nothing when
``PROMETHEUS_MULTIPROC_DIR`` is unset, so single-process runs need no change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import multiprocess

__all__ = ["on_starting", "child_exit", "hooks"]


def on_starting(server: Any) -> None:
    """Clear stale metric files once, before the first worker is forked."""
    where = multiprocess.directory()
    if where:
        multiprocess.prepare_directory(where)


def child_exit(server: Any, worker: Any) -> None:
    """A worker exited (normally, recycled or killed): drop its live gauges."""
    multiprocess.mark_dead(worker.pid)


def hooks() -> dict[str, Callable[..., None]]:
    """The hooks by gunicorn setting name."""
    return {"on_starting": on_starting, "child_exit": child_exit}
