"""The console in real headless Chromium: the page an SRE opens during a canary."""

from __future__ import annotations

import os
import re
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.procs import free_port, lendops_cmd

from .conftest import APPLY, Services

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                reason=f"{CHROMIUM} is absent (apt-get install chromium; .ci/run installs it)")


@pytest.fixture
def console_url(services: Services, status_file: Path, tmp_path: Path) -> Iterator[str]:
    """`lendops console` as its own process, as an SRE starts it."""
    port = free_port()
    argv = lendops_cmd("console", "--port", str(port), "--spans", str(services.spans),
                       "--rollout-status", str(status_file), "--window", "30",
                       *[a for t, u in services.urls.items() for a in ("--target", f"{t}={u}")])
    log = (tmp_path / "console.log").open("wb")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, (tmp_path / "console.log").read_text()
            # urllib, not requests: requests is instrumented in this process (the services
            # trace), and failed polls would land in the store as failed traces.
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "console did not start"
            time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()


@pytest.fixture
def page() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 1000})
        finally:
            browser.close()


def test_the_page_shows_rollout_tracks_and_a_nested_waterfall(services: Services, console_url: str, page,
                                                              tmp_path: Path) -> None:
    from playwright.sync_api import expect

    services.drive("stable", 6)
    services.drive("canary", 8)
    services.flush()
    page.goto(console_url)

    # Rollout: phase, weight, cohort and the failing verdict's explanation.
    expect(page.locator("#rollout-phase")).to_have_text("rolling_back")
    expect(page.locator("#rollout-cohort")).to_have_text("522629, 522631")
    expect(page.locator("#rollout-versions")).to_have_text("stable 1.0.0 → canary 1.1.0")
    failing = page.locator('#verdicts tr[data-metric="error-rate"]')
    expect(failing.locator(".explanation")).to_contain_text("canary 5xx ratio 25.0% against stable 0.0%")
    expect(failing).to_contain_text("fail")

    # Both tracks' live numbers, from the services' real /metrics.
    stable, canary = page.locator("#track-stable"), page.locator("#track-canary")
    expect(stable).to_contain_text("1.0.0")
    expect(canary).to_contain_text("1.1.0")
    expect(stable.locator(".errors")).to_have_text("0.00 %")
    expect(canary.locator(".errors")).to_have_text("12.50 %")  # 2 of 16 requests answered 500
    expect(stable.locator(".approval")).to_have_text("66.7 %")
    for row in (stable, canary):
        expect(row.locator(".p99")).to_have_text(re.compile(r"^\d+\.\d ms$"))
    # After the next poll the request rate (a difference of two scrapes) appears.
    services.drive("canary", 3)
    expect(canary.locator(".rate")).to_have_text(re.compile(r"^\d+\.\d\d$"), timeout=10_000)

    # Traces: filter by route, open one, see the credit path's spans nested.
    page.fill('#trace-filter input[name="route"]', APPLY)
    rows = page.locator("#trace-list tbody tr")
    expect(rows).to_have_count(17)  # 6 stable, 8 + 3 canary applications
    page.check('#trace-filter input[name="error"]')
    expect(rows).to_have_count(2)  # the canary's two 500s
    page.uncheck('#trace-filter input[name="error"]')
    page.select_option('#trace-filter select[name="track"]', "stable")
    expect(rows).to_have_count(6)
    rows.first.click()
    waterfall = page.locator("#waterfall-rows .wf-row")
    expect(waterfall).to_have_count(4)
    expect(page.locator("#waterfall-title")).to_contain_text("4 spans")
    server = page.locator('.wf-row[data-depth="0"]')
    score = page.locator('.wf-row[data-depth="1"]', has_text="credit.score")
    line = page.locator('.wf-row[data-depth="2"]', has_text="credit.line")
    expect(server).to_contain_text(f"POST {APPLY}")
    expect(score).to_have_attribute("data-parent-span-id", server.get_attribute("data-span-id") or "?")
    expect(line).to_have_attribute("data-parent-span-id", score.get_attribute("data-span-id") or "?")
    # Bars are drawn to scale: the child starts no earlier and is no wider than its parent.
    boxes = [row.locator(".wf-bar").bounding_box() for row in (server, score, line)]
    assert all(b is not None and b["width"] >= 1 for b in boxes)
    assert boxes[0]["x"] <= boxes[1]["x"] + 0.5 and boxes[1]["x"] <= boxes[2]["x"] + 0.5  # type: ignore[index]
    assert boxes[2]["width"] <= boxes[1]["width"] + 0.5 <= boxes[0]["width"] + 1  # type: ignore[index]
    indent = [row.locator(".wf-name").evaluate("e => parseFloat(getComputedStyle(e).paddingLeft)")
              for row in (server, score, line)]
    assert indent[0] < indent[1] < indent[2]
    # From the failing verdict to its evidence: the canary's failed traces.
    failing.click()
    expect(page.locator('#trace-filter select[name="track"]')).to_have_value("canary")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("canary")
    page.screenshot(path=str(tmp_path / "console.png"), full_page=True)
