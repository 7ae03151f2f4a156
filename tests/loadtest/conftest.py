"""Real lending services and manager tokens for the load-test runs."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.procs import ServiceProcess, create_token, prepare_db, start_lending_service

#: Jianhe and Huishui (pilots) and Weining: the branches the runs act for.
BRANCHES = ("522629", "522731", "520526")

SMALL_STEADY = """\
name: small-steady
seed: 42
duration_s: 4
mix: {new_customer: 5, returning_customer: 4, batch_grant: 1}
load: {model: closed, users: 4, spawn_rate: 4, think_time_s: [0.1, 0.3]}
shape: {type: steady}
data: {batch_size: [2, 3], disbursement_wait_s: 1}
thresholds:
  max_failure_ratio: 0.01
  min_request_rate: 1
  latency_ms:
    all: {p95_ms: 10000}
"""


@pytest.fixture(scope="session")
def lending_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """A seeded SQLite database and a tokens file for BRANCHES."""
    folder = tmp_path_factory.mktemp("loadtest-db")
    url = f"sqlite:///{folder / 'lending.sqlite'}"
    prepare_db(url)
    tokens = {"managers": {code: create_token(url, "manager", branch=code) for code in BRANCHES}}
    tokens_file = folder / "tokens.json"
    tokens_file.write_text(json.dumps(tokens), encoding="utf-8")
    return url, tokens_file


@pytest.fixture(scope="session")
def healthy_service(lending_db: tuple[str, Path]) -> Iterator[ServiceProcess]:
    with start_lending_service(db_url=lending_db[0]) as svc:
        yield svc


@pytest.fixture
def service_with_faults(lending_db: tuple[str, Path]) -> Callable[[str], ServiceProcess]:
    """``start("error_rate=0.3")``: a service with faults, stopped after the test."""
    started: list[ServiceProcess] = []

    def start(faults: str) -> ServiceProcess:
        svc = start_lending_service(db_url=lending_db[0], faults=faults, version="1.1.0-bad", track="canary")
        started.append(svc)
        return svc

    yield start  # type: ignore[misc]
    for svc in started:
        svc.stop()


@pytest.fixture
def scenario_file(tmp_path: Path) -> Callable[..., Path]:
    """``scenario_file(text)``: write a scenario YAML into tmp_path, return its path."""

    def write(text: str = SMALL_STEADY, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
