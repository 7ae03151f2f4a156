"""Service-side intake of client telemetry: what the lending API's clients measured
(latency, timeouts, connection errors, the track that served them), exported as
``lending_client_request_duration_seconds{route,outcome,track}``.

    app.register_blueprint(telemetry_blueprint(check_token, recorder=probe.client))
"""

from __future__ import annotations

from .blueprint import UNKNOWN_TRACK, telemetry_blueprint
from .model import MAX_BODY_BYTES, MAX_EVENTS, OUTCOMES, ClientEvent, TelemetryBatch
from .routes import OTHER_ROUTE, RouteResolver

__all__ = [
    "ClientEvent",
    "MAX_BODY_BYTES",
    "MAX_EVENTS",
    "OTHER_ROUTE",
    "OUTCOMES",
    "RouteResolver",
    "TelemetryBatch",
    "UNKNOWN_TRACK",
    "telemetry_blueprint",
]
