"""Rollout notifications start and stop scenario traffic through the webhook (real HTTP, real runs)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from loadtest.webhook import LoadWebhook, WebhookSettings, serve_webhook
from tests.procs import ServiceProcess, free_port


@pytest.fixture
def webhook(healthy_service: ServiceProcess, lending_db: tuple[str, Path], scenario_file: Callable[..., Path],
            tmp_path: Path) -> Iterator[tuple[str, LoadWebhook]]:
    app = LoadWebhook(WebhookSettings(scenario=str(scenario_file()), host=healthy_service.base_url,
                                      out_dir=tmp_path / "runs", tokens_file=str(lending_db[1])))
    server = serve_webhook(app, "127.0.0.1", free_port())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", app
    finally:
        server.shutdown()
        server.server_close()
        app.stop_all()


def _until(check: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.2)


def test_a_rollout_starts_traffic_sees_progress_and_stops_it(webhook: tuple[str, LoadWebhook],
                                                            tmp_path: Path) -> None:
    url, _ = webhook
    started = requests.post(f"{url}/rollout", json={"event": "pre-rollout", "rollout": "lending"}, timeout=10)
    assert started.status_code == 200
    run_id = started.json()["id"]
    _until(lambda: int(requests.get(f"{url}/runs/{run_id}", timeout=5).json()["progress"].get("requests", 0)) > 5)
    step = requests.post(f"{url}/rollout", json={"event": "step", "rollout": "lending"}, timeout=5).json()
    assert step["id"] == run_id and step["state"] == "running"
    again = requests.post(f"{url}/runs", json={}, timeout=5)
    assert again.status_code == 409  # one run at a time
    stopping = requests.post(f"{url}/rollout", json={"event": "post-rollout", "rollout": "lending"}, timeout=5)
    assert stopping.status_code == 202
    _until(lambda: requests.get(f"{url}/runs/{run_id}", timeout=5).json()["state"] == "finished")
    summary = requests.get(f"{url}/runs/{run_id}", timeout=5).json()["summary"]
    assert summary["requests"] > 5 and summary["passed"] is True
    assert (tmp_path / "runs" / run_id / "summary.json").exists()


def test_a_scenario_that_cannot_start_refuses_the_rollout(webhook: tuple[str, LoadWebhook],
                                                          scenario_file: Callable[..., Path]) -> None:
    url, _ = webhook
    broken = scenario_file("name: x\nduration_s: -1\n", name="broken.yaml")
    answer = requests.post(f"{url}/runs", json={"scenario": str(broken)}, timeout=10)
    assert answer.status_code == 422
    assert f"{broken}:2: duration_s: Input should be greater than 0" in answer.json()["error"]
