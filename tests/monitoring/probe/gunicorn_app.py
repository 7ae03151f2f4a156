"""A small Flask app using the probe, served by a real gunicorn in the tests."""

from __future__ import annotations

import os
import time

from flask import Flask

from monitoring.probe import ServerProbe


def create_app() -> Flask:
    app = Flask("probe-gunicorn")
    probe = ServerProbe(version=os.environ.get("APP_VERSION", "9.9.9"), track="canary")
    probe.init_app(app)

    @app.get("/work/<int:item>")
    def work(item: int) -> tuple[dict, int, dict]:
        # Long enough that concurrent requests spread over both workers.
        time.sleep(0.005)
        probe.business.credit_decision("approved", grade="A", branch=f"52{item % 84:04d}")
        return {"item": item}, 200, {"X-Worker-Pid": str(os.getpid())}

    @app.get("/pid")
    def pid() -> tuple[str, int, dict]:
        return str(os.getpid()), 200, {"X-Worker-Pid": str(os.getpid())}

    return app
