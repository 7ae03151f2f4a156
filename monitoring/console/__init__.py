"""The web console: a canary release live, for the SRE watching it.

    app = create_console(ConsoleSettings(
        targets=(("stable", "http://127.0.0.1:8001/metrics"), ("canary", "http://127.0.0.1:8002/metrics")),
        spans_url="sqlite:////var/lib/lendops/spans.db",
        status_path=Path("work/rollouts/checkout/rollout.json"),
    ))

One page (vanilla JS, no CDN) over JSON endpoints: the rollout's phase and verdicts
(from the controller's status file), per-track request rate, error ratio, p99 and
approval rate (direct scrapes or Prometheus), and traces from the span store drawn as
waterfalls. ``lendops console`` serves it.
"""

from __future__ import annotations

from ._errors import ConsoleConfigError, ConsoleError, MetricsSourceError
from ._numbers import Counters, TrackNumbers, quantile
from ._prometheus import PrometheusSource
from ._scrape import ScrapeSource, parse_counters
from ._settings import ConsoleSettings, parse_target
from ._status import normalize_status, read_status
from ._waterfall import waterfall
from .app import MetricsSource, create_console

__all__ = [
    "create_console",
    "ConsoleSettings",
    "parse_target",
    "MetricsSource",
    "ScrapeSource",
    "PrometheusSource",
    "parse_counters",
    "Counters",
    "TrackNumbers",
    "quantile",
    "read_status",
    "normalize_status",
    "waterfall",
    "ConsoleError",
    "ConsoleConfigError",
    "MetricsSourceError",
]
