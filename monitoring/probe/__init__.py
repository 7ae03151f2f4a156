"""Server probe: a Flask extension that measures the lending service.

    probe = ServerProbe(version="1.4.0", track="stable")
    probe.init_app(app)           # request metrics, /metrics, lending_build_info
    probe.business.credit_decision("approved", grade="A", branch="522629")

Every series carries ``track``. Names follow the OpenTelemetry HTTP semantic
conventions in their Prometheus form (``http.server.request.duration`` →
``http_server_request_duration_seconds`` with ``http_route``, ``http_request_method``,
``http_response_status_code``).
"""

from __future__ import annotations

from .extension import ServerProbe
from .business import BusinessMetrics

__all__ = ["ServerProbe", "BusinessMetrics"]
