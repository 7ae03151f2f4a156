"""Prometheus provider: the same quantities as the scrape provider, by PromQL instant
queries (``/api/v1/query``) at "now". Series are told apart by their ``track`` label."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from ._errors import PrometheusError, SpecError
from ._scrape import _ordinal
from ._snapshot import COUNTERS, HISTOGRAMS, Hist, Snapshot, TrackSnapshot, grade_rank
from ._template import render

__all__ = ["DEFAULT_QUERIES", "PrometheusProvider"]

_V1 = 'track="{{track}}",http_route=~"/v1/.*"'

#: Quantity -> PromQL template. Histogram queries are ``sum by (le)`` of ``_bucket``;
#: their ``_sum``/``_count`` are derived by replacing the suffix.
DEFAULT_QUERIES: Mapping[str, str] = {
    "requests": f"sum(http_server_request_duration_seconds_count{{{_V1}}})",
    "errors": f'sum(http_server_request_duration_seconds_count{{{_V1},http_response_status_code=~"5.."}})',
    "latency": f"sum by (le) (http_server_request_duration_seconds_bucket{{{_V1}}})",
    "decisions": 'sum(lending_credit_decisions_total{track="{{track}}"})',
    "declines": 'sum(lending_credit_decisions_total{track="{{track}}",decision="declined"})',
    "grades": 'sum by (decision, grade) (lending_credit_decisions_total{track="{{track}}"})',
    "apr": 'sum by (le) (lending_apr_bps_bucket{track="{{track}}"})',
    "line": 'sum by (le) (lending_granted_line_fen_bucket{track="{{track}}"})',
    "apr_outside": 'sum(lending_apr_outside_guardrail_total{track="{{track}}"})',
}


def _companion(query: str, suffix: str) -> str:
    """``sum by (le) (x_bucket{...})`` -> ``sum(x_sum{...})``."""
    body = query.replace("_bucket{", f"_{suffix}{{")
    if body.startswith("sum by (le) ("):
        body = "sum(" + body[len("sum by (le) ("):]
    return body


class PrometheusProvider:
    """Instant queries against a Prometheus server; ``session`` and ``clock`` are injected."""

    kind = "prometheus"

    def __init__(self, url: str, *, queries: Mapping[str, str] | None = None, session: Any = None,
                 timeout: float = 5.0, clock: Callable[[], float] | None = None,
                 wallclock: Callable[[], float] | None = None) -> None:
        unknown = sorted(set(queries or {}) - set(DEFAULT_QUERIES))
        if unknown:
            raise SpecError(f"unknown query override(s) {', '.join(unknown)}; "
                            f"known: {', '.join(DEFAULT_QUERIES)}", unknown=unknown)
        if session is None:
            import requests

            session = requests.Session()
        if clock is None:
            import time

            clock = time.monotonic
        if wallclock is None:
            import time

            wallclock = time.time
        self.wallclock = wallclock
        self.url = url.rstrip("/")
        self.queries = {**DEFAULT_QUERIES, **(queries or {})}
        self.session = session
        self.timeout = timeout
        self.clock = clock

    def query(self, promql: str, *, at: float | None = None) -> list[tuple[dict[str, str], float]]:
        """An instant query; returns (labels, value) per series of the vector (or scalar)."""
        endpoint = f"{self.url}/api/v1/query"
        params: dict[str, str] = {"query": promql}
        if at is not None:
            params["time"] = f"{at:.3f}"
        try:
            resp = self.session.get(endpoint, params=params, timeout=self.timeout)
        except Exception as exc:
            raise PrometheusError(f"Prometheus at {self.url} unreachable: {exc}", url=self.url, query=promql) from exc
        try:
            body = resp.json()
        except ValueError:
            body = None
        if resp.status_code != 200 or not isinstance(body, dict) or body.get("status") != "success":
            detail = body.get("error") if isinstance(body, dict) else resp.text[:200]
            raise PrometheusError(f"Prometheus query failed (HTTP {resp.status_code}): {detail}: {promql}",
                                  url=self.url, query=promql, status=resp.status_code)
        data = body["data"]
        kind, result = data.get("resultType"), data.get("result")
        if kind == "vector":
            return [(dict(r.get("metric", {})), float(r["value"][1])) for r in result]
        if kind == "scalar":
            return [({}, float(result[1]))]
        raise PrometheusError(f"query must return an instant vector or scalar, got {kind}: {promql}",
                              url=self.url, query=promql)

    def scalar(self, promql: str, *, at: float | None = None) -> float | None:
        """Sum of a query's values; ``None`` when it returned no series at all."""
        rows = self.query(promql, at=at)
        values = [v for _, v in rows if not math.isnan(v)]
        return sum(values) if values else None

    def resolved(self, quantity: str, track: str) -> str:
        return render(self.queries[quantity], {"track": track})

    def snapshot(self) -> Snapshot:
        # Every query of one snapshot is evaluated at the same instant, so counters and
        # buckets of a track come from the same scrape.
        at = self.wallclock()
        tracks: dict[str, TrackSnapshot] = {}
        for track in ("stable", "canary"):
            counters = {q: self.scalar(self.resolved(q, track), at=at) or 0.0 for q in COUNTERS}
            hists: dict[str, Hist] = {}
            for q in HISTOGRAMS:
                query = self.resolved(q, track)
                rows = self.query(query, at=at)
                if not rows:
                    continue
                by_le = {float(labels["le"]): v for labels, v in rows if "le" in labels}
                total = by_le.get(math.inf)
                if total is None:
                    total = self.scalar(_companion(query, "count"), at=at) or 0.0
                hists[q] = Hist.from_cumulative(
                    by_le, sum=self.scalar(_companion(query, "sum"), at=at) or 0.0, count=total)
            rows = self.query(self.resolved("grades", track), at=at)
            if rows:
                by_rank: dict[float, float] = {}
                for labels, v in rows:
                    rank = grade_rank(labels.get("decision", ""), labels.get("grade", ""))
                    by_rank[rank] = by_rank.get(rank, 0.0) + v
                hists["grades"] = _ordinal(by_rank)
            tracks[track] = TrackSnapshot(counters, hists)
        return Snapshot(self.clock(), tracks)

    def describe(self, quantity: str, track: str = "canary") -> str:
        return self.resolved(quantity, track)
