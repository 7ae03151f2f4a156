"""A load-test webhook: rollouts start and stop scenario traffic over HTTP.

Like Flagger's load tester, but speaking lendops: a rollout spec lists this server as a
generic webhook, and its notifications drive the load against the router::

    webhooks:
      - name: traffic
        url: http://127.0.0.1:8089/rollout
        on: [pre-rollout, step, post-rollout, rollback]

- ``pre-rollout``: starts the configured scenario, running until stopped. If the
  scenario cannot start (bad file, no tokens) the answer is an error, so the controller
  refuses to begin a rollout that would have no traffic.
- ``step``: answers with the live progress (requests, failures, rate).
- ``post-rollout`` / ``rollback``: stops the run; reports and ``summary.json`` are
  written to the run's directory, ``GET /runs/<id>`` returns the summary.

Direct use: ``POST /runs`` ``{"scenario", "host", "duration_s", "until_stopped"}`` →
202 ``{"id"}``; ``GET /runs/<id>``; ``POST /runs/<id>/stop``. One run at a time (a
second start while one runs is 409), since all runs share this machine's cores.
Answers come back at once; stopping happens on a background thread, because webhook
callers wait only a few seconds.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .errors import LoadtestError
from .runner import RunningLoad, start_scenario
from .summary import Summary

__all__ = ["WebhookSettings", "LoadWebhook", "serve_webhook"]


@dataclass(frozen=True)
class WebhookSettings:
    """Defaults for runs the webhook starts.

    scenario: file or bundled name run on ``pre-rollout``.
    host: base URL the load goes to (the router in front of stable and canary).
    tokens_file: manager tokens (see ``loadtest.tokens``); None reads the environment.
    out_dir: each run writes into ``out_dir/<run id>/``.
    workers: Locust worker processes (0: one process).
    """

    scenario: str
    host: str
    out_dir: Path
    tokens_file: str | None = None
    workers: int = 0


@dataclass
class _Run:
    id: str
    load: RunningLoad
    rollout: str = ""
    summary: Summary | None = None
    error: str = ""
    stopping: bool = False
    done: threading.Event = field(default_factory=threading.Event)

    def view(self) -> dict[str, Any]:
        state = "finished" if self.summary else "failed" if self.error else "stopping" if self.stopping else "running"
        body: dict[str, Any] = {"id": self.id, "state": state, "rollout": self.rollout,
                                "out_dir": str(self.load.out_dir), "progress": self.load.last_progress}
        if self.summary is not None:
            body["summary"] = self.summary.to_dict()
        if self.error:
            body["error"] = self.error
        return body


class LoadWebhook:
    """The runs and what each endpoint does with them (HTTP-free, so tests call it too)."""

    def __init__(self, settings: WebhookSettings,
                 starter: Callable[..., RunningLoad] = start_scenario) -> None:
        self.settings = settings
        self._start = starter
        self._runs: dict[str, _Run] = {}
        self._lock = threading.Lock()
        self._serial = 0

    def active(self) -> _Run | None:
        return next((r for r in self._runs.values() if not r.done.is_set() and not r.stopping), None)

    def start(self, body: dict[str, Any], *, rollout: str = "") -> tuple[int, dict[str, Any]]:
        with self._lock:
            if (running := self.active()) is not None:
                return 409, {"error": f"run {running.id} is still running", "id": running.id}
            self._serial += 1
            run_id = f"run-{self._serial}"
            try:
                load = self._start(
                    body.get("scenario") or self.settings.scenario, body.get("host") or self.settings.host,
                    tokens_file=body.get("tokens_file") or self.settings.tokens_file,
                    duration_s=body.get("duration_s"), until_stopped=bool(body.get("until_stopped", False)),
                    out_dir=self.settings.out_dir / run_id, workers=int(body.get("workers", self.settings.workers)))
            except LoadtestError as exc:
                return 422, {"error": str(exc)}
            run = self._runs[run_id] = _Run(run_id, load, rollout=rollout)
        threading.Thread(target=self._finish, args=(run, False), name=f"loadtest-{run_id}", daemon=True).start()
        return 202, {"id": run_id, "out_dir": str(load.out_dir)}

    def get(self, run_id: str) -> tuple[int, dict[str, Any]]:
        run = self._runs.get(run_id)
        return (404, {"error": f"no run {run_id}"}) if run is None else (200, run.view())

    def stop(self, run_id: str) -> tuple[int, dict[str, Any]]:
        run = self._runs.get(run_id)
        if run is None:
            return 404, {"error": f"no run {run_id}"}
        if not run.done.is_set() and not run.stopping:
            run.stopping = True
            threading.Thread(target=self._finish, args=(run, True), name=f"loadtest-stop-{run_id}",
                             daemon=True).start()
        return 202, run.view()

    def _finish(self, run: _Run, stop: bool) -> None:
        try:
            summary = run.load.stop() if stop else run.load.wait()
            run.summary = summary
        except LoadtestError as exc:
            run.error = str(exc)
        except Exception as exc:  # noqa: BLE001 - reported to the caller, never lost in a thread
            run.error = f"{type(exc).__name__}: {exc}"
        finally:
            run.done.set()

    def rollout_event(self, notification: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """A lendops release notification (generic webhook body)."""
        event = str(notification.get("event", ""))
        rollout = str(notification.get("rollout", ""))
        running = self.active()
        if event == "pre-rollout":
            if running is not None:
                return 200, {"id": running.id, "note": "traffic already running"}
            status, body = self.start({"until_stopped": True}, rollout=rollout)
            return (200 if status == 202 else status), body
        if event in ("post-rollout", "rollback"):
            if running is None:
                return 200, {"note": "no traffic was running"}
            return self.stop(running.id)
        if event == "step":
            return (200, running.view()) if running is not None else (200, {"note": "no traffic running"})
        return 200, {"note": f"event {event!r} ignored"}

    def stop_all(self, timeout: float = 60.0) -> None:
        for run in list(self._runs.values()):
            if not run.done.is_set():
                self.stop(run.id)
                run.done.wait(timeout)


def _handler(app: LoadWebhook) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # Keep-alive answers must not wait for delayed ACKs (see TOOLING.md).
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            pass

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> dict[str, Any] | None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > 1_000_000:
                return None
            try:
                value = json.loads(self.rfile.read(length) or b"{}")
            except json.JSONDecodeError:
                return None
            return value if isinstance(value, dict) else None

        def do_GET(self) -> None:  # noqa: N802 - stdlib name
            parts = [p for p in self.path.split("?")[0].split("/") if p]
            if parts == ["healthz"]:
                self._send(200, {"status": "ok"})
            elif len(parts) == 2 and parts[0] == "runs":
                self._send(*app.get(parts[1]))
            else:
                self._send(404, {"error": "not found"})

        def do_POST(self) -> None:  # noqa: N802 - stdlib name
            parts = [p for p in self.path.split("?")[0].split("/") if p]
            body = self._body()
            if body is None:
                self._send(400, {"error": "the body must be a JSON object"})
            elif parts == ["rollout"]:
                self._send(*app.rollout_event(body))
            elif parts == ["runs"]:
                self._send(*app.start(body))
            elif len(parts) == 3 and parts[0] == "runs" and parts[2] == "stop":
                self._send(*app.stop(parts[1]))
            else:
                self._send(404, {"error": "not found"})

    return Handler


def serve_webhook(app: LoadWebhook, host: str = "127.0.0.1", port: int = 8089) -> ThreadingHTTPServer:
    """Bind the webhook (call ``serve_forever()`` on the result, ``shutdown()`` to end)."""
    server = ThreadingHTTPServer((host, port), _handler(app))
    server.daemon_threads = True
    return server
