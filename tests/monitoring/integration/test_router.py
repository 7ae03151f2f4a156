"""The SDK's routing headers drive the release router as documented: a pilot branch's
customer always reaches the canary, and every other customer sticks to one track chosen
by its customer id, for every call made on its behalf."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitoring.client import LendingClient
from monitoring.prober import synthetic_customer
from release.router import RouterProcess, bucket_of
from tests.procs import ServiceProcess, create_token, free_port, prepare_db, start_lending_service

pytestmark = pytest.mark.slow

JIANHE, HUISHUI = "522629", "522731"
WEIGHT = 50


@pytest.fixture(scope="module")
def routed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    root = tmp_path_factory.mktemp("routed")
    # Both builds share one database, as they do in production during a canary.
    url = f"sqlite:///{root / 'lending.sqlite'}"
    prepare_db(url)
    tokens = {b: create_token(url, "manager", branch=b) for b in (JIANHE, HUISHUI)}
    services: list[ServiceProcess] = []
    router: RouterProcess | None = None
    try:
        services.append(start_lending_service(db_url=url, version="1.0.0", track="stable"))
        services.append(start_lending_service(db_url=url, version="1.1.0", track="canary"))
        router = RouterProcess.start(
            free_port(), free_port(), services[0].base_url, services[1].base_url,
            weight=WEIGHT, cohort=[HUISHUI], workdir=root / "router",
        )
        yield router.url, tokens
    finally:
        if router is not None:
            router.stop()
        for svc in services:
            svc.stop()


def _walk(client: LendingClient, branch: str, seed: int) -> tuple[int, list[str | None]]:
    customer = client.register_customer(**synthetic_customer(branch, random.Random(seed)))
    cid = customer["customer_id"]
    replies = [
        client.apply(cid),
        client.quote(cid, 100_000, 6, "equal_installment"),
        client.credit(cid),
        client.quote(cid, 200_000, 12, "equal_principal"),
    ]
    return cid, [r.track for r in replies]


def test_customers_stick_to_the_track_their_id_buckets_to(routed: tuple[str, dict[str, str]]) -> None:
    url, tokens = routed
    seen: set[str] = set()
    with LendingClient(url, tokens[JIANHE], branch_code=JIANHE, telemetry=False) as client:
        for seed in range(8):
            cid, tracks = _walk(client, JIANHE, seed)
            expected = "canary" if bucket_of(str(cid)) < WEIGHT else "stable"
            assert tracks == [expected] * len(tracks), (cid, tracks)
            seen.add(expected)
    assert seen, "no customer walked"


def test_a_pilot_branch_customer_always_reaches_the_canary(routed: tuple[str, dict[str, str]]) -> None:
    url, tokens = routed
    with LendingClient(url, tokens[HUISHUI], branch_code=HUISHUI, telemetry=False) as client:
        for seed in range(100, 104):
            _, tracks = _walk(client, HUISHUI, seed)
            assert tracks == ["canary"] * len(tracks)
        assert client.last is not None and client.last.version == "1.1.0"
