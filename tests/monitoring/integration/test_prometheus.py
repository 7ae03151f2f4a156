"""The numbers Prometheus computes from the service's metrics agree with what a client sent.

A stable build and a canary that fails 30 % of /v1 requests, adds 150 ms each and prices
outside the APR guardrail are scraped every second by a real Prometheus that also
evaluates the exported rules.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest

from monitoring.client import ClientError, LendingClient, Reply
from monitoring.prober import synthetic_customer
from monitoring.probe import names
from monitoring.rules import export_rules
from tests.procs import ServiceProcess, create_token, prepare_db, start_lending_service

from .prometheus import PrometheusProcess, start_prometheus

pytestmark = [
    pytest.mark.slow,
    pytest.mark.prometheus,
    pytest.mark.skipif(shutil.which("prometheus") is None, reason="Debian prometheus not installed"),
]

BRANCH = "522629"
QUOTES = 80
ERROR_RATE = 0.3
LATENCY_S = 0.15
API = 'http_route=~"/v1/.*", http_route!="/v1/telemetry/client"'


@dataclass
class Sent:
    """What the client saw, per call, on one track."""

    replies: list[Reply] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.replies)

    @property
    def errors(self) -> int:
        return sum(1 for r in self.replies if r.status is not None and r.status >= 500)

    def quote_durations(self) -> list[float]:
        return sorted(r.duration_s for r in self.replies if r.route == "/v1/quotes")


def _measured(call) -> Reply:  # type: ignore[no-untyped-def]
    try:
        return call()
    except ClientError as exc:
        assert exc.result is not None and exc.result.status is not None, exc  # only HTTP answers expected
        return exc.result


def _grant(svc: ServiceProcess, token: str, sent: Sent, seed: int) -> int:
    """Register and grant one customer, retrying injected faults (bounded)."""
    import random

    rng = random.Random(seed)
    with LendingClient(svc.base_url, token, branch_code=BRANCH, telemetry=False, timeout=30) as client:
        customer_id = None
        for _ in range(30):
            reply = _measured(lambda: client.register_customer(**synthetic_customer(BRANCH, rng)))
            sent.replies.append(reply)
            if reply.ok:
                customer_id = reply["customer_id"]
                break
        assert customer_id is not None, "could not register a customer"
        for _ in range(30):
            reply = _measured(lambda: client.apply(customer_id))
            sent.replies.append(reply)
            if reply.ok:
                assert reply["decision"] == "approved", reply.data
                return int(customer_id)
        raise AssertionError("could not grant credit")


def _quotes(svc: ServiceProcess, token: str, customer_id: int, numbers: range, sent: Sent) -> None:
    def quote(i: int) -> Reply:
        with LendingClient(svc.base_url, token, branch_code=BRANCH, telemetry=False, timeout=30) as c:
            return _measured(lambda: c.quote(customer_id, 100_000 + 100 * i, 12, "equal_installment"))

    with ThreadPoolExecutor(max_workers=4) as pool:
        sent.replies.extend(pool.map(quote, numbers))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PrometheusProcess, dict[str, Sent]]]:
    root = tmp_path_factory.mktemp("prom-world")
    services: dict[str, ServiceProcess] = {}
    prom: PrometheusProcess | None = None
    try:
        tokens = {}
        canary_faults = f"error_rate={ERROR_RATE},latency_ms={int(LATENCY_S * 1000)},apr_shift_bps=2000"
        for track, faults in (("stable", None), ("canary", canary_faults)):
            # One database per track: the point is two builds, and SQLite locking between
            # two writers would add errors the test did not inject.
            url = f"sqlite:///{root / f'{track}.sqlite'}"
            prepare_db(url)
            tokens[track] = create_token(url, "manager", branch=BRANCH)
            services[track] = start_lending_service(
                db_url=url, version="2.0.0" if track == "canary" else "1.0.0", track=track, faults=faults
            )
        rules = export_rules(root / "rules")
        prom = start_prometheus(
            root / "prometheus",
            targets={track: f"127.0.0.1:{svc.port}" for track, svc in services.items()},
            rule_files=rules,
        )
        # The first scrape comes ~5 s after start: wait for both targets to be up.
        prom.wait_for("both targets up", lambda: len(prom.query("up == 1")) == 2, attempts=120)
        sent = {track: Sent() for track in services}
        # Two phases with a scrape between them: a counter's first sample hides the
        # increase before it, and the rate-based recording rules need increases to see.
        for seed, phase in enumerate((range(0, QUOTES // 2), range(QUOTES // 2, QUOTES))):
            customers = {t: _grant(services[t], tokens[t], sent[t], seed) for t in services}
            with ThreadPoolExecutor(max_workers=2) as pool:
                list(pool.map(
                    lambda t, c=customers, p=phase: _quotes(services[t], tokens[t], c[t], p, sent[t]), services
                ))
            for track, s in sent.items():
                prom.wait_for(  # everything sent so far has been scraped
                    f"{track} counts scraped",
                    lambda t=track, total=s.total: prom.by_track(
                        f'sum by (track) ({names.HTTP_DURATION}_count{{{API}, track="{t}"}})'
                    ).get(t) == total,
                )
        yield prom, sent
    finally:
        if prom is not None:
            prom.stop()
        for svc in services.values():
            svc.stop()


def test_per_track_error_ratio_matches_what_the_client_saw(world: tuple[PrometheusProcess, dict[str, Sent]]) -> None:
    prom, sent = world
    errors = prom.by_track(
        f'sum by (track) ({names.HTTP_DURATION}_count{{{API}, http_response_status_code=~"5.."}})'
        f" or sum by (track) ({names.HTTP_DURATION}_count{{{API}}}) * 0"
    )
    totals = prom.by_track(f"sum by (track) ({names.HTTP_DURATION}_count{{{API}}})")
    for track, s in sent.items():
        # Counters are exact: every request the client made, every 5xx it got.
        assert (totals[track], errors[track]) == (s.total, s.errors), track
    assert sent["stable"].errors == 0
    # The canary's measured ratio is a binomial sample of the injected 30 %: within four
    # standard deviations for this many requests.
    n = sent["canary"].total
    ratio = errors["canary"] / totals["canary"]
    assert abs(ratio - ERROR_RATE) <= 4 * math.sqrt(ERROR_RATE * (1 - ERROR_RATE) / n), (ratio, n)


def _bucket_lower_bound(value: float) -> float:
    bounds = (0.0, *names.HTTP_BUCKETS)
    return max(b for b in bounds if b < value) if value > 0 else 0.0


def test_p99_agrees_with_the_client_side_latency(world: tuple[PrometheusProcess, dict[str, Sent]]) -> None:
    prom, sent = world
    p99 = prom.by_track(
        f'histogram_quantile(0.99, sum by (track, le) ({names.HTTP_DURATION}_bucket{{http_route="/v1/quotes"}}))'
    )
    for track, s in sent.items():
        durations = s.quote_durations()
        assert len(durations) == QUOTES
        # Each request took at least as long at the client as inside the server, so the
        # client's order statistic at the p99 rank lies at or above the server's, which
        # lies inside the bucket Prometheus interpolated in.
        rank = math.ceil(0.99 * len(durations))
        client_p99 = durations[rank - 1]
        assert _bucket_lower_bound(p99[track]) < client_p99, (track, p99[track], client_p99)
    # The injected 150 ms puts the canary's p99 above the 0.1 s bucket, and the client saw it too.
    assert p99["canary"] > 0.1 and sent["canary"].quote_durations()[0] >= LATENCY_S


def test_exported_rules_load_and_recording_rules_evaluate(world: tuple[PrometheusProcess, dict[str, Sent]]) -> None:
    prom, sent = world
    import requests

    groups = requests.get(prom.url + "/api/v1/rules", timeout=5).json()["data"]["groups"]
    assert {g["name"] for g in groups} >= {"lending.recording", "lending.slo.availability", "lending.alerts"}
    unhealthy = [
        (r["name"], r.get("lastError")) for g in groups for r in g["rules"] if r["health"] not in ("ok", "unknown")
    ]
    assert unhealthy == []

    ratio = prom.wait_for(
        "error ratio recorded for both tracks",
        lambda: (lambda v: v if set(v) == {"stable", "canary"} else None)(
            prom.by_track("track:lending_api_errors:ratio_rate5m")
        ),
    )
    # A clean track reads 0 (not absent); the canary's rate-based ratio is near the counts'.
    assert ratio["stable"] == 0.0
    assert abs(ratio["canary"] - sent["canary"].errors / sent["canary"].total) < 0.1
    p99 = prom.wait_for(
        "p99 recorded for quotes",
        lambda: (lambda v: v if set(v) == {"stable", "canary"} else None)(
            prom.by_track('track_route:lending_api_latency_seconds:p99_5m{http_route="/v1/quotes"}')
        ),
    )
    assert p99["canary"] > 0.1
    approval = prom.wait_for(
        "approval ratio recorded",
        lambda: (lambda v: v if set(v) == {"stable", "canary"} else None)(
            prom.by_track("track:lending_approval:ratio_rate30m")
        ),
    )
    assert approval == {"stable": 1.0, "canary": 1.0}


def test_apr_guardrail_alert_fires_for_the_canary_only(world: tuple[PrometheusProcess, dict[str, Sent]]) -> None:
    prom, _ = world
    firing = prom.wait_for(
        "the APR guardrail alert to fire",
        lambda: prom.query('ALERTS{alertname="LendingAprOutsideGuardrail", alertstate="firing"}'),
    )
    assert [(a["metric"]["track"], a["metric"]["severity"]) for a in firing] == [("canary", "critical")]
