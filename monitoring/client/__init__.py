"""Client probe: the Python SDK of the lending API, measuring what a client sees.

    from monitoring.client import LendingClient
    with LendingClient("http://127.0.0.1:8000", token) as client:
        reply = client.apply(customer_id)
        reply["decision"], reply.duration_s, reply.track

Each call's latency, outcome, status and served version/track are on the returned
:class:`Reply` (and ``client.last``), optionally in a local Prometheus registry
(:class:`ClientMetrics`), and shipped in batches to the service's
``POST /v1/telemetry/client`` by a :class:`TelemetryShipper` that never slows or fails a
business call.
"""

from __future__ import annotations

from ._client import LendingClient
from ._errors import ClientError, ConnectError, ProblemError, TimeoutError, TransportError
from ._metrics import ClientMetrics
from ._result import OUTCOMES, Outcome, Reply
from ._routes import ROUTES, Route
from ._telemetry import TelemetryEvent, TelemetryShipper, TelemetryStats

__all__ = [
    "LendingClient",
    "Reply",
    "Outcome",
    "OUTCOMES",
    "Route",
    "ROUTES",
    "ClientMetrics",
    "TelemetryShipper",
    "TelemetryEvent",
    "TelemetryStats",
    "ClientError",
    "ProblemError",
    "TransportError",
    "TimeoutError",
    "ConnectError",
]
