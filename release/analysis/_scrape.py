"""Scrape provider: reads each track's ``/metrics`` and sums the series the judges need."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from ._errors import EndpointError
from ._snapshot import GRADE_BOUNDS, Hist, Snapshot, TrackSnapshot, grade_rank

__all__ = ["SCRAPE_DESCRIPTIONS", "ScrapeProvider", "parse_exposition"]

HTTP = "http_server_request_duration_seconds"
DECISIONS = "lending_credit_decisions_total"
APR = "lending_apr_bps"
LINE = "lending_granted_line_fen"
APR_OUTSIDE = "lending_apr_outside_guardrail_total"

SCRAPE_DESCRIPTIONS: Mapping[str, str] = {
    "requests": f"scrape /metrics: sum {HTTP}_count{{track,http_route=~/v1/.*}}",
    "errors": f"scrape /metrics: sum {HTTP}_count{{track,http_route=~/v1/.*,http_response_status_code=~5..}}",
    "latency": f"scrape /metrics: sum by (le) {HTTP}_bucket{{track,http_route=~/v1/.*}}",
    "decisions": f"scrape /metrics: sum {DECISIONS}{{track}}",
    "declines": f"scrape /metrics: sum {DECISIONS}{{track,decision=declined}}",
    "grades": f"scrape /metrics: sum by (decision, grade) {DECISIONS}{{track}}",
    "apr": f"scrape /metrics: sum by (le) {APR}_bucket{{track}}",
    "line": f"scrape /metrics: sum by (le) {LINE}_bucket{{track}}",
    "apr_outside": f"scrape /metrics: sum {APR_OUTSIDE}{{track}}",
}


def _ordinal(by_rank: Mapping[float, float]) -> Hist:
    """Counts per rank -> a cumulative histogram on the grade bounds."""
    total = sum(by_rank.values())
    running, cumulative = 0.0, {}
    for b in GRADE_BOUNDS:
        running += by_rank.get(b, 0.0)
        cumulative[b] = running
    return Hist.from_cumulative(cumulative, count=total)


def _v1(labels: Mapping[str, str]) -> bool:
    return labels.get("http_route", "").startswith("/v1/")


def parse_exposition(text: str, track: str) -> TrackSnapshot:
    """The quantities of one track from Prometheus text exposition.

    Series labelled with another track are ignored (a shared endpoint stays correct).
    """
    counters: dict[str, float] = defaultdict(float)
    buckets: dict[str, dict[float, float]] = defaultdict(lambda: defaultdict(float))
    sums: dict[str, float] = defaultdict(float)
    counts: dict[str, float] = defaultdict(float)
    grades: dict[float, float] = defaultdict(float)
    hist_names = {f"{HTTP}": "latency", APR: "apr", LINE: "line"}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = sample.labels
            if labels.get("track", track) != track:
                continue
            name = sample.name
            for base, key in hist_names.items():
                if not name.startswith(base + "_"):
                    continue
                if key == "latency" and not _v1(labels):
                    break
                suffix = name[len(base) + 1:]
                if suffix == "bucket":
                    buckets[key][float(labels["le"])] += sample.value
                elif suffix == "sum":
                    sums[key] += sample.value
                elif suffix == "count":
                    counts[key] += sample.value
                    if key == "latency":
                        counters["requests"] += sample.value
                        if labels.get("http_response_status_code", "").startswith("5"):
                            counters["errors"] += sample.value
                break
            else:
                if name == DECISIONS:
                    counters["decisions"] += sample.value
                    if labels.get("decision") == "declined":
                        counters["declines"] += sample.value
                    grades[grade_rank(labels.get("decision", ""), labels.get("grade", ""))] += sample.value
                elif name == APR_OUTSIDE:
                    counters["apr_outside"] += sample.value
    hists = {
        key: Hist.from_cumulative(by_le, sum=sums[key], count=counts.get(key, by_le.get(math.inf)))
        for key, by_le in buckets.items()
    }
    if grades:
        hists["grades"] = _ordinal(grades)
    for key in ("requests", "errors", "decisions", "declines", "apr_outside"):
        counters.setdefault(key, 0.0)
    return TrackSnapshot(dict(counters), hists)


class ScrapeProvider:
    """GETs ``{endpoint}{path}`` of each track; the HTTP session is injected."""

    kind = "scrape"

    def __init__(self, endpoints: Mapping[str, str], *, session: Any = None, timeout: float = 2.0,
                 path: str = "/metrics", clock: Callable[[], float] | None = None) -> None:
        if session is None:
            import requests  # adapters own their I/O library; imported on use

            session = requests.Session()
        missing = [t for t in ("stable", "canary") if t not in endpoints]
        if missing:
            raise EndpointError(f"scrape provider needs endpoints for {', '.join(missing)}",
                                missing=missing)
        self.endpoints = dict(endpoints)
        self.session = session
        self.timeout = timeout
        self.path = path
        if clock is None:
            import time

            clock = time.monotonic
        self.clock = clock

    def _fetch(self, track: str) -> str:
        url = self.endpoints[track].rstrip("/") + self.path
        try:
            resp = self.session.get(url, timeout=self.timeout)
        except Exception as exc:  # requests' exceptions, socket errors: all mean "unreachable"
            raise EndpointError(f"cannot scrape {track} metrics at {url}: {exc}", url=url, track=track) from exc
        if resp.status_code != 200:
            raise EndpointError(f"{track} metrics at {url} answered HTTP {resp.status_code}",
                                url=url, track=track, status=resp.status_code)
        return resp.text

    def snapshot(self) -> Snapshot:
        tracks = {}
        for track in ("stable", "canary"):
            text = self._fetch(track)
            try:
                tracks[track] = parse_exposition(text, track)
            except ValueError as exc:
                raise EndpointError(f"{track} metrics are not Prometheus text format: {exc}",
                                    url=self.endpoints[track], track=track) from exc
        return Snapshot(self.clock(), tracks)

    def describe(self, quantity: str, track: str = "canary") -> str:
        return SCRAPE_DESCRIPTIONS[quantity].replace("{track", f"{{track={track}")
