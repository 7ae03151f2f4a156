"""Real endpoints for the provider tests: two prometheus-client HTTP servers (stable and
canary /metrics on loopback) and, when the binary is present, a real Prometheus server
scraping both every second."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import start_http_server

from monitoring.prometheus_server import PrometheusServer, prometheus_binary

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


@pytest.fixture
def prometheus_for(tmp_path: Path):
    """Start a real Prometheus scraping the given endpoints every second."""
    if prometheus_binary() is None:
        pytest.skip("the prometheus binary (Debian package) is not installed")
    started: list[PrometheusServer] = []

    def start(endpoints: dict[str, str]) -> PrometheusServer:
        prom = PrometheusServer.start(tmp_path / "prometheus",
                                      static={track: url.removeprefix("http://") for track, url in endpoints.items()})
        started.append(prom)
        prom.wait_jobs(tuple(endpoints))
        return prom

    yield start
    for prom in started:
        prom.stop()
