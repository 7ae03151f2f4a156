from __future__ import annotations

import pytest
from flask import Flask, Response
from prometheus_client import CollectorRegistry

from monitoring.probe import ServerProbe, names

from .conftest import promtool_check, samples


@pytest.fixture()
def app() -> Flask:
    app = Flask("probe-test")

    @app.get("/v1/items/<int:item>")
    def item(item: int) -> dict:
        return {"item": item}

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("view failed")

    return app


@pytest.fixture()
def probe(app: Flask) -> ServerProbe:
    probe = ServerProbe(version="1.2.3", track="canary", registry=CollectorRegistry())
    probe.init_app(app)
    return probe


def _count(text: str, **labels: str) -> float:
    return sum(
        s.value for s in samples(text)
        if s.name == names.HTTP_DURATION + "_count" and all(s.labels.get(k) == v for k, v in labels.items())
    )


def test_route_label_is_the_url_rule_and_404s_are_unmatched(app: Flask, probe: ServerProbe) -> None:
    client = app.test_client()
    for i in range(5):
        assert client.get(f"/v1/items/{i}").status_code == 200
    for path in ("/wp-admin", "/a/b/c", "/v1/items/x"):
        assert client.get(path).status_code == 404
    text = client.get("/metrics").get_data(as_text=True)
    assert _count(text, http_route="/v1/items/<int:item>", http_response_status_code="200") == 5
    assert _count(text, http_route="unmatched", http_response_status_code="404") == 3
    routes = {s.labels.get("http_route") for s in samples(text) if s.name.startswith(names.HTTP_DURATION)}
    assert routes == {"/v1/items/<int:item>", "unmatched"}


def test_unknown_methods_are_folded_into_other(app: Flask, probe: ServerProbe) -> None:
    client = app.test_client()
    client.open("/v1/items/1", method="BREW")
    text = client.get("/metrics").get_data(as_text=True)
    assert _count(text, http_request_method="_OTHER") == 1
    assert _count(text, http_request_method="BREW") == 0


def test_request_answered_by_an_earlier_hook_is_measured() -> None:
    app = Flask("early")

    @app.before_request
    def injected_fault() -> Response:  # registered before the probe, like fault injection
        return Response("{}", status=500, content_type="application/problem+json")

    @app.get("/v1/quotes")
    def quotes() -> str:
        return "never"

    probe = ServerProbe(version="1", track="stable")
    probe.init_app(app)
    client = app.test_client()
    assert client.get("/v1/quotes").status_code == 500
    text = probe.exposition().get_data(as_text=True)
    assert _count(text, http_route="/v1/quotes", http_response_status_code="500") == 1


def test_failing_view_is_a_500_and_in_flight_returns_to_zero(app: Flask, probe: ServerProbe) -> None:
    client = app.test_client()
    assert client.get("/boom").status_code == 500
    assert client.get("/v1/items/1").status_code == 200
    text = probe.exposition().get_data(as_text=True)
    assert _count(text, http_route="/boom", http_response_status_code="500") == 1
    active = [s for s in samples(text) if s.name == names.HTTP_ACTIVE]
    assert active and all(s.value == 0 for s in active)


def test_every_series_carries_track_and_build_info_is_one(app: Flask, probe: ServerProbe) -> None:
    app.test_client().get("/v1/items/1")
    probe.business.credit_decision("approved", grade="A", branch="522629")
    probe.business.granted(line_fen=5_000_000, apr_bps=600, outside_guardrail=False)
    probe.business.drawdown("accepted")
    probe.business.disbursement(seconds=2.5, outcome="paid")
    probe.business.stuck_disbursements(2)
    probe.business.idempotent_replay("/v1/drawdowns")
    probe.client.request(route="/v1/quotes", outcome="ok", served_by="stable", seconds=0.01)
    text = probe.exposition().get_data(as_text=True)
    every = samples(text)
    assert every and all(s.labels.get("track") in {"stable", "canary"} for s in every)
    build = [s for s in every if s.name == names.BUILD_INFO]
    assert [(s.labels, s.value) for s in build] == [({"version": "1.2.3", "track": "canary"}, 1.0)]
    cap = [s for s in every if s.name == names.GRANTED_LINE + "_bucket" and float(s.labels["le"]) in {4_990_000, 5_000_000}]
    assert sorted(s.value for s in cap) == [0.0, 1.0]


def test_openmetrics_is_served_when_asked(app: Flask, probe: ServerProbe) -> None:
    response = app.test_client().get("/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert response.content_type.startswith("application/openmetrics-text")
    assert response.get_data(as_text=True).rstrip().endswith("# EOF")


def test_promtool_accepts_the_single_process_exposition(app: Flask, probe: ServerProbe) -> None:
    client = app.test_client()
    client.get("/v1/items/1")
    client.get("/nope")
    probe.business.credit_decision("declined", grade="D", branch="522601")
    result = promtool_check(client.get("/metrics").get_data(as_text=True))
    assert result.returncode == 0 and result.stdout.strip() == "" and result.stderr.strip() == "", result


def test_the_exposition_has_no_created_series(app: Flask, probe: ServerProbe) -> None:
    app.test_client().get("/v1/items/1")
    probe.business.credit_decision("approved", grade="A", branch="522629")
    text = probe.exposition().get_data(as_text=True)
    assert "_created" not in text and names.CREDIT_DECISIONS in text
