from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest
import requests

from ..client.fake_service import FakeService

LENDOPS = [sys.executable, "-c", "from release.cli import main; main()"]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "LENDING_TOKEN"}
    return env | extra


def test_probe_command_serves_metrics_and_stops_by_itself(fake: FakeService) -> None:
    proc = subprocess.Popen(
        [*LENDOPS, "probe", "--target", fake.base_url, "--interval", "0.2", "--duration", "3",
         "--metrics-port", "0", "--branch", "522731"],
        env=_env(LENDING_TOKEN="tok"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+/metrics)", first)
        assert match, first
        body = ""
        for _ in range(100):  # bounded: at most ~5 s
            body = requests.get(match.group(1), timeout=2).text
            if 'lending_probe_journeys_total{outcome="ok"}' in body:
                break
            time.sleep(0.05)
        assert 'lending_probe_step_success_total{step="repay",track="canary"}' in body
        assert "lending_probe_journey_duration_seconds_bucket" in body
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    journeys = int(re.search(r"(\d+) journeys, (\d+) ok, 0 failed", out).group(1))  # type: ignore[union-attr]
    assert journeys == len(fake.state.business("/v1/customers")) >= 1
    assert all(r["headers"]["Authorization"] == "Bearer tok" for r in fake.state.business())


def test_probe_command_exits_1_when_journeys_fail(fake: FakeService) -> None:
    fake.state.decision = "declined"
    proc = subprocess.run(
        [*LENDOPS, "probe", "--target", fake.base_url, "--interval", "5", "--duration", "0.5", "--token", "tok"],
        env=_env(), capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 1
    assert "journey failed at apply: declined" in proc.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["--target", "http://127.0.0.1:1", "--token", "t", "--interval", "0"],
        ["--target", "http://127.0.0.1:1", "--token", "t", "--duration", "soon"],
        ["--target", "http://127.0.0.1:1"],  # no token anywhere
        ["--token", "t"],  # no target
    ],
)
def test_bad_arguments_exit_non_zero_with_one_line(args: list[str]) -> None:
    proc = subprocess.run([*LENDOPS, "probe", *args], env=_env(), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
