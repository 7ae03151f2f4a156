"""The provider seam: anything that can take a :class:`Snapshot` of both tracks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from ._prometheus import PrometheusProvider
from ._scrape import ScrapeProvider
from ._snapshot import Snapshot
from ._spec import AnalysisSpec, ProviderSpec

__all__ = ["MetricsProvider", "QueryProvider", "build_provider"]


@runtime_checkable
class MetricsProvider(Protocol):
    def snapshot(self) -> Snapshot:
        """Cumulative counters and histograms per track at "now"."""
        ...


@runtime_checkable
class QueryProvider(Protocol):
    """A provider that can also run user PromQL (needed by threshold metrics)."""

    def snapshot(self) -> Snapshot: ...

    def scalar(self, promql: str, *, at: float | None = None) -> float | None: ...


def build_provider(spec: ProviderSpec | AnalysisSpec, *, endpoints: Mapping[str, str],
                   session: Any = None) -> MetricsProvider:
    """The provider a spec asks for.

    ``endpoints`` maps ``stable``/``canary`` to each track's base URL (the scrape provider
    reads ``{url}/metrics``); the Prometheus provider tells tracks apart by label.
    """
    if isinstance(spec, AnalysisSpec):
        spec = spec.provider
    if spec.prometheus is not None:
        p = spec.prometheus
        return PrometheusProvider(p.url, queries=p.queries, session=session,
                                  timeout=p.timeout.total_seconds())
    s = spec.scrape
    assert s is not None  # ProviderSpec guarantees exactly one
    return ScrapeProvider(endpoints, session=session, timeout=s.timeout.total_seconds(), path=s.path)
