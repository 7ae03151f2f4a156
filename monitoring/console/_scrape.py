"""Live numbers by scraping each track's /metrics directly (no Prometheus needed).

Each call scrapes every target (at most once a second, whoever asks) and keeps the
samples of the last ``window_s`` seconds, so rates are differences of two real scrapes.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from monitoring.probe import names

from ._errors import MetricsSourceError
from ._numbers import Counters, TrackNumbers, numbers_between

__all__ = ["ScrapeSource", "parse_counters", "untraced"]

Fetch = Callable[[str, float], str]


def _api_route(route: str | None) -> bool:
    # Same filter as the rules and dashboards: business API only.
    return bool(route) and route.startswith("/v1/") and route != "/v1/telemetry/client"  # type: ignore[union-attr]


def parse_counters(text: str) -> Counters:
    """The counts the console needs from one /metrics exposition."""
    requests = errors = decisions = approved = 0.0
    buckets: dict[float, float] = {}
    version = served = None
    for family in text_string_to_metric_families(text):
        if family.name == names.HTTP_DURATION:
            for s in family.samples:
                if not _api_route(s.labels.get("http_route")):
                    continue
                if s.name.endswith("_count"):
                    requests += s.value
                    if s.labels.get("http_response_status_code", "").startswith("5"):
                        errors += s.value
                elif s.name.endswith("_bucket"):
                    le = float(s.labels["le"])
                    buckets[le] = buckets.get(le, 0.0) + s.value
        elif family.name == names.CREDIT_DECISIONS.removesuffix("_total"):
            for s in family.samples:
                if s.name.endswith("_total"):
                    decisions += s.value
                    if s.labels.get("decision") == "approved":
                        approved += s.value
        elif family.name == names.BUILD_INFO:
            for s in family.samples:
                if s.value == 1:
                    version, served = s.labels.get("version"), s.labels.get("track")
    return Counters(requests=requests, errors=errors, buckets=tuple(sorted(buckets.items())),
                    decisions=decisions, approved=approved, version=version, served_track=served)


@contextmanager
def untraced() -> Iterator[None]:
    """No client spans for the console's own polling: a console sharing a process with
    traced services (the demo) would otherwise fill the span store with scrapes."""
    try:
        from opentelemetry.instrumentation.utils import suppress_instrumentation
    except ImportError:  # instrumentation not installed: nothing to suppress
        yield
        return
    with suppress_instrumentation():
        yield


def _requests_fetch() -> Fetch:
    import requests

    session = requests.Session()

    def fetch(url: str, timeout: float) -> str:
        try:
            with untraced():
                response = session.get(url, timeout=timeout)
        except requests.RequestException as exc:
            raise MetricsSourceError(url=url, reason=type(exc).__name__ + ": " + str(exc)[:200]) from None
        if response.status_code != 200:
            raise MetricsSourceError(url=url, reason=f"HTTP {response.status_code}")
        return response.text

    return fetch


class ScrapeSource:
    """>>> ScrapeSource({"stable": "http://127.0.0.1:8001/metrics"}).numbers()  # doctest: +SKIP"""

    def __init__(self, targets: dict[str, str], *, window_s: float = 60.0, timeout_s: float = 2.0,
                 fetch: Fetch | None = None, clock: Callable[[], float] = time.monotonic,
                 min_interval_s: float = 1.0) -> None:
        self.targets = dict(targets)
        self.window_s = window_s
        self.timeout_s = timeout_s
        self.min_interval_s = min_interval_s
        self._fetch = fetch or _requests_fetch()
        self._clock = clock
        self._lock = threading.Lock()
        self._history: dict[str, deque[tuple[float, Counters]]] = {name: deque() for name in self.targets}
        self._errors: dict[str, str | None] = {}
        self._last: float | None = None

    def describe(self) -> dict[str, Any]:
        return {"kind": "scrape", "targets": self.targets, "window_s": self.window_s}

    def _scrape(self, now: float) -> None:
        for name, url in self.targets.items():
            try:
                counters = parse_counters(self._fetch(url, self.timeout_s))
            except MetricsSourceError as exc:
                self._errors[name] = exc.reason
                continue
            except ValueError as exc:  # not a Prometheus exposition
                self._errors[name] = f"unreadable metrics: {exc}"
                continue
            self._errors[name] = None
            history = self._history[name]
            history.append((now, counters))
            # Keep one sample older than the window: it is the base of the window's rate.
            while len(history) > 2 and history[1][0] <= now - self.window_s:
                history.popleft()

    def numbers(self) -> list[TrackNumbers]:
        with self._lock:
            now = self._clock()
            if self._last is None or now - self._last >= self.min_interval_s:
                self._scrape(now)
                self._last = now
            out = []
            for name in self.targets:
                history = self._history[name]
                error = self._errors.get(name)
                if not history:
                    out.append(TrackNumbers(track=name, source="scrape", up=False, error=error or "not scraped yet"))
                    continue
                newest_t, newest = history[-1]
                base_t, base = history[0] if len(history) > 1 else (None, None)
                n = numbers_between(name, newest, newest_t, base, base_t)
                if error is not None:  # last scrape failed: show the last good numbers, marked down
                    n = TrackNumbers(**{**n.to_dict(), "up": False, "error": error})
                out.append(n)
            return out


