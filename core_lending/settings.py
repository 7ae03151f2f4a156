"""Typed settings of the lending service, from CLI flags over ``LENDING_*`` env vars."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .errors import ConfigError
from .faults import NO_FAULTS, FaultSpec, parse_faults

__all__ = ["Settings", "DEFAULT_DB_URL", "normalize_db_url"]

DEFAULT_DB_URL = "sqlite:///./lendops.sqlite"
TRACKS = ("stable", "canary")


def normalize_db_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and pick the installed psycopg 3 driver."""
    url = url.strip()
    if not url:
        raise ConfigError("db_url", url, "database URL is empty")
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    if not (url.startswith("sqlite") or url.startswith("postgresql+")):
        raise ConfigError("db_url", url, f"unsupported database URL {url!r}: use sqlite:///FILE or postgresql://...")
    return url


@dataclass(frozen=True)
class Settings:
    """Everything a serving process needs; validated once, here."""

    db_url: str = DEFAULT_DB_URL
    """SQLAlchemy URL; a SQLite file by default, PostgreSQL (psycopg 3) in production."""
    version: str = "0.0.0"
    """Build version reported by /version, headers and lending_build_info."""
    track: str = "stable"
    """stable or canary; labels every metric and response."""
    faults: FaultSpec = NO_FAULTS
    """Release-drill faults in force (off by default)."""
    payout_delay_ms: int = 200
    """Simulated payment-rail latency per payout."""
    payout_failure_rate: float = 0.0
    """Share (0..1) of payouts the simulated rail rejects."""
    worker_enabled: bool = True
    """Run the disbursement worker thread in this process."""
    worker_poll_ms: int = 100
    """How often the disbursement worker looks for pending loans."""
    stuck_after_s: int = 600
    """A disbursement pending longer than this counts as stuck."""
    claim_ttl_s: int = 120
    """A claim older than this without an outcome belongs to a dead process; another worker
    takes it over (the rail reference stays ``loan-<id>``, which a real rail deduplicates on)."""
    max_body_bytes: int = 64 * 1024
    """Request bodies above this answer 413."""
    idempotency_wait_ms: int = 5000
    """How long a duplicate request waits for the first one before answering 409."""
    idempotency_abandon_s: int = 60
    """A request still running after this long is presumed dead; a retry may take its key over."""
    random_seed: int | None = None
    """Seed for fault and payout randomness (reproducible drills)."""
    tracing: Mapping[str, Any] = field(default_factory=dict)
    """Options for the tracing set-up (owned by monitoring; opaque here)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "db_url", normalize_db_url(self.db_url))
        if self.track not in TRACKS:
            raise ConfigError("track", self.track, f"track must be stable or canary, not {self.track!r}")
        if not self.version.strip():
            raise ConfigError("version", self.version, "version must not be empty")
        if not 0.0 <= self.payout_failure_rate <= 1.0:
            raise ConfigError("payout_failure_rate", self.payout_failure_rate, "payout failure rate must be in 0..1")
        for name in ("payout_delay_ms", "worker_poll_ms", "stuck_after_s", "claim_ttl_s", "max_body_bytes", "idempotency_wait_ms",
                     "idempotency_abandon_s"):
            if getattr(self, name) < 0:
                raise ConfigError(name, getattr(self, name), f"{name} must not be negative")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read ``LENDING_*`` variables, then apply explicit (non-None) overrides such as CLI flags."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}

        def text(name: str, key: str) -> None:
            if env.get(key):
                values[name] = env[key]

        def number(name: str, key: str, kind: type) -> None:
            if env.get(key):
                try:
                    values[name] = kind(env[key])
                except ValueError:
                    raise ConfigError(name, env[key], f"{key} must be a number, not {env[key]!r}") from None

        text("db_url", "LENDING_DB_URL")
        text("version", "LENDING_VERSION")
        text("track", "LENDING_TRACK")
        if env.get("LENDING_FAULTS"):
            values["faults"] = parse_faults(env["LENDING_FAULTS"])
        number("payout_delay_ms", "LENDING_PAYOUT_DELAY_MS", int)
        number("payout_failure_rate", "LENDING_PAYOUT_FAILURE_RATE", float)
        number("worker_poll_ms", "LENDING_WORKER_POLL_MS", int)
        number("stuck_after_s", "LENDING_STUCK_AFTER_S", int)
        number("random_seed", "LENDING_RANDOM_SEED", int)
        number("idempotency_wait_ms", "LENDING_IDEMPOTENCY_WAIT_MS", int)
        number("claim_ttl_s", "LENDING_CLAIM_TTL_S", int)
        if env.get("LENDING_WORKER") in ("0", "false", "off"):
            values["worker_enabled"] = False
        for key, value in overrides.items():
            if value is None:
                continue
            if key == "faults" and isinstance(value, str):
                value = parse_faults(value)
            values[key] = value
        return cls(**values)

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)
