"""The "Client view" dashboard: latency as the customer's app saw it, next to the
server's own measurement, by track."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db

from monitoring.probe import names

from ._panels import RATE, TRACK, Query, datasource_variable, series, track_variable
from ._queries import BUCKET, api, quantile, rate_by, ratio

__all__ = ["client_view", "UID"]

UID = "lendops-client-view"


def client_view() -> db.Dashboard:
    sel = "{" + TRACK + "}"
    client_bucket = f"{names.CLIENT_DURATION}_bucket"
    client_count = f"{names.CLIENT_DURATION}_count"
    d = (
        db.Dashboard("Client view").uid(UID).tags(["lendops", "client"]).refresh("30s").time("now-1h", "now")
        .description("What clients saw (client SDK telemetry) beside what the server measured. The gap is "
                     "network, queueing and retries.")
        .with_variable(datasource_variable()).with_variable(track_variable())
    )
    d = d.with_row(db.Row("Client against server latency"))
    for q in (0.5, 0.99):
        d = d.with_panel(series(
            f"p{q * 100:g} latency: client and server",
            [Query(quantile(q, client_bucket, sel), f"client p{q * 100:g} {{{{track}}}}"),
             Query(quantile(q, BUCKET, api()), f"server p{q * 100:g} {{{{track}}}}")],
            unit="s", w=12))
    d = d.with_panel(series(
        "Client p99 by route",
        [Query(quantile(0.99, client_bucket, sel, by="track, route"), "client {{track}} {{route}}"),
         Query(quantile(0.99, BUCKET, api(), by="track, http_route"), "server {{track}} {{http_route}}")],
        unit="s", w=24))
    d = d.with_row(db.Row("Client outcomes"))
    d = d.with_panel(series("Client calls by outcome",
                            [Query(rate_by(client_count, by="track, outcome"), "{{track}} {{outcome}}")],
                            unit="reqps", w=12))
    failed = ratio(rate_by(client_count, matchers="{" + f'outcome!="ok", {TRACK}' + "}"), rate_by(client_count))
    d = d.with_panel(series("Client-seen failure ratio", [Query(failed)], unit="percentunit", w=12, min_val=0,
                            description="Timeouts, connection errors and error answers as the client counted them."))
    d = d.with_panel(series(
        "Telemetry intake",
        [Query(f"sum by (track, result) (rate({names.CLIENT_TELEMETRY_BATCHES}{sel}[{RATE}]))",
               "batches {{track}} {{result}}"),
         Query(f"sum by (track, result) (rate({names.CLIENT_TELEMETRY_EVENTS}{sel}[{RATE}]))",
               "events {{track}} {{result}}")],
        unit="reqps", w=24, description="Rejected batches mean clients' numbers are missing from this view."))
    return d
