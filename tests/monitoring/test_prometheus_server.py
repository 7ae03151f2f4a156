"""The local Prometheus launcher: targets set while it runs (file-based discovery) are
scraped, and static jobs are scraped from the start."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Counter, start_http_server

from monitoring.prometheus_server import PrometheusServer, prometheus_binary
from tests.procs import free_port

pytestmark = pytest.mark.skipif(prometheus_binary() is None,
                                reason="the prometheus binary (Debian package `prometheus`) is not installed")


def _exporter(value: int) -> str:
    registry = CollectorRegistry()
    Counter("lendops_launcher_test", "test counter", registry=registry).inc(value)
    port = free_port()
    server, thread = start_http_server(port, addr="127.0.0.1", registry=registry)
    return f"127.0.0.1:{port}", server


def test_targets_set_while_running_and_static_jobs_are_scraped(tmp_path: Path) -> None:
    later, later_server = _exporter(7)
    fixed, fixed_server = _exporter(3)
    prom = PrometheusServer.start(tmp_path, jobs=["lending"], static={"fixed": fixed})
    try:
        prom.set_targets("lending", {"stable": later})
        prom.wait_jobs(["lending", "fixed"])
        rows = prom.query("lendops_launcher_test_total")
        by_job = {r["metric"]["job"]: float(r["value"][1]) for r in rows}
        assert by_job == {"lending": 7.0, "fixed": 3.0}
        assert {r["metric"]["lendops_target"] for r in rows if r["metric"]["job"] == "lending"} == {"stable"}
    finally:
        prom.stop()
        later_server.shutdown()
        fixed_server.shutdown()
    assert prom.proc.poll() is not None
