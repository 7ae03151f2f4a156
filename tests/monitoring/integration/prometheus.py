"""A real Prometheus (Debian package) on a free loopback port, for integration tests."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import yaml

from tests.procs import free_port

PROMETHEUS = shutil.which("prometheus")


class PrometheusError(RuntimeError):
    pass


@dataclass
class PrometheusProcess:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def query(self, expr: str) -> list[dict[str, Any]]:
        resp = requests.get(self.url + "/api/v1/query", params={"query": expr}, timeout=5)
        body = resp.json()
        if body.get("status") != "success":
            raise PrometheusError(f"{expr}: {body}")
        return list(body["data"]["result"])

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
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def start_prometheus(
    workdir: Path, *, targets: dict[str, str], rule_files: list[Path] = (), interval: str = "1s"  # type: ignore[assignment]
) -> PrometheusProcess:
    """Scrape each ``job -> host:port`` every ``interval`` and evaluate ``rule_files`` as often."""
    if PROMETHEUS is None:
        raise PrometheusError("the prometheus binary is not installed")
    config = {
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "rule_files": [str(p) for p in rule_files],
        "scrape_configs": [
            {"job_name": job, "static_configs": [{"targets": [target]}]} for job, target in targets.items()
        ],
    }
    workdir.mkdir(parents=True, exist_ok=True)
    cfg = workdir / "prometheus.yml"
    cfg.write_text(yaml.safe_dump(config), encoding="utf-8")
    port = free_port()
    log = workdir / "prometheus.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [PROMETHEUS, f"--config.file={cfg}", f"--storage.tsdb.path={workdir / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}"],
            stdout=sink, stderr=subprocess.STDOUT,
        )
    prom = PrometheusProcess(proc, port, log)
    try:
        prom.wait_for("prometheus to answer", lambda: _ready(prom), attempts=100, pause=0.1)
    except BaseException:
        prom.stop()
        raise
    return prom


def _ready(prom: PrometheusProcess) -> bool:
    try:
        return requests.get(prom.url + "/-/ready", timeout=2).status_code == 200
    except requests.RequestException:
        return False
