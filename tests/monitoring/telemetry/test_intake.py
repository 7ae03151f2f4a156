from __future__ import annotations

import json

import pytest
from flask import Flask, Response, request
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from monitoring.probe import ServerProbe, names
from monitoring.telemetry import MAX_EVENTS, telemetry_blueprint

TOKEN = {"Authorization": "Bearer client-1"}


class Unauthenticated(Exception):
    pass


def _event(**overrides: object) -> dict:
    event = {"route": "/v1/quotes", "method": "POST", "outcome": "ok", "status": 200,
             "duration_ms": 12.5, "version": "1.4.0", "track": "canary", "ts": "2026-11-28T10:00:00Z"}
    event.update(overrides)
    return event


@pytest.fixture()
def app() -> Flask:
    app = Flask("svc")
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024  # the service's own API cap
    probe = ServerProbe(version="1.4.0", track="stable", registry=CollectorRegistry())
    probe.init_app(app)

    @app.post("/v1/quotes")
    def quotes() -> str:
        return "q"

    @app.post("/v1/loans/<int:loan_id>/repayments")
    def repay(loan_id: int) -> str:
        return "r"

    @app.errorhandler(Unauthenticated)
    def _unauth(exc: Exception) -> Response:
        return Response('{"status":401}', status=401, mimetype="application/problem+json")

    def authenticate() -> None:  # the service raises its own error, its handler answers
        if request.headers.get("Authorization") != "Bearer client-1":
            raise Unauthenticated()

    app.register_blueprint(telemetry_blueprint(authenticate, recorder=probe.client))
    app.extensions["probe"] = probe
    return app


def _post(app: Flask, body: object, **kw: object):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    headers = {**TOKEN, **kw.pop("headers", {})}  # type: ignore[dict-item]
    return app.test_client().post("/v1/telemetry/client", data=data, headers=headers,
                                  content_type=kw.pop("content_type", "application/json"))


def _series(app: Flask, name: str) -> dict[tuple, float]:
    text = app.extensions["probe"].exposition().get_data(as_text=True)
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name:
                out[tuple(sorted(s.labels.items()))] = s.value
    return out


def test_a_batch_becomes_client_latency_by_route_template_outcome_and_track(app: Flask) -> None:
    events = [
        _event(),
        _event(duration_ms=30),
        _event(route="/v1/loans/812/repayments", outcome="http_error", status=503, track="stable"),
        _event(route="/v1/loans/{id}/repayments", outcome="timeout", status=None, version=None, track=None),
        _event(route="/v1/loans/<int:loan_id>/repayments?x=1", duration_ms=2000, track="stable"),
        _event(route="/v1/not-a-route", outcome="connection_error", status=None, track=None),
        _event(route="/wp-login.php"),
    ]
    response = _post(app, {"events": events})
    assert response.status_code == 202, response.json
    assert response.json == {"accepted": 7, "rejected": 0, "errors": []}
    counts = _series(app, names.CLIENT_DURATION + "_count")
    repay = "/v1/loans/<int:loan_id>/repayments"
    assert counts == {
        (("outcome", "ok"), ("route", "/v1/quotes"), ("track", "canary")): 2,
        (("outcome", "http_error"), ("route", repay), ("track", "stable")): 1,
        (("outcome", "timeout"), ("route", repay), ("track", "unknown")): 1,
        (("outcome", "ok"), ("route", repay), ("track", "stable")): 1,
        (("outcome", "connection_error"), ("route", "other"), ("track", "unknown")): 1,
        (("outcome", "ok"), ("route", "other"), ("track", "canary")): 1,
    }
    sums = _series(app, names.CLIENT_DURATION + "_sum")
    assert sums[(("outcome", "ok"), ("route", "/v1/quotes"), ("track", "canary"))] == pytest.approx(0.0425)
    intake = _series(app, names.CLIENT_TELEMETRY_EVENTS)
    assert intake[(("result", "accepted"), ("track", "stable"))] == 7


def test_route_label_stays_bounded_whatever_ids_clients_send(app: Flask) -> None:
    events = [_event(route=f"/v1/loans/{i}/repayments") for i in range(300)]
    events += [_event(route=f"/v1/random/{i}") for i in range(200)]
    assert _post(app, {"events": events}).status_code == 202
    routes = {dict(k)["route"] for k in _series(app, names.CLIENT_DURATION + "_count")}
    assert routes == {"/v1/loans/<int:loan_id>/repayments", "other"}


def test_a_full_batch_passes_the_service_body_cap(app: Flask) -> None:
    events = [_event(route=f"/v1/loans/{i}/repayments") for i in range(MAX_EVENTS)]
    body = json.dumps({"events": events})
    assert len(body) > 64 * 1024
    response = _post(app, body)
    assert response.status_code == 202 and response.json["accepted"] == MAX_EVENTS


def test_unauthenticated_batches_are_refused_by_the_service_check(app: Flask) -> None:
    response = app.test_client().post("/v1/telemetry/client", json={"events": [_event()]})
    assert response.status_code == 401
    assert _series(app, names.CLIENT_DURATION + "_count") == {}


@pytest.mark.parametrize(
    ("body", "content_type", "status", "slug"),
    [
        ("{not json", "application/json", 400, "malformed-json"),
        ('{"events": []}', "application/json", 422, "invalid-telemetry"),
        ('{"evts": [1]}', "application/json", 422, "invalid-telemetry"),
        ("[1, 2]", "application/json", 422, "invalid-telemetry"),
        (json.dumps({"events": [_event()] * (MAX_EVENTS + 1)}), "application/json", 413, "telemetry-too-large"),
        ("x" * (256 * 1024 + 1), "application/json", 413, "telemetry-too-large"),
        (json.dumps({"events": [_event()]}), "text/plain", 415, "unsupported-media-type"),
    ],
)
def test_malformed_batches_get_clear_problems(app: Flask, body: str, content_type: str, status: int, slug: str) -> None:
    response = _post(app, body, content_type=content_type)
    assert response.status_code == status
    assert response.content_type == "application/problem+json"
    assert response.json["type"] == f"https://lendops.dev/problems/{slug}"
    assert response.json["detail"]
    assert _series(app, names.CLIENT_DURATION + "_count") == {}
    assert _series(app, names.CLIENT_TELEMETRY_BATCHES)[(("result", "rejected"), ("track", "stable"))] == 1


def test_bad_events_are_rejected_one_by_one_with_field_level_errors(app: Flask) -> None:
    events = [
        _event(),
        _event(outcome="exploded"),
        _event(duration_ms=-1),
        _event(track="blue"),
        {"route": "/v1/quotes"},
        _event(status=999, secret_phone="13800000000"),
    ]
    response = _post(app, {"events": events})
    assert response.status_code == 202
    body = response.json
    assert (body["accepted"], body["rejected"]) == (1, 5)
    fields = {(e["index"], e["field"]) for e in body["errors"]}
    assert {(1, "outcome"), (2, "duration_ms"), (3, "track"), (4, "method"), (5, "status")} <= fields
    assert "13800000000" not in response.get_data(as_text=True)
    intake = _series(app, names.CLIENT_TELEMETRY_EVENTS)
    assert intake[(("result", "rejected"), ("track", "stable"))] == 5
    assert intake[(("result", "accepted"), ("track", "stable"))] == 1

    only_bad = _post(app, {"events": [_event(outcome="nope")]})
    assert only_bad.status_code == 422 and only_bad.json["errors"][0]["field"] == "outcome"
