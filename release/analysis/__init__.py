"""Canary analysis: metric providers and anytime-valid statistical judges.

Public surface (everything else is private)::

    spec = AnalysisSpec.model_validate(yaml_section)          # or default_analysis()
    provider = build_provider(spec.provider, endpoints={"stable": url1, "canary": url2})
    analyzer = Analyzer(spec, provider)
    analyzer.begin()
    result = analyzer.evaluate()     # AnalysisResult: decision, critical, verdicts, reason
"""

from __future__ import annotations

from ._analyzer import Analyzer
from ._errors import (
    AnalysisError,
    EndpointError,
    PrometheusError,
    ProviderError,
    SpecError,
    TemplateError,
)
from ._judge import CountInterval, HistInterval, count_evidence, histogram_evidence
from ._prometheus import DEFAULT_QUERIES, PrometheusProvider
from ._provider import MetricsProvider, build_provider
from ._scrape import ScrapeProvider, parse_exposition
from ._snapshot import Hist, Increment, Snapshot, TrackSnapshot, increment
from ._spec import (
    BUILTIN_METRICS,
    AnalysisSpec,
    MetricSpec,
    PrometheusSpec,
    ProviderSpec,
    ScrapeSpec,
    default_analysis,
    format_duration,
    parse_duration,
)
from ._template import render as render_template
from ._verdict import AnalysisResult, Verdict

__all__ = [
    "BUILTIN_METRICS",
    "DEFAULT_QUERIES",
    "AnalysisError",
    "AnalysisResult",
    "AnalysisSpec",
    "Analyzer",
    "CountInterval",
    "EndpointError",
    "Hist",
    "HistInterval",
    "Increment",
    "MetricSpec",
    "MetricsProvider",
    "PrometheusError",
    "PrometheusProvider",
    "PrometheusSpec",
    "ProviderError",
    "ProviderSpec",
    "ScrapeProvider",
    "ScrapeSpec",
    "Snapshot",
    "SpecError",
    "TemplateError",
    "TrackSnapshot",
    "Verdict",
    "build_provider",
    "count_evidence",
    "default_analysis",
    "format_duration",
    "histogram_evidence",
    "increment",
    "parse_duration",
    "parse_exposition",
    "render_template",
]
