"""The real service under `lendops serve --workers 2` (gunicorn): exact metrics across
workers, promtool-clean exposition, traces from every worker in one span store."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from monitoring.probe import names
from monitoring.tracing import SpanStore
from tests.procs import ServiceProcess, create_token, prepare_db, start_lending_service

from .conftest import promtool_check, samples

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServiceProcess, str, Path]]:
    root = tmp_path_factory.mktemp("serve")
    url = f"sqlite:///{root / 'lending.sqlite'}"
    prepare_db(url)
    token = create_token(url, "ops")
    spans = root / "spans.sqlite"
    svc = start_lending_service(db_url=url, version="3.0.0", track="canary", workers=2,
                                env={"LENDING_TRACING_EXPORTER": "store", "LENDING_TRACING_STORE": str(spans)})
    try:
        yield svc, token, spans
    finally:
        svc.stop()


def test_counts_are_exact_across_gunicorn_workers(served: tuple[ServiceProcess, str, Path]) -> None:
    svc, token, spans_path = served
    n = 120

    def one(_: int) -> str:
        r = requests.get(svc.base_url + "/v1/branches", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert r.status_code == 200 and r.headers["X-Lending-Track"] == "canary"
        return r.headers.get("X-Lending-Version", "")

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert set(pool.map(one, range(n))) == {"3.0.0"}
    text = requests.get(svc.base_url + "/metrics", timeout=10).text
    every = samples(text)
    count = sum(s.value for s in every if s.name == names.HTTP_DURATION + "_count"
                and s.labels["http_route"] == "/v1/branches")
    assert count == n
    assert all(s.labels.get("track") == "canary" for s in every)
    assert [(s.labels, s.value) for s in every if s.name == names.BUILD_INFO] == [
        ({"version": "3.0.0", "track": "canary"}, 1.0)]
    result = promtool_check(text)
    assert result.returncode == 0 and not result.stdout.strip() and not result.stderr.strip(), result

    # Both workers export into the one SQLite span store (batched: wait, bounded).
    store = SpanStore.at_path(str(spans_path))
    try:
        for _ in range(100):  # at most ~10 s
            found = store.traces(route="/v1/branches", limit=1000)
            if len(found) >= n:
                break
            time.sleep(0.1)
        assert len(found) == n
        assert {t.track for t in found} == {"canary"} and {t.version for t in found} == {"3.0.0"}
    finally:
        store.close()


def test_client_telemetry_is_counted_once_across_workers(served: tuple[ServiceProcess, str, Path]) -> None:
    svc, token, _ = served
    event = {"route": "/v1/quotes", "method": "POST", "outcome": "timeout", "duration_ms": 3000.0}
    for _ in range(4):
        r = requests.post(svc.base_url + "/v1/telemetry/client", json={"events": [event] * 5},
                          headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert r.status_code == 202, r.text
    text = requests.get(svc.base_url + "/metrics", timeout=10).text
    counts = [s.value for s in samples(text) if s.name == names.CLIENT_DURATION + "_count"
              and s.labels == {"route": "/v1/quotes", "outcome": "timeout", "track": "unknown"}]
    assert counts == [20.0]
