from __future__ import annotations

from collections.abc import Iterator

import pytest

from ..client.fake_service import FakeService


@pytest.fixture
def fake() -> Iterator[FakeService]:
    service = FakeService().start()
    try:
        yield service
    finally:
        service.stop()
