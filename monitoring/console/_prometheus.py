"""Live numbers from Prometheus' HTTP API (when the console is given ``--prometheus``)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from monitoring.probe import names

from ._errors import MetricsSourceError
from ._numbers import TrackNumbers
from ._scrape import untraced

__all__ = ["PrometheusSource", "queries"]

Query = Callable[[str, str, float], list[dict[str, Any]]]
_API = 'http_route=~"/v1/.*", http_route!="/v1/telemetry/client"'
_COUNT = f"{names.HTTP_DURATION}_count"


def queries(window: str) -> dict[str, str]:
    """The PromQL behind each number, by track (shown in the console beside the numbers)."""
    total = f"sum by (track) (rate({_COUNT}{{{_API}}}[{window}]))"
    return {
        "request_rate": total,
        "error_ratio": (f'(sum by (track) (rate({_COUNT}{{{_API}, http_response_status_code=~"5.."}}[{window}]))'
                        f" or 0 * {total}) / {total}"),
        "p99_s": (f"histogram_quantile(0.99, sum by (track, le) "
                  f"(rate({names.HTTP_DURATION}_bucket{{{_API}}}[{window}])))"),
        "approval_rate": (
            f'(sum by (track) (rate({names.CREDIT_DECISIONS}{{decision="approved"}}[{window}]))'
            f" or 0 * sum by (track) (rate({names.CREDIT_DECISIONS}[{window}])))"
            f" / sum by (track) (rate({names.CREDIT_DECISIONS}[{window}]))"),
        "requests": f"sum by (track) (increase({_COUNT}{{{_API}}}[{window}]))",
        "version": f"max by (track, version) ({names.BUILD_INFO})",
    }


def _http_query() -> Query:
    import requests

    session = requests.Session()

    def run(base: str, promql: str, timeout: float) -> list[dict[str, Any]]:
        url = base.rstrip("/") + "/api/v1/query"
        try:
            with untraced():
                response = session.get(url, params={"query": promql}, timeout=timeout)
            body = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise MetricsSourceError(url=url, reason=type(exc).__name__ + ": " + str(exc)[:200]) from None
        if response.status_code != 200 or body.get("status") != "success":
            raise MetricsSourceError(url=url, reason=str(body.get("error") or f"HTTP {response.status_code}"))
        return list(body["data"]["result"])

    return run


class PrometheusSource:
    def __init__(self, url: str, *, tracks: tuple[str, ...] = (), window_s: float = 60.0, timeout_s: float = 2.0,
                 query: Query | None = None) -> None:
        self.url = url.rstrip("/")
        self.tracks = tracks
        self.window = f"{int(window_s)}s"
        self.timeout_s = timeout_s
        self._query = query or _http_query()

    def describe(self) -> dict[str, Any]:
        return {"kind": "prometheus", "url": self.url, "queries": queries(self.window)}

    def numbers(self) -> list[TrackNumbers]:
        values: dict[str, dict[str, Any]] = {t: {} for t in self.tracks}
        try:
            for key, promql in queries(self.window).items():
                for series in self._query(self.url, promql, self.timeout_s):
                    track = series["metric"].get("track")
                    if not track:
                        continue
                    row = values.setdefault(track, {})
                    if key == "version":
                        row["version"] = series["metric"].get("version")
                    else:
                        number = float(series["value"][1])
                        row[key] = number if math.isfinite(number) else None
        except MetricsSourceError as exc:
            return [TrackNumbers(track=t, source="prometheus", up=False, error=exc.reason) for t in values]
        return [
            TrackNumbers(track=track, source="prometheus", up=True, version=row.get("version"),
                         request_rate=row.get("request_rate"), error_ratio=row.get("error_ratio"),
                         p99_s=row.get("p99_s"), approval_rate=row.get("approval_rate"),
                         requests=row.get("requests") or 0.0, basis=f"last {self.window}")
            for track, row in sorted(values.items(), key=lambda kv: (kv[0] != "stable", kv[0]))
        ]
