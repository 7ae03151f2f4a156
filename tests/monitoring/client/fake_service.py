"""A small real HTTP server speaking the lending API's wire format, for SDK and prober tests.

It keeps what it received so tests can assert on headers and bodies, and its telemetry
endpoint can be made to hang, vanish or fail.
"""

from __future__ import annotations

import itertools
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.serving import BaseWSGIServer, make_server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class FakeState:
    version: str = "9.9.9"
    track: str = "canary"
    #: "ok" | "hang" | "absent" | "error"
    telemetry_mode: str = "ok"
    telemetry_hang_s: float = 3.0
    business_delay_s: float = 0.0
    #: Answer 500 problem+json to every nth /v1 business request (0: never).
    fail_every: int = 0
    decision: str = "approved"
    loan_status: str = "active"
    register_without_id: bool = False
    requests: list[dict[str, Any]] = field(default_factory=list)
    telemetry_batches: list[list[dict[str, Any]]] = field(default_factory=list)
    idempotency: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    hang_release: threading.Event = field(default_factory=threading.Event)

    def business(self, route: str | None = None) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"] != "/v1/telemetry/client" and (route is None or r["route"] == route)]


def build_app(state: FakeState) -> Flask:
    app = Flask("fake-lending")
    ids = itertools.count(1)
    counter = itertools.count(1)

    def problem(status: int, slug: str, title: str) -> Response:
        resp = jsonify({"type": f"https://lendops.dev/problems/{slug}", "title": title, "status": status, "detail": title})
        resp.status_code = status
        resp.mimetype = "application/problem+json"
        return resp

    @app.before_request
    def record() -> Response | None:
        with state.lock:
            state.requests.append(
                {
                    "method": request.method,
                    "path": request.path,
                    "route": request.url_rule.rule if request.url_rule else None,
                    "headers": dict(request.headers),
                    "json": request.get_json(silent=True),
                }
            )
        if request.path.startswith("/v1/") and request.path != "/v1/telemetry/client":
            if state.business_delay_s:
                time.sleep(state.business_delay_s)
            if state.fail_every and next(counter) % state.fail_every == 0:
                return problem(500, "injected-fault", "Injected fault")
        return None

    @app.after_request
    def stamp(resp: Response) -> Response:
        resp.headers["X-Lending-Version"] = state.version
        resp.headers["X-Lending-Track"] = state.track
        return resp

    @app.post("/v1/customers")
    def customers() -> Any:
        body = request.get_json()
        if "name" not in body:
            return problem(422, "validation", "Missing field: name")
        if state.register_without_id:
            return jsonify({"branch_code": body.get("branch_code")}), 201
        return jsonify({"customer_id": f"c{next(ids)}", "branch_code": body.get("branch_code")}), 201

    @app.post("/v1/credit/applications")
    def applications() -> Any:
        cid = request.get_json()["customer_id"]
        return jsonify({"application_id": f"a{next(ids)}", "customer_id": cid, "decision": state.decision,
                        "score": 705, "grade": "A", "line_fen": 5_000_000, "apr_bps": 480,
                        "reasons": [], "scorecard_version": "fake-1"}), 201

    @app.get("/v1/customers/<customer_id>/credit")
    def credit(customer_id: str) -> Any:
        if customer_id == "missing":
            return problem(404, "not-found", "Unknown customer")
        return jsonify({"line_fen": 5_000_000, "used_fen": 0, "available_fen": 5_000_000, "apr_bps": 480,
                        "status": "active", "expires_on": "2027-11-28"})

    @app.post("/v1/quotes")
    def quotes() -> Any:
        body = request.get_json()
        return jsonify({"apr_bps": 480, "installments": [], "total_interest_fen": body["amount_fen"] // 20})

    @app.post("/v1/drawdowns")
    def drawdowns() -> Any:
        key = request.headers.get("Idempotency-Key", "")
        with state.lock:
            if key in state.idempotency:
                status, body = state.idempotency[key]
                return jsonify(body), status
            body = {"loan_id": f"l{next(ids)}", "status": "pending_disbursement", **request.get_json()}
            state.idempotency[key] = (201, body)
        return jsonify(body), 201

    @app.get("/v1/loans/<loan_id>")
    def loan(loan_id: str) -> Any:
        return jsonify({"loan_id": loan_id, "status": state.loan_status, "principal_fen": 100_000, "outstanding_fen": 100_000})

    @app.get("/v1/loans/<loan_id>/schedule")
    def schedule(loan_id: str) -> Any:
        return jsonify({"loan_id": loan_id, "installments": []})

    @app.post("/v1/loans/<loan_id>/repayments")
    def repayments(loan_id: str) -> Any:
        return jsonify({"loan_id": loan_id, "status": "closed", **request.get_json()}), 201

    @app.get("/v1/branches")
    def branches() -> Any:
        return jsonify([{"branch_code": "522629", "name": "剑河县", "pilot": True}])

    @app.get("/version")
    def version() -> Any:
        return jsonify({"version": state.version, "track": state.track, "faults": {}})

    @app.post("/v1/telemetry/client")
    def telemetry() -> Any:
        if state.telemetry_mode == "absent":
            return problem(404, "not-found", "No such route")
        if state.telemetry_mode == "error":
            return problem(503, "unavailable", "Telemetry down")
        if state.telemetry_mode == "hang":
            state.hang_release.wait(state.telemetry_hang_s)
        body = request.get_json()
        with state.lock:
            state.telemetry_batches.append(body["events"])
        return jsonify({"accepted": len(body["events"])}), 202

    return app


class FakeService:
    def __init__(self, state: FakeState | None = None) -> None:
        self.state = state or FakeState()
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._server: BaseWSGIServer = make_server("127.0.0.1", self.port, build_app(self.state), threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def start(self) -> FakeService:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.state.hang_release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
