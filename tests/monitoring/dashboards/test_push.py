from __future__ import annotations

from click.testing import CliRunner

from monitoring.dashboards import GrafanaPushError, build_dashboards, push_dashboards
from monitoring.dashboards.cli import dashboards as dashboards_cli

from .conftest import FakeGrafana


def test_push_creates_the_folder_and_every_dashboard(fake_grafana: FakeGrafana) -> None:
    boards = build_dashboards()
    results = push_dashboards(boards, url=fake_grafana.url, token="glsa_test", folder="Lending releases")
    calls = [(r.method, r.path) for r in fake_grafana.requests]
    assert calls == [("GET", "/api/folders"), ("POST", "/api/folders")] + [("POST", "/api/dashboards/db")] * 3
    assert all(r.headers["authorization"] == "Bearer glsa_test" for r in fake_grafana.requests)
    assert fake_grafana.requests[1].body == {"title": "Lending releases", "uid": "lending-releases"}
    for request, board in zip(fake_grafana.requests[2:], boards):
        assert request.headers["content-type"].startswith("application/json")
        assert request.body["folderUid"] == "lending-releases"
        assert request.body["overwrite"] is True
        assert request.body["dashboard"]["uid"] == board.uid
        assert request.body["dashboard"]["panels"] == board.model["panels"]
        assert "id" not in request.body["dashboard"]
    assert [(r.uid, r.version, r.status) for r in results] == [(b.uid, 1, "success") for b in boards]


def test_a_second_push_updates_in_place_and_reuses_the_folder(fake_grafana: FakeGrafana) -> None:
    boards = build_dashboards()
    push_dashboards(boards, url=fake_grafana.url, token="t", folder="lendops")
    fake_grafana.requests.clear()
    results = push_dashboards(boards, url=fake_grafana.url, token="t", folder="lendops")
    assert [(r.method, r.path) for r in fake_grafana.requests] == [("GET", "/api/folders")] + [
        ("POST", "/api/dashboards/db")] * 3
    assert {r.version for r in results} == {2}
    assert len(fake_grafana.folders) == 1 and len(fake_grafana.dashboards) == 3


def test_refusal_is_one_structured_error(fake_grafana: FakeGrafana) -> None:
    fake_grafana.fail_with = 401
    try:
        push_dashboards(build_dashboards(), url=fake_grafana.url, token="wrong")
    except GrafanaPushError as exc:
        assert exc.status == 401 and exc.operation == "list folders" and exc.url == fake_grafana.url
    else:
        raise AssertionError("expected GrafanaPushError")


def test_cli_push_reports_each_dashboard_and_fails_cleanly(fake_grafana: FakeGrafana) -> None:
    runner = CliRunner()
    result = runner.invoke(dashboards_cli, ["push", "--url", fake_grafana.url, "--token", "t", "--folder", "ops"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 3 and all("success" in line and "folder=ops" in line for line in lines)
    fake_grafana.fail_with = 403
    result = runner.invoke(dashboards_cli, ["push", "--url", fake_grafana.url, "--token", "t"])
    assert result.exit_code == 1
    assert "HTTP 403" in result.output and "Traceback" not in result.output


def test_unreachable_grafana_is_a_push_error() -> None:
    from tests.procs import free_port

    try:
        push_dashboards(build_dashboards(), url=f"http://127.0.0.1:{free_port()}", token="t", timeout=2)
    except GrafanaPushError as exc:
        assert exc.status is None
    else:
        raise AssertionError("expected GrafanaPushError")
