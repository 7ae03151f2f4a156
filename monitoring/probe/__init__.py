"""Server probe: a Flask extension that measures the lending service.

    probe = ServerProbe(version="1.4.0", track="stable")
    probe.init_app(app)           # request metrics, /metrics, lending_build_info
    probe.business.credit_decision("approved", grade="A", branch="522629")

Every series carries ``track``. Names follow the OpenTelemetry HTTP semantic
conventions in their Prometheus form (``http.server.request.duration`` →
``http_server_request_duration_seconds`` with ``http_route``, ``http_request_method``,
``http_response_status_code``).

Under gunicorn with several workers, set ``PROMETHEUS_MULTIPROC_DIR`` (or call
``monitoring.probe.multiprocess.configure``) before anything imports
prometheus_client, and install the hooks of :mod:`monitoring.probe.gunicorn_hooks` so exited workers are marked dead.
"""

from __future__ import annotations

from .business import BusinessMetrics
from .client import ClientMetrics
from .errors import MultiprocessConfigError, ProbeError
from .extension import OTHER_METHOD, UNMATCHED_ROUTE, ServerProbe

__all__ = [
    "BusinessMetrics",
    "ClientMetrics",
    "MultiprocessConfigError",
    "OTHER_METHOD",
    "ProbeError",
    "ServerProbe",
    "UNMATCHED_ROUTE",
]
