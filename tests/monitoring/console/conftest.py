"""Real parts for the console tests: two traced Flask services (stable and canary) with
the server probe's /metrics on real loopback ports, writing spans through the real
tracing pipeline into one SQLite span store, and a rollout status file in the
controller's own format."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, Response, jsonify
from opentelemetry import trace
from prometheus_client import CollectorRegistry
from werkzeug.serving import make_server

from monitoring.probe import ServerProbe
from monitoring.tracing import init_tracing

APPLY = "/v1/credit/applications"


def _service(track: str, version: str, spans: Path, *, fail_every: int) -> tuple[Flask, Any]:
    app = Flask(f"lending-{track}")
    probe = ServerProbe(version=version, track=track, registry=CollectorRegistry())
    probe.init_app(app)
    tracing = init_tracing(app, service_name="lending", version=version, track=track, exporter="store",
                           store_path=str(spans), schedule_delay_ms=50)
    tracer = trace.get_tracer("tests.console")
    counter = {"n": 0}

    @app.post(APPLY)
    def apply() -> Response:
        counter["n"] += 1
        if fail_every and counter["n"] % fail_every == 0:
            return Response('{"type": "https://lendops.dev/problems/injected-fault"}', status=500,
                            content_type="application/problem+json")
        with tracer.start_as_current_span("credit.score") as span:
            span.set_attribute("lending.grade", "B")
            with tracer.start_as_current_span("credit.line"):
                time.sleep(0.002)
        with tracer.start_as_current_span("credit.price"):
            time.sleep(0.001)
        approved = counter["n"] % 3 != 0 if track == "stable" else counter["n"] % 2 == 0
        probe.business.credit_decision("approved" if approved else "declined", grade="B", branch="522629")
        return jsonify({"decision": "approved" if approved else "declined"})

    @app.get("/v1/quotes")
    def quotes() -> Response:
        return jsonify({"apr_bps": 650})

    return app, tracing


@dataclass
class Services:
    urls: dict[str, str]
    spans: Path
    tracings: list[Any] = field(default_factory=list)

    def drive(self, track: str, n: int) -> None:
        # urllib, not requests: requests is instrumented process-wide once tracing is on,
        # and a client span here would become each trace's root.
        for _ in range(n):
            for method, path in (("POST", APPLY), ("GET", "/v1/quotes")):
                req = urllib.request.Request(self.urls[track] + path, method=method,
                                             data=b"{}" if method == "POST" else None,
                                             headers={"Content-Type": "application/json"})
                try:
                    urllib.request.urlopen(req, timeout=5).read()
                except urllib.error.HTTPError as exc:
                    exc.read()

    def flush(self) -> None:
        for tracing in self.tracings:
            assert tracing.force_flush()


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    """stable 1.0.0 (no failures) and canary 1.1.0 (every 4th application answers 500)."""
    spans = tmp_path / "spans.sqlite"
    servers, threads, urls, tracings = [], [], {}, []
    for track, version, fail in (("stable", "1.0.0", 0), ("canary", "1.1.0", 4)):
        app, tracing = _service(track, version, spans, fail_every=fail)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        servers.append(server)
        threads.append(thread)
        tracings.append(tracing)
        urls[track] = f"http://127.0.0.1:{server.server_port}"
    svc = Services(urls=urls, spans=spans, tracings=tracings)
    try:
        yield svc
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
        for thread in threads:
            thread.join(5)
        for tracing in tracings:
            tracing.shutdown()


def rollout_document() -> dict[str, Any]:
    """A rollout.json as the controller saves it, built from the release engine's own types
    (so a change of their shape shows up here)."""
    from release.analysis import AnalysisResult, Verdict
    from release.engine import RolloutState

    verdicts = (
        Verdict(metric="error-rate", judge="sequential-count", decision="fail", critical=True,
                query="http_server_request_duration_seconds_count", stable={"n": 400, "bad": 0},
                canary={"n": 100, "bad": 25}, statistic=1.2e6, threshold=100.0,
                explanation="canary 5xx ratio 25.0% against stable 0.0%: e-value 1.2e+06 crossed 100 (alpha 0.01)"),
        Verdict(metric="latency-p99", judge="sequential-histogram", decision="inconclusive", critical=False,
                query="http_server_request_duration_seconds_bucket", stable={"n": 400}, canary={"n": 100},
                statistic=1.4, threshold=100.0, explanation="no latency regression yet: e-value 1.4 below 100"),
    )
    result = AnalysisResult(decision="fail", critical=True, verdicts=verdicts,
                            reason="error-rate: canary 5xx ratio 25.0% against stable 0.0%")
    now = time.time()
    state = RolloutState(
        name="checkout", stable_version="1.0.0", canary_version="1.1.0", phase="rolling_back", step=1,
        weight=0, cohort=("522629", "522631"), reason="analysis failed: error-rate", started_at=now - 120,
        updated_at=now, evaluations=7, last_decision="fail", last_result=result.to_dict(),
        history=[{"at": now - 120, "type": "start", "phase": "progressing", "step": 0, "weight": 5,
                  "reason": "canary 1.1.0 deployed"},
                 {"at": now, "type": "rollback", "phase": "rolling_back", "step": 1, "weight": 0,
                  "reason": "analysis failed: error-rate"}],
    )
    return {"state": state.to_dict(), "spec_text": "", "runtime": {}}


@pytest.fixture
def status_file(tmp_path: Path) -> Path:
    path = tmp_path / "rollouts" / "checkout" / "rollout.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(rollout_document(), indent=1))
    return path
