from __future__ import annotations

import time

import pytest

from monitoring.client import LendingClient, ProblemError, TelemetryEvent, TelemetryShipper

from .fake_service import FakeService, free_port


def _event(ts: float) -> TelemetryEvent:
    return TelemetryEvent(route="/v1/quotes", method="POST", outcome="ok", status=200,
                          duration_ms=1.5, version="1", track="stable", ts=ts)


def test_calls_are_shipped_with_the_token_and_the_agreed_fields(fake: FakeService) -> None:
    with LendingClient(fake.base_url, "tok") as client:
        client.credit("c1")
        with pytest.raises(ProblemError):
            client.credit("missing")
        assert client.telemetry is not None and client.telemetry.flush(5.0)
    events = [e for batch in fake.state.telemetry_batches for e in batch]
    assert [(e["route"], e["outcome"], e["status"]) for e in events] == [
        ("/v1/customers/{customer_id}/credit", "ok", 200),
        ("/v1/customers/{customer_id}/credit", "http_error", 404),
    ]
    assert set(events[0]) == {"route", "method", "outcome", "status", "duration_ms", "version", "track", "ts"}
    assert events[0]["track"] == "canary" and events[0]["version"] == "9.9.9" and events[0]["duration_ms"] > 0
    posts = [r for r in fake.state.requests if r["path"] == "/v1/telemetry/client"]
    assert posts and all(r["headers"]["Authorization"] == "Bearer tok" for r in posts)


def test_full_buffer_drops_oldest_and_counts_it(fake: FakeService) -> None:
    drops: list[int] = []
    shipper = TelemetryShipper(fake.base_url, "tok", max_queue=3, interval_s=60, on_drop=drops.append)
    for ts in range(1, 6):
        shipper.submit(_event(float(ts)))
    assert shipper.flush(5.0)
    shipper.close()
    shipped = [e["ts"] for batch in fake.state.telemetry_batches for e in batch]
    assert shipped == [3.0, 4.0, 5.0]
    assert (shipper.stats.dropped, shipper.stats.shipped, sum(drops)) == (2, 3, 2)


def test_batches_never_exceed_500_events(fake: FakeService) -> None:
    shipper = TelemetryShipper(fake.base_url, "tok", interval_s=60)
    for ts in range(1200):
        shipper.submit(_event(float(ts)))
    assert shipper.flush(10.0)
    shipper.close()
    sizes = [len(b) for b in fake.state.telemetry_batches]
    assert sum(sizes) == 1200 and max(sizes) <= 500
    assert [e["ts"] for b in fake.state.telemetry_batches for e in b] == [float(t) for t in range(1200)]


def test_batch_size_is_validated() -> None:
    with pytest.raises(ValueError):
        TelemetryShipper("http://127.0.0.1:1", batch_size=501)


@pytest.mark.parametrize("mode", ["absent", "error"])
def test_refusing_endpoint_loses_telemetry_not_business_calls(fake: FakeService, mode: str) -> None:
    fake.state.telemetry_mode = mode
    shipper = TelemetryShipper(fake.base_url, "tok", batch_size=1, interval_s=0.05)
    with LendingClient(fake.base_url, "tok", telemetry=shipper) as client:
        replies = [client.quote("c1", 100_000, 3, "revolving") for _ in range(5)]
    shipper.flush(5.0)
    shipper.close()
    assert all(r.ok for r in replies)
    assert shipper.stats.shipped == 0 and shipper.stats.lost == 5 and shipper.stats.batches_failed == 5
    assert shipper.stats.last_error is not None and "HTTP" in shipper.stats.last_error


def test_dead_telemetry_host_never_fails_business_calls(fake: FakeService) -> None:
    shipper = TelemetryShipper(f"http://127.0.0.1:{free_port()}", "tok", batch_size=1, interval_s=0.05)
    with LendingClient(fake.base_url, "tok", telemetry=shipper) as client:
        replies = [client.branches() for _ in range(5)]
    shipper.flush(5.0)
    shipper.close()
    assert all(r.ok for r in replies)
    assert shipper.stats.lost == 5 and "ConnectionError" in (shipper.stats.last_error or "")


def test_hanging_telemetry_endpoint_does_not_slow_business_calls(fake: FakeService) -> None:
    # The telemetry endpoint holds every request for `hang` seconds; each business call
    # fills a whole batch, so the sender is stuck in a hanging POST during all of them.
    hang = 10.0
    fake.state.telemetry_mode = "hang"
    fake.state.telemetry_hang_s = hang
    shipper = TelemetryShipper(fake.base_url, "tok", batch_size=1, max_queue=4, interval_s=0.01, timeout_s=hang * 2)
    client = LendingClient(fake.base_url, "tok", telemetry=shipper)
    start = time.perf_counter()
    replies = [client.quote("c1", 100_000, 3, "revolving") for _ in range(20)]
    business = time.perf_counter() - start
    try:
        assert all(r.ok for r in replies)
        # All twenty calls finished inside the time ONE telemetry POST was held open.
        assert business < hang
        assert any(r["path"] == "/v1/telemetry/client" for r in fake.state.requests)
        # The bounded buffer overflowed instead of growing or blocking.
        assert shipper.stats.dropped > 0 and shipper.pending <= 4 + 1
    finally:
        fake.state.hang_release.set()
        client.close()
        shipper.close(timeout=5.0)


def test_close_returns_in_time_even_when_the_endpoint_hangs(fake: FakeService) -> None:
    hang = 10.0
    fake.state.telemetry_mode = "hang"
    fake.state.telemetry_hang_s = hang
    shipper = TelemetryShipper(fake.base_url, "tok", batch_size=1, interval_s=0.01, timeout_s=hang * 2)
    for ts in range(5):
        shipper.submit(_event(float(ts)))
    for _ in range(100):  # bounded: wait until the sender is inside the hanging POST
        if any(r["path"] == "/v1/telemetry/client" for r in fake.state.requests):
            break
        time.sleep(0.02)
    start = time.perf_counter()
    shipper.close(timeout=0.5)
    closing = time.perf_counter() - start
    fake.state.hang_release.set()
    # Closing took the budget it was given, not the endpoint's hang or the POST timeout.
    assert closing < hang / 2
    assert shipper.stats.lost >= 4 and shipper.stats.shipped == 0
