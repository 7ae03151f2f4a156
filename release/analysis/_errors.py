"""Exceptions of the analysis package.

    AnalysisError                 base; carries ``detail`` fields for logs and status
    ├── SpecError                 an analysis spec that cannot work (e.g. a threshold
    │                             metric on the scrape provider)
    ├── TemplateError             a PromQL template names a key that has no value
    └── ProviderError             a metrics source could not be read
        ├── EndpointError         a /metrics endpoint is unreachable or answered badly
        └── PrometheusError       the Prometheus HTTP API failed or returned an error
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AnalysisError",
    "EndpointError",
    "PrometheusError",
    "ProviderError",
    "SpecError",
    "TemplateError",
]


class AnalysisError(Exception):
    """Base of every error raised by :mod:`release.analysis`."""

    def __init__(self, message: str, **detail: Any) -> None:
        super().__init__(message)
        self.message = message
        self.detail: dict[str, Any] = detail

    def to_dict(self) -> dict[str, Any]:
        return {"error": type(self).__name__, "message": self.message, **self.detail}


class SpecError(AnalysisError):
    """The analysis spec is valid YAML but cannot be carried out as written."""


class TemplateError(AnalysisError):
    """A query template uses a key that is not provided.

    ``key`` is the missing key, ``template`` the template text.
    """

    def __init__(self, key: str, template: str, *, available: tuple[str, ...] = ()) -> None:
        super().__init__(
            f"query template uses {{{{{key}}}}} but no value for {key!r} is provided"
            f" (available: {', '.join(available) or 'none'})",
            key=key,
            template=template,
            available=list(available),
        )
        self.key = key
        self.template = template


class ProviderError(AnalysisError):
    """A metrics provider could not deliver a snapshot."""


class EndpointError(ProviderError):
    """A track's /metrics endpoint was unreachable, slow or answered badly (``url``, ``track``)."""


class PrometheusError(ProviderError):
    """The Prometheus HTTP API failed (``url``, ``query``, ``status``)."""
