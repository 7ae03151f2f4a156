from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from release.router import RouterProcess

from .backend import Backend, free_port


@pytest.fixture
def stable() -> Iterator[Backend]:
    b = Backend("stable")
    yield b
    b.stop()


@pytest.fixture
def canary() -> Iterator[Backend]:
    b = Backend("canary")
    yield b
    b.stop()


@pytest.fixture
def start_router(tmp_path: Path) -> Iterator[object]:
    started: list[RouterProcess] = []

    def start(stable: str, canary: str, impl: str = "python", **kw: object) -> RouterProcess:
        proc = RouterProcess.start(free_port(), free_port(), stable, canary, impl,
                                   workdir=tmp_path / f"router{len(started)}", **kw)  # type: ignore[arg-type]
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.stop()


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s
