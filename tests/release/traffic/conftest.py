from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from release.router import RouterProcess
from tests.release.router.backend import Backend, free_port


@pytest.fixture
def router(tmp_path: Path) -> Iterator[tuple[RouterProcess, Backend, Backend]]:
    stable, canary = Backend("stable"), Backend("canary")
    proc = RouterProcess.start(free_port(), free_port(), stable.url, canary.url,
                               workdir=tmp_path)
    try:
        yield proc, stable, canary
    finally:
        proc.stop()
        stable.stop()
        canary.stop()
