"""Pure parts of the console: the waterfall layout, the status normalization, the CLI's refusals."""

from __future__ import annotations

import subprocess

from monitoring.console import normalize_status, waterfall
from monitoring.tracing import SpanRecord
from tests.procs import lendops_cmd


def _span(span_id: str, parent: str | None, start_ms: float, end_ms: float, name: str = "") -> SpanRecord:
    return SpanRecord(
        trace_id="a" * 32, span_id=span_id, parent_span_id=parent, name=name or span_id, kind="internal",
        start_ns=int(start_ms * 1e6), end_ns=int(end_ms * 1e6), duration_ms=end_ms - start_ms, status="unset",
        status_message=None, error=False, service="lending", version="1.0.0", track="stable", route=None,
        attributes={"lending.grade": "A", "customer.id_number": "should never be shown"}, events=[],
    )


def test_waterfall_orders_parents_before_children_and_scales_bars() -> None:
    spans = [_span("c2", "root", 60, 90), _span("root", "remote-caller", 0, 100), _span("c1", "root", 10, 50),
             _span("g1", "c1", 20, 30)]
    w = waterfall(spans)
    assert [(r["span_id"], r["depth"]) for r in w["rows"]] == [("root", 0), ("c1", 1), ("g1", 2), ("c2", 1)]
    g1 = w["rows"][2]
    assert (g1["offset_ms"], g1["duration_ms"], g1["left_pct"], g1["width_pct"]) == (20, 10, 20, 10)
    assert w["duration_ms"] == 100
    assert g1["attributes"] == {"lending.grade": "A"}  # only the listed attributes, nothing else


def test_waterfall_survives_orphans_and_cycles() -> None:
    orphan = _span("x", "pruned-parent", 5, 6)
    looped = [_span("p", "q", 0, 10), _span("q", "p", 1, 2)]
    rows = waterfall([_span("r", None, 0, 10), orphan])["rows"]
    assert {(r["span_id"], r["depth"]) for r in rows} == {("r", 0), ("x", 0)}
    # A cycle has no root: its spans are still shown, and the walk ends.
    assert [(r["span_id"], r["depth"]) for r in waterfall(looped)["rows"]] == [("p", 0), ("q", 1)]
    assert waterfall([])["rows"] == []


def test_status_puts_failures_first() -> None:
    doc = {"name": "r", "phase": "progressing", "last_result": {"decision": "fail", "verdicts": [
        {"metric": "a", "decision": "pass", "critical": False},
        {"metric": "b", "decision": "inconclusive", "critical": False},
        {"metric": "c", "decision": "fail", "critical": False},
        {"metric": "d", "decision": "fail", "critical": True}]}}
    assert [v["metric"] for v in normalize_status(doc)["verdicts"]] == ["d", "c", "b", "a"]


def test_cli_refuses_a_bad_target_in_one_line() -> None:
    proc = subprocess.run(lendops_cmd("console", "--target", "stable"), capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode == 2
    assert "use NAME=URL" in proc.stderr and "Traceback" not in proc.stderr
