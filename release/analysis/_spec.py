"""The ``analysis:`` section of a rollout spec, validated once into typed objects.

Example (YAML, camelCase as written by users)::

    analysis:
      interval: 5s
      provider: {prometheus: {url: "http://127.0.0.1:9090"}}
      alpha: 0.01
      minSamples: 30
      tolerance: 1.2
      metrics:
        - {name: latency, tolerance: 1.5}          # tune a built-in
        - {name: approval-rate, enabled: false}   # switch a built-in off
        - name: p99-credit                        # add a threshold metric
          query: histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_seconds_bucket{track="{{track}}"}[{{interval}}])))
          max: 0.5

Built-in metrics are always judged unless switched off; threshold metrics are added.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)

from release.duration import PATTERN, format_seconds, parse_seconds

__all__ = [
    "BUILTIN_METRICS",
    "AnalysisSpec",
    "MetricSpec",
    "PrometheusSpec",
    "ProviderSpec",
    "ScrapeSpec",
    "default_analysis",
    "format_duration",
    "parse_duration",
]

#: Names of the built-in metrics; they appear in rollback reasons and are contracts.
BUILTIN_METRICS: tuple[str, ...] = (
    "error-ratio",
    "latency",
    "approval-rate",
    "apr",
    "granted-line",
    "apr-guardrail",
)

_DURATION_PATTERN = PATTERN


def parse_duration(value: Any) -> timedelta:
    """A Go-style duration (``"1m30s"``, ``"500ms"``), a number of seconds or a timedelta.

    >>> parse_duration("1m30s")
    datetime.timedelta(seconds=90)
    """
    return timedelta(seconds=parse_seconds(value, allow_zero=False))


def format_duration(value: timedelta | float) -> str:
    """The shortest spelling that Prometheus also accepts in a range selector (``5s``, ``1m``)."""
    return format_seconds(value.total_seconds() if isinstance(value, timedelta) else float(value))


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": _DURATION_PATTERN},
                {"type": "number", "exclusiveMinimum": 0},
            ],
            "description": "a duration such as 500ms, 5s, 1m30s, or a number of seconds",
        }
    ),
]


class _Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid", frozen=True)


class ScrapeSpec(_Model):
    """Read each track's ``/metrics`` directly (the embedded default)."""

    timeout: Duration = Field(default=timedelta(seconds=2), description="per request")
    path: str = Field(default="/metrics", description="path of the metrics endpoint")


class PrometheusSpec(_Model):
    """Query the Prometheus HTTP API; series are told apart by their ``track`` label."""

    url: str = Field(default="http://127.0.0.1:9090", description="base URL of Prometheus")
    queries: dict[str, str] = Field(
        default_factory=dict,
        description="overrides of the built-in quantity queries (keys: requests, errors, "
        "latency, decisions, declines, grades, apr, line, apr_outside); templates with {{track}}",
    )
    timeout: Duration = Field(default=timedelta(seconds=5), description="per query")


class ProviderSpec(_Model):
    """Exactly one of ``scrape`` or ``prometheus``."""

    scrape: ScrapeSpec | None = None
    prometheus: PrometheusSpec | None = None

    @model_validator(mode="before")
    @classmethod
    def _default_scrape(cls, data: Any) -> Any:
        if isinstance(data, str):  # "scrape" / "prometheus" as a shorthand
            return {data: {}}
        if isinstance(data, dict) and not data:
            return {"scrape": {}}
        return data

    @model_validator(mode="after")
    def _exactly_one(self) -> ProviderSpec:
        chosen = [k for k in ("scrape", "prometheus") if getattr(self, k) is not None]
        if len(chosen) != 1:
            raise ValueError("provider: give exactly one of 'scrape' or 'prometheus'")
        return self

    @property
    def kind(self) -> Literal["scrape", "prometheus"]:
        return "prometheus" if self.prometheus is not None else "scrape"


class MetricSpec(_Model):
    """A built-in metric's settings, or a user threshold metric (one with ``query``)."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$")
    enabled: bool = True
    query: str | None = Field(
        default=None,
        description="PromQL template for a threshold metric; keys {{track}}, {{interval}}, {{window}}",
    )
    max: float | None = Field(default=None, description="fail when the canary's value is above")
    min: float | None = Field(default=None, description="fail when the canary's value is below")
    samples_query: str | None = Field(
        default=None,
        alias="samplesQuery",
        description="PromQL template for the sample count behind the value; default: the "
        "track's /v1 requests since the analysis began",
    )
    min_samples: int | None = Field(default=None, alias="minSamples", ge=1)
    tolerance: float | None = Field(default=None, ge=1.0)
    critical: bool | None = Field(default=None, description="a fail rolls back at once")

    @model_validator(mode="after")
    def _kind(self) -> MetricSpec:
        if self.query is None:
            if self.name not in BUILTIN_METRICS:
                raise ValueError(
                    f"metric {self.name!r} is not built in ({', '.join(BUILTIN_METRICS)}); "
                    "a threshold metric needs 'query' and 'max' or 'min'"
                )
            if self.max is not None or self.min is not None or self.samples_query is not None:
                raise ValueError(f"built-in metric {self.name!r} takes no max/min/samplesQuery")
        else:
            if self.name in BUILTIN_METRICS:
                raise ValueError(f"{self.name!r} is a built-in metric name; name your query differently")
            if self.max is None and self.min is None:
                raise ValueError(f"threshold metric {self.name!r} needs 'max' or 'min'")
        return self

    @property
    def is_threshold(self) -> bool:
        return self.query is not None


class AnalysisSpec(_Model):
    """How the canary is judged against stable."""

    interval: Duration = Field(default=timedelta(seconds=5), description="time between evaluations")
    provider: ProviderSpec = Field(default_factory=lambda: ProviderSpec(scrape=ScrapeSpec()))
    alpha: float = Field(
        default=0.01, gt=0.0, lt=0.5,
        description="false-alarm bound for the whole canary, however often it is checked "
        "(split evenly over the statistical metrics)",
    )
    min_samples: int = Field(
        default=30, alias="minSamples", ge=1,
        description="below this per track a metric is 'not enough data', never a failure",
    )
    tolerance: float = Field(
        default=1.2, ge=1.0,
        description="the canary's rate may exceed stable's by this factor before it is a regression",
    )
    margin: float = Field(
        default=2.0, gt=1.0,
        description="a metric passes (so an analysis step may end early) only once the canary is "
        "shown within this factor of stable; until then it is 'keep watching', never a pass",
    )
    metrics: list[MetricSpec] | None = Field(
        default=None, description="tune or switch off built-ins, add threshold metrics"
    )

    @model_validator(mode="after")
    def _unique(self) -> AnalysisSpec:
        names = [m.name for m in self.metrics or ()]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"metric names must be unique: {', '.join(dupes)}")
        return self

    @property
    def interval_seconds(self) -> float:
        return self.interval.total_seconds()

    def metric(self, name: str) -> MetricSpec | None:
        """The user's entry for ``name``, if any."""
        for m in self.metrics or ():
            if m.name == name:
                return m
        return None

    def builtins(self) -> list[str]:
        """Built-in metrics that are switched on, in contract order."""
        return [n for n in BUILTIN_METRICS if (m := self.metric(n)) is None or m.enabled]

    def thresholds(self) -> list[MetricSpec]:
        return [m for m in self.metrics or () if m.is_threshold and m.enabled]


def default_analysis() -> AnalysisSpec:
    """The analysis used when a rollout spec has no ``analysis:`` section."""
    return AnalysisSpec()
