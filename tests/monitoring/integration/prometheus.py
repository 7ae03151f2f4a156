"""A real Prometheus (Debian package) on a free loopback port, for integration tests:
``monitoring.prometheus_server`` with the polling helpers the tests use."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from monitoring.prometheus_server import PrometheusServer, PrometheusServerError, prometheus_binary

PROMETHEUS = prometheus_binary()
PrometheusError = PrometheusServerError


class PrometheusProcess(PrometheusServer):
    def by_track(self, expr: str) -> dict[str, float]:
        return {r["metric"].get("track", ""): float(r["value"][1]) for r in self.query(expr)}

    def wait_for(self, what: str, probe: Callable[[], Any], *, attempts: int = 120, pause: float = 0.25) -> Any:
        """Poll ``probe`` until it returns something truthy; bounded in count (and so in time)."""
        last: Any = None
        for _ in range(attempts):
            last = probe()
            if last:
                return last
            if self.proc.poll() is not None:
                raise PrometheusError(f"prometheus exited: {self.output()[-2000:]}")
            time.sleep(pause)
        raise PrometheusError(f"timed out waiting for {what}; last answer {last!r}")

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def start_prometheus(
    workdir: Path, *, targets: dict[str, str], rule_files: list[Path] = (), interval: str = "1s"  # type: ignore[assignment]
) -> PrometheusProcess:
    """Scrape each ``job -> host:port`` every ``interval`` and evaluate ``rule_files`` as often."""
    server = PrometheusProcess.start(workdir, static=targets, rule_files=rule_files, interval=interval)
    assert isinstance(server, PrometheusProcess)
    return server
