"""A local Prometheus server (Debian package ``prometheus``) for the demo and the tests.

    server = PrometheusServer.start(workdir, jobs={"lending": []}, interval="1s")
    server.set_targets("lending", {"stable": "127.0.0.1:8001", "canary": "127.0.0.1:8002"})
    server.wait_up(2)
    server.query('sum by (track) (http_server_request_duration_seconds_count)')
    server.stop()

Targets live in file-based service discovery files, so they can change while Prometheus
runs (the demo learns the canary's port only after it starts). Prometheus binds only to
127.0.0.1 and keeps its data in ``workdir``. Its first scrape of a new target comes
only after target discovery has settled (~5 s): wait for ``up``, not for ``/-/ready``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import requests
import yaml

__all__ = ["PrometheusServer", "PrometheusServerError", "prometheus_binary"]


class PrometheusServerError(RuntimeError):
    """Prometheus could not be started or answered with an error."""


def prometheus_binary() -> str | None:
    return shutil.which("prometheus")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrometheusServer:
    def __init__(self, proc: subprocess.Popen[bytes], port: int, workdir: Path) -> None:
        self.proc = proc
        self.port = port
        self.workdir = workdir

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "prometheus.log"

    @classmethod
    def start(cls, workdir: str | Path, *, jobs: Sequence[str] = (), static: Mapping[str, str] | None = None,
              interval: str = "1s", rule_files: Sequence[str | Path] = (),
              ready_timeout_s: float = 20.0) -> "PrometheusServer":
        """Start Prometheus scraping each of ``jobs`` from its ``<job>.targets.json`` file
        (targets that change while it runs), and each ``static`` job at its fixed
        ``host:port``."""
        binary = prometheus_binary()
        if binary is None:
            raise PrometheusServerError("the prometheus binary is not installed (apt-get install prometheus)")
        root = Path(workdir).resolve()
        root.mkdir(parents=True, exist_ok=True)
        for job in jobs:
            target_file = root / f"{job}.targets.json"
            if not target_file.exists():
                _write_json(target_file, [])
        config = {
            "global": {"scrape_interval": interval, "evaluation_interval": interval},
            "rule_files": [str(p) for p in rule_files],
            "scrape_configs": [
                {"job_name": job, "file_sd_configs": [{"files": [str(root / f"{job}.targets.json")],
                                                       "refresh_interval": "1s"}]}
                for job in jobs
            ] + [
                {"job_name": job, "static_configs": [{"targets": [address]}]}
                for job, address in (static or {}).items()
            ],
        }
        config_path = root / "prometheus.yml"
        config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
        port = _free_port()
        with (root / "prometheus.log").open("wb") as log:
            proc = subprocess.Popen(
                [binary, f"--config.file={config_path}", f"--storage.tsdb.path={root / 'data'}",
                 f"--web.listen-address=127.0.0.1:{port}"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
        server = cls(proc, port, root)
        try:
            server._wait(lambda: server._ready(), "/-/ready", ready_timeout_s)
        except BaseException:
            server.stop()
            raise
        return server

    def set_targets(self, job: str, targets: Mapping[str, str]) -> None:
        """Point ``job`` at ``{track: "host:port"}``; each target gets a ``track`` label
        only when the service does not export one itself (honor_labels is off, so the
        service's own ``track`` label wins as ``track``)."""
        groups = [{"targets": [address], "labels": {"lendops_target": name}} for name, address in sorted(targets.items())]
        _write_json(self.workdir / f"{job}.targets.json", groups)

    def query(self, expr: str) -> list[dict[str, Any]]:
        try:
            resp = requests.get(self.url + "/api/v1/query", params={"query": expr}, timeout=5)
            body = resp.json()
        except (requests.RequestException, ValueError) as exc:
            raise PrometheusServerError(f"query {expr!r} failed: {exc}") from exc
        if body.get("status") != "success":
            raise PrometheusServerError(f"query {expr!r}: {body.get('error', body)}")
        return list(body["data"]["result"])

    def wait_up(self, count: int, *, timeout_s: float = 30.0) -> None:
        """Wait until ``count`` targets have been scraped successfully."""
        self._wait(lambda: sum(float(r["value"][1]) for r in self.query("up")) >= count,
                   f"{count} targets up", timeout_s)

    def wait_jobs(self, jobs: Sequence[str], *, timeout_s: float = 30.0) -> None:
        """Wait until every one of ``jobs`` has been scraped successfully."""
        wanted = set(jobs)
        self._wait(lambda: wanted <= {r["metric"].get("job") for r in self.query("up == 1")},
                   f"jobs {sorted(wanted)} up", timeout_s)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def _ready(self) -> bool:
        try:
            return requests.get(self.url + "/-/ready", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def _wait(self, probe: Any, what: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                tail = self.log_path.read_text(errors="replace")[-800:]
                raise PrometheusServerError(f"prometheus exited while waiting for {what}: {tail}")
            try:
                if probe():
                    return
            except PrometheusServerError:
                pass
            time.sleep(0.2)
        raise PrometheusServerError(f"prometheus: timed out after {timeout_s:.0f} s waiting for {what}")


def _write_json(path: Path, data: Any) -> None:
    # file_sd reads the file when it changes: replace it atomically so it never sees half.
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, path)
