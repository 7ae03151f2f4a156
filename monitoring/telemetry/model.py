"""The wire model of client telemetry (``POST /v1/telemetry/client``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ClientEvent", "TelemetryBatch", "OUTCOMES", "MAX_EVENTS", "MAX_BODY_BYTES"]

MAX_EVENTS = 500
MAX_BODY_BYTES = 256 * 1024
OUTCOMES = ("ok", "http_error", "timeout", "connection_error")
Outcome = Literal["ok", "http_error", "timeout", "connection_error"]


class ClientEvent(BaseModel):
    """One request as the client saw it.

    ``version`` and ``track`` are what the response headers said served it; both are
    absent when no response came (timeouts, connection errors).
    """

    # Newer SDKs may send more fields; ignoring them keeps old services accepting.
    model_config = ConfigDict(extra="ignore", frozen=True)

    route: str = Field(min_length=1, max_length=300)
    method: str = Field(min_length=1, max_length=16, pattern=r"^[A-Za-z]+$")
    outcome: Outcome
    status: int | None = Field(default=None, ge=100, le=599)
    duration_ms: float = Field(ge=0, le=3_600_000, allow_inf_nan=False)
    version: str | None = Field(default=None, max_length=100)
    track: Literal["stable", "canary"] | None = None
    ts: datetime | None = None


class TelemetryBatch(BaseModel):
    """The envelope. Events are validated one by one, so one bad event does not cost
    the batch."""

    model_config = ConfigDict(extra="ignore")

    events: list[dict[str, Any]] = Field(min_length=1)
