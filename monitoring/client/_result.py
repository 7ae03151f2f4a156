"""What one call looked like from the client side."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Reply", "Outcome", "OUTCOMES"]

Outcome = Literal["ok", "http_error", "timeout", "connection_error"]
OUTCOMES: tuple[Outcome, ...] = ("ok", "http_error", "timeout", "connection_error")


@dataclass(frozen=True, slots=True)
class Reply:
    """A measured call: the parsed body plus what the client saw.

    ``reply["loan_id"]`` reads the JSON body directly.
    """

    route: str
    method: str
    outcome: Outcome
    status: int | None
    duration_s: float
    #: Build and track that served the call (``X-Lending-Version`` / ``X-Lending-Track``);
    #: ``None`` when no answer arrived.
    version: str | None
    track: str | None
    #: Wall-clock start of the call, seconds since the epoch.
    ts: float
    trace_id: str
    attempts: int = 1
    idempotency_key: str | None = None
    data: Any = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default) if isinstance(self.data, dict) else default
