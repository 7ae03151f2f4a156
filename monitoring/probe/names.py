"""Metric names and buckets: the contract between the service, rules, dashboards and
the release analysis. Change a name here and everything downstream must follow."""

from __future__ import annotations

HTTP_DURATION = "http_server_request_duration_seconds"
HTTP_ACTIVE = "http_server_active_requests"
BUILD_INFO = "lending_build_info"
CREDIT_DECISIONS = "lending_credit_decisions_total"
GRANTED_LINE = "lending_granted_line_fen"
APR = "lending_apr_bps"
APR_OUTSIDE_GUARDRAIL = "lending_apr_outside_guardrail_total"
DRAWDOWNS = "lending_drawdowns_total"
DISBURSEMENT_DURATION = "lending_disbursement_duration_seconds"
DISBURSEMENTS_STUCK = "lending_disbursements_stuck"
IDEMPOTENT_REPLAYS = "lending_idempotent_replays_total"
CLIENT_DURATION = "lending_client_request_duration_seconds"
CLIENT_TELEMETRY_EVENTS = "lending_client_telemetry_events_total"
CLIENT_TELEMETRY_BATCHES = "lending_client_telemetry_batches_total"

# OpenTelemetry's recommended buckets for http.server.request.duration.
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
# Lines are whole hundreds of CNY; 4,990,000 → 5,000,000 isolates the share at the cap.
LINE_BUCKETS_FEN = (
    500_000, 1_000_000, 1_500_000, 2_000_000, 2_500_000, 3_000_000,
    3_500_000, 4_000_000, 4_500_000, 4_990_000, 5_000_000,
)
APR_BUCKETS_BPS = tuple(range(300, 1501, 50))
DISBURSEMENT_BUCKETS = (0.5, 1, 2, 5, 10, 30, 60, 120, 180, 300, 600)
