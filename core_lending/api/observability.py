"""The one place the service wires its observability (owned by the monitoring helper).

``create_app`` calls ``install_observability(app, settings, probe)`` exactly once; what
happens here (multiprocess metrics, tracing SDK set-up, telemetry endpoints) is
monitoring's business. For now it only installs the server probe.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

__all__ = ["install_observability"]


def install_observability(app: Flask, settings: Any, probe: Any) -> None:
    probe.init_app(app)
