"""How a WSGI app is served: werkzeug threads for one process, gunicorn for several.

Shared by ``lendops serve`` and the benchmarks, so a bare endpoint measured against the
service is served exactly the same way.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from typing import Any

__all__ = ["GUNICORN_OPTIONS", "run_gunicorn"]

GUNICORN_OPTIONS: dict[str, Any] = {
    "worker_class": "gthread", "threads": 8, "preload_app": False, "graceful_timeout": 5, "timeout": 60,
    "keepalive": 5, "accesslog": None, "loglevel": "warning",
}


def run_gunicorn(app_factory: Callable[[], Any], *, host: str, port: int, workers: int) -> None:
    """Serve ``app_factory()`` (called once per worker) under gunicorn until SIGTERM."""
    from gunicorn.app.base import BaseApplication

    # Multiprocess metrics need one fresh directory shared by all workers of this server,
    # set before anything imports prometheus_client (the hooks below do).
    created = None
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        created = tempfile.mkdtemp(prefix="lendops-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = created

    from monitoring.probe.gunicorn_hooks import hooks

    class _App(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            settings = {"bind": f"{host}:{port}", "workers": workers, **GUNICORN_OPTIONS, **hooks()}
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return app_factory()

    sys.argv = sys.argv[:1]  # gunicorn must not parse the caller's own flags
    try:
        _App().run()
    finally:
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
