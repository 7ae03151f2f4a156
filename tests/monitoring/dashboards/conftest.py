"""Fixtures of the dashboard tests: Grafana's dashboard JSON schema (generated offline
from @grafana/schema with npm, cached) and a recording stand-in for Grafana's HTTP API."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

# Pinned: the schema of the Grafana line the SDK build targets (11.6).
GRAFANA_SCHEMA = "@grafana/schema@11.6.16"
GENERATOR = "ts-json-schema-generator@2.4.0"


def _cache_dir() -> Path:
    base = os.environ.get("LENDOPS_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "lendops")
    return Path(base) / ("grafana-schema-" + GRAFANA_SCHEMA.rsplit("@", 1)[1])


@pytest.fixture(scope="session")
def dashboard_schema() -> dict[str, Any]:
    """Grafana 11.6's Dashboard type as JSON schema. Generated once per machine (~25 s,
    npm registry), then read from the cache; a lock keeps xdist workers from racing."""
    cache = _cache_dir()
    target = cache / "dashboard.schema.json"
    if not target.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed: cannot generate Grafana's dashboard schema (apt-get install npm)")
        cache.mkdir(parents=True, exist_ok=True)
        with open(cache / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not target.exists():
                _generate(npm, cache, target)
    return json.loads(target.read_text())


def _generate(npm: str, cache: Path, target: Path) -> None:
    run: dict[str, Any] = {"cwd": cache, "capture_output": True, "text": True, "timeout": 240, "check": False}
    (cache / "package.json").write_text('{"private": true}\n')
    proc = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--silent", GRAFANA_SCHEMA, GENERATOR], **run)
    assert proc.returncode == 0, f"npm install failed:\n{proc.stdout}\n{proc.stderr}"
    types = sorted((cache / "node_modules/@grafana/schema/dist").glob("**/raw/dashboard/x/*types.gen.d.ts"))
    assert types, "no raw/dashboard/x/*types.gen.d.ts in @grafana/schema"
    tmp = target.with_suffix(".tmp")
    proc = subprocess.run([shutil.which("npx") or "npx", "ts-json-schema-generator", "--path", str(types[0]),
                           "--type", "Dashboard", "--no-type-check", "-o", str(tmp)], **run)
    assert proc.returncode == 0, f"schema generation failed:\n{proc.stdout}\n{proc.stderr}"
    tmp.replace(target)


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeGrafana:
    """Answers the few Grafana API calls `push` makes, like Grafana 11 does, and records them."""

    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    folders: list[dict[str, Any]] = field(default_factory=list)
    dashboards: dict[str, dict[str, Any]] = field(default_factory=dict)
    fail_with: int | None = None

    def answer(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        if self.fail_with is not None:
            return self.fail_with, {"message": "invalid API key"}
        if method == "GET" and path.startswith("/api/folders"):
            return 200, self.folders
        if method == "POST" and path == "/api/folders":
            folder = {"id": len(self.folders) + 1, "uid": body.get("uid"), "title": body["title"]}
            self.folders.append(folder)
            return 200, folder
        if method == "POST" and path == "/api/dashboards/db":
            model = body["dashboard"]
            old = self.dashboards.get(model["uid"])
            if old is not None and not body.get("overwrite"):
                return 412, {"message": "A dashboard with the same uid already exists", "status": "name-exists"}
            version = (old["version"] + 1) if old else 1
            self.dashboards[model["uid"]] = {"version": version, "folderUid": body.get("folderUid"), "model": model}
            return 200, {"id": 1, "uid": model["uid"], "status": "success", "version": version,
                         "url": f"/d/{model['uid']}/x", "slug": "x"}
        return 404, {"message": "Not found"}


@pytest.fixture
def fake_grafana() -> Iterator[FakeGrafana]:
    grafana = FakeGrafana()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            path = self.path.split("?", 1)[0]
            grafana.requests.append(Recorded(self.command, path, {k.lower(): v for k, v in self.headers.items()},
                                             body))
            status, answer = grafana.answer(self.command, path, body)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    grafana.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield grafana
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
