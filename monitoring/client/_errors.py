"""Exceptions of the client SDK.

    ClientError
    ├── ProblemError          the service answered 4xx/5xx (problem+json fields)
    └── TransportError        no usable answer reached the client
        ├── TimeoutError      the service did not answer in time (also a builtins.TimeoutError)
        └── ConnectError      connection refused, reset, DNS, TLS ...

Every error carries the measured ``result`` of the failed call, so a caller can see the
latency, route and track even when the call failed.
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._result import Reply

__all__ = ["ClientError", "ProblemError", "TransportError", "TimeoutError", "ConnectError"]


class ClientError(Exception):
    """Base of every error the SDK raises."""

    def __init__(self, message: str, *, result: Reply | None = None) -> None:
        super().__init__(message)
        self.result = result


class ProblemError(ClientError):
    """The service answered with an error status (normally ``application/problem+json``)."""

    def __init__(
        self,
        *,
        status: int,
        type: str,
        title: str,
        detail: str | None,
        body: Any = None,
        result: Reply | None = None,
    ) -> None:
        text = f"{status} {title}" + (f": {detail}" if detail else "") + f" ({type})"
        super().__init__(text, result=result)
        self.status = status
        self.type = type
        self.title = title
        self.detail = detail
        self.body = body

    @property
    def slug(self) -> str:
        """Last path segment of ``type``, e.g. ``injected-fault``."""
        return self.type.rstrip("/").rsplit("/", 1)[-1]


class TransportError(ClientError):
    """The request did not produce an HTTP answer."""


class TimeoutError(TransportError, builtins.TimeoutError):  # noqa: A001 - httpx-style name
    """The service did not answer within the client's timeout."""


class ConnectError(TransportError):
    """The connection failed (refused, reset, unreachable)."""
