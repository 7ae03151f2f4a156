"""The probe under a real gunicorn with several workers (multiprocess mode)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from monitoring.probe import names

from .conftest import free_port, promtool_check, samples

ROOT = Path(__file__).resolve().parents[3]
WORK_ROUTE = "/work/<int:item>"


class Gunicorn:
    def __init__(self, proc: subprocess.Popen, base: str, metrics_dir: Path) -> None:
        self.proc = proc
        self.base = base
        self.metrics_dir = metrics_dir
        self.session = requests.Session()

    def get(self, path: str) -> requests.Response:
        return self.session.get(self.base + path, timeout=10)

    def metrics(self) -> str:
        response = self.get("/metrics")
        assert response.status_code == 200
        return response.text


@pytest.fixture()
def gunicorn(tmp_path: Path) -> Iterator[Gunicorn]:
    port = free_port()
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"), APP_VERSION="2.0.0")
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "counter_1.db").write_bytes(b"stale")  # cleared by on_starting
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
            "--config", "python:monitoring.probe.gunicorn_hooks", "--chdir", str(ROOT),
            "--graceful-timeout", "5", "tests.monitoring.probe.gunicorn_app:create_app()",
        ],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    server = Gunicorn(proc, f"http://127.0.0.1:{port}", tmp_path / "metrics")
    try:
        for _ in range(200):  # at most ~10 s
            if proc.poll() is not None:
                pytest.fail(f"gunicorn exited: {proc.stderr.read().decode()[-2000:]}")
            try:
                if server.get("/pid").status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.05)
        else:
            pytest.fail("gunicorn did not answer within 10 s")
        yield server
    finally:
        server.session.close()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        if proc.stderr is not None:
            proc.stderr.close()


def _hammer(server: Gunicorn, start: int, count: int) -> set[str]:
    def one(i: int) -> str:
        with requests.get(f"{server.base}/work/{i}", timeout=10) as response:
            assert response.status_code == 200
            return response.headers["X-Worker-Pid"]

    with ThreadPoolExecutor(max_workers=6) as pool:
        return set(pool.map(one, range(start, start + count)))


def _work_count(text: str) -> float:
    return sum(
        s.value for s in samples(text)
        if s.name == names.HTTP_DURATION + "_count" and s.labels["http_route"] == WORK_ROUTE
    )


def _decisions(text: str) -> float:
    return sum(s.value for s in samples(text) if s.name == names.CREDIT_DECISIONS)


def _worker_pids(master: int) -> set[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True)
    return {int(p) for p in out.stdout.split()}


def test_counts_are_exact_across_workers_and_survive_a_killed_worker(gunicorn: Gunicorn) -> None:
    first = 150
    pids = _hammer(gunicorn, 0, first)
    assert len(pids) >= 2, f"all requests went to one worker {pids}: the test proves nothing"
    text = gunicorn.metrics()
    assert _work_count(text) == first
    assert _decisions(text) == first

    # A worker dies hard; the master replaces it. Its counts must stay, its live
    # gauges must go, and build info must still be a single 1.
    victim = int(next(iter(pids)))
    os.kill(victim, signal.SIGKILL)
    for _ in range(200):  # at most ~10 s
        current = _worker_pids(gunicorn.proc.pid)
        if victim not in current and len(current) == 2:
            break
        time.sleep(0.05)
    else:
        pytest.fail("gunicorn did not replace the killed worker")
    # child_exit ran in the master: the victim's live gauges are gone, its counts stay.
    left = {f.name for f in gunicorn.metrics_dir.glob(f"*_{victim}.db")}
    assert f"counter_{victim}.db" in left and f"histogram_{victim}.db" in left
    assert not {n for n in left if n.startswith("gauge_live")}, left

    second = 90
    _hammer(gunicorn, first, second)
    text = gunicorn.metrics()
    assert _work_count(text) == first + second
    assert _decisions(text) == first + second
    every = samples(text)
    assert all(s.labels.get("track") == "canary" for s in every)
    build = [(s.labels, s.value) for s in every if s.name == names.BUILD_INFO]
    assert build == [({"version": "2.0.0", "track": "canary"}, 1.0)]
    # Only the scrape itself is in flight, however many workers came and went.
    assert sum(s.value for s in every if s.name == names.HTTP_ACTIVE) == 1


def test_promtool_accepts_the_live_multiprocess_exposition(gunicorn: Gunicorn) -> None:
    _hammer(gunicorn, 0, 20)
    gunicorn.get("/no/such/route")
    result = promtool_check(gunicorn.metrics())
    assert result.returncode == 0 and result.stdout.strip() == "" and result.stderr.strip() == "", result
