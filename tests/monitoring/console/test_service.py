"""The console over the real lending service: two `lendops serve` processes (stable and
canary, the canary with injected faults) tracing into one span store, driven through
the credit path by the client SDK."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from monitoring.client import LendingClient
from monitoring.console import ConsoleSettings, create_console, parse_target
from monitoring.prober import JourneySettings, walk
from tests.procs import create_token, start_lending_service

pytestmark = pytest.mark.slow

APPLY = "/v1/credit/applications"


def test_console_reads_the_real_services_spans_and_metrics(seeded_sqlite_url: str, tmp_path: Path) -> None:
    spans = tmp_path / "spans.sqlite"
    token = create_token(seeded_sqlite_url, "manager", branch="522629")
    env = {"LENDING_TRACING_EXPORTER": "store", "LENDING_TRACING_STORE": str(spans)}
    with start_lending_service(db_url=seeded_sqlite_url, env=env) as stable, \
            start_lending_service(db_url=seeded_sqlite_url, version="1.1.0", track="canary", env=env,
                                  faults="latency_ms=120") as canary:
        for svc in (stable, canary):
            with LendingClient(svc.base_url, token, branch_code="522629", telemetry=False) as client:
                for _ in range(2):
                    result = walk(client, JourneySettings(disburse_timeout_s=20))
                    assert result.ok, result
        settings = ConsoleSettings(
            targets=(parse_target(f"stable={stable.base_url}"), parse_target(f"canary={canary.base_url}")),
            spans_url=ConsoleSettings.spans(str(spans)))
        client = create_console(settings).test_client()
        tracks = {t["track"]: t for t in client.get("/api/tracks").get_json()["tracks"]}
        assert tracks["stable"]["version"] == "1.0.0" and tracks["canary"]["version"] == "1.1.0"
        assert tracks["stable"]["error_ratio"] == 0.0 and tracks["stable"]["approval_rate"] == 1.0
        # The canary's injected 120 ms shows in its p99 (bucket 0.1-0.25 s), not in stable's.
        assert tracks["canary"]["p99_s"] >= 0.1 and tracks["stable"]["p99_s"] < tracks["canary"]["p99_s"]

        def traces(query: str) -> list[dict]:
            # Spans are exported in batches (1 s): wait for both services' applications.
            for _ in range(100):
                found = client.get("/api/traces?" + query).get_json()["traces"]
                if len(found) >= 4:
                    return found
                time.sleep(0.1)
            return found

        applications = traces(f"route={APPLY}")
        assert {t["track"] for t in applications} == {"stable", "canary"}
        canary_trace = next(t for t in applications if t["track"] == "canary")
        assert canary_trace["duration_ms"] >= 120 and canary_trace["version"] == "1.1.0"
        rows = client.get(f"/api/waterfall/{canary_trace['trace_id']}").get_json()["rows"]
        root = rows[0]
        assert root["depth"] == 0 and root["name"] == f"POST {APPLY}"
        stages = {r["name"]: r for r in rows if r["name"].startswith("credit.")}
        assert {"credit.score", "credit.line", "credit.price", "credit.persist"} <= set(stages)
        assert all(r["depth"] >= 1 for r in stages.values())
        assert any(r["kind"] == "client" and r["depth"] >= 1 for r in rows)  # SQL under the request
        # No personal data reaches the console (the store filters; the waterfall adds nothing).
        # Column names appear in SQL statements; values (18-character ID numbers, 11-digit
        # mobile numbers) must not.
        text = " ".join(f"{r['name']} {r['attributes']}" for r in rows)
        assert not re.search(r"\b\d{17}[\dX]\b", text) and not re.search(r"\b1\d{10}\b", text)
