"""Real endpoints for the provider tests: two prometheus-client HTTP servers (stable and
canary /metrics on loopback) and, when the binary is present, a real Prometheus server
scraping both every second."""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from prometheus_client import start_http_server

from .streams import Build, Service


class LiveServices:
    """Stable and canary services, each with its own real /metrics endpoint."""

    def __init__(self, stable: Build, canary: Build, *, weight: float, seed: int) -> None:
        self.rng = random.Random(seed)
        self.weight = weight
        self.services = {"stable": Service("stable", stable, random.Random(seed + 1)),
                         "canary": Service("canary", canary, random.Random(seed + 2))}
        self.servers = {}
        self.endpoints = {}
        for track, svc in self.services.items():
            server, _ = start_http_server(0, addr="127.0.0.1", registry=svc.registry)
            self.servers[track] = server
            self.endpoints[track] = f"http://127.0.0.1:{server.server_address[1]}"

    def traffic(self, n: int) -> None:
        for _ in range(n):
            track = "canary" if self.rng.random() < self.weight else "stable"
            self.services[track].request()

    def close(self) -> None:
        for server in self.servers.values():
            server.shutdown()
            server.server_close()


@pytest.fixture
def live_services() -> Iterator[LiveServices]:
    svc = LiveServices(Build(), Build(error_rate=0.06, latency=0.212), weight=0.3, seed=21)
    yield svc
    svc.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LivePrometheus:
    def __init__(self, url: str, proc: subprocess.Popen) -> None:
        self.url = url
        self.proc = proc

    def query(self, promql: str) -> list:
        r = requests.get(f"{self.url}/api/v1/query", params={"query": promql}, timeout=5)
        r.raise_for_status()
        return r.json()["data"]["result"]

    def wait_up(self, jobs: tuple[str, ...], *, deadline_s: float = 30.0) -> None:
        # The first scrape happens only after ~5-6 s (batched target discovery).
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            try:
                rows = self.query("up == 1")
            except requests.RequestException:
                rows = []
            if {r["metric"].get("job") for r in rows} >= set(jobs):
                return
            time.sleep(0.5)
        raise AssertionError(f"Prometheus did not scrape {jobs} within {deadline_s} s")


@pytest.fixture
def prometheus_for(tmp_path: Path):
    """Start a real Prometheus scraping the given endpoints every second."""
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.skip("the prometheus binary (Debian package) is not installed")
    started: list[subprocess.Popen] = []

    def start(endpoints: dict[str, str]) -> LivePrometheus:
        port = _free_port()
        jobs = "\n".join(
            f"  - job_name: {track}\n    static_configs:\n      - targets: ['{url.removeprefix('http://')}']"
            for track, url in endpoints.items()
        )
        config = tmp_path / "prometheus.yml"
        config.write_text(f"global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n{jobs}\n")
        proc = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
            stdout=subprocess.DEVNULL, stderr=(tmp_path / "prometheus.log").open("w"),
        )
        started.append(proc)
        prom = LivePrometheus(f"http://127.0.0.1:{port}", proc)
        prom.wait_up(tuple(endpoints))
        return prom

    yield start
    for proc in started:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
