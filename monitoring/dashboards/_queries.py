"""PromQL shared by the dashboards: per-track selectors, ratios and quantiles.

The filters match monitoring.rules (business API only: scrapes, health checks and
client telemetry would dilute the ratios), so a panel and the alert on the same signal
agree.
"""

from __future__ import annotations

from prometheus_client.utils import floatToGoString

from monitoring.probe import names

from ._panels import RATE, TRACK

__all__ = ["API", "COUNT", "BUCKET", "BELOW_CAP", "api", "ratio", "quantile", "rate_by", "mean"]

COUNT = f"{names.HTTP_DURATION}_count"
BUCKET = f"{names.HTTP_DURATION}_bucket"
API = 'http_route=~"/v1/.*", http_route!="/v1/telemetry/client"'
# Lines are whole hundreds of CNY: everything above this bucket bound is exactly at the cap.
BELOW_CAP = floatToGoString(names.LINE_BUCKETS_FEN[-2])


def api(*extra: str) -> str:
    """Label matchers of business API requests on the selected tracks."""
    return "{" + ", ".join((API, TRACK, *extra)) + "}"


def rate_by(metric: str, by: str = "track", matchers: str = "") -> str:
    sel = matchers or "{" + TRACK + "}"
    return f"sum by ({by}) (rate({metric}{sel}[{RATE}]))"


def ratio(bad: str, total: str) -> str:
    """``bad / total``, reading 0 rather than nothing for a track with traffic and no bad
    events (an absent series would hide the clean track from the comparison)."""
    return f"(\n  {bad}\n  or\n  0 * {total}\n)\n/\n{total}"


def quantile(q: float, bucket_metric: str, matchers: str, by: str = "track") -> str:
    return f"histogram_quantile({q:g}, sum by ({by}, le) (rate({bucket_metric}{matchers}[{RATE}])))"


def mean(metric: str, scale: float = 1.0) -> str:
    sel = "{" + TRACK + "}"
    expr = f"sum by (track) (rate({metric}_sum{sel}[{RATE}]))\n/\nsum by (track) (rate({metric}_count{sel}[{RATE}]))"
    return f"(\n{expr}\n) / {scale:g}" if scale != 1.0 else expr
