"""The analyzer against real `lendops serve` processes: one stable and one canary per
fault kind of the service's contract (at the contract's drill values), plus a good
canary. Client threads send credit applications to stable or to one of the canaries;
the scrape provider reads each process' real /metrics."""

from __future__ import annotations

import random
import threading
import uuid
from datetime import date

import pytest
import requests

from release.analysis import Analyzer, ProviderSpec, build_provider, default_analysis
from tests.procs import create_token, prepare_db, start_lending_service

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

BRANCH = "522301"
CANARIES = {
    "error_rate=0.05": "error-ratio",
    "latency_ms=200": "latency",
    "apr_shift_bps=150": "apr",
    "approval_shift_points=-40": "approval-rate",
    "": None,  # a good canary
}


def _drive(targets: list[str], token: str, stop: threading.Event, seed: int, sent: list[int]) -> None:
    from loadtest.data import Branch, customer_payload

    rng = random.Random(seed)
    session = requests.Session()
    headers = {"Authorization": f"Bearer {token}", "X-Branch-Code": BRANCH}
    while not stop.is_set():
        # Half of the customers on stable, the rest spread over the canaries.
        base = targets[0] if rng.random() < 0.5 else rng.choice(targets[1:])
        h = {**headers, "X-Customer-Id": uuid.uuid4().hex}
        body = customer_payload(rng, Branch(BRANCH), today=date.today(), serial=rng.randrange(1000))
        try:
            r = session.post(f"{base}/v1/customers", json=body, headers=h, timeout=10)
            if r.status_code == 201:
                session.post(f"{base}/v1/credit/applications", json={"customer_id": r.json()["customer_id"]},
                             headers=h, timeout=10)
        except requests.RequestException:
            pass
        sent[0] += 1
    session.close()


def test_each_contract_fault_is_caught_by_its_metric_and_a_good_canary_is_not(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'lending.sqlite'}"
    prepare_db(db_url)
    token = create_token(db_url, "manager", branch=BRANCH)
    services = []
    try:
        stable = start_lending_service(db_url=db_url, version="1.0.0", track="stable")
        services.append(stable)
        canaries = {}
        for faults in CANARIES:
            svc = start_lending_service(db_url=db_url, version="1.1.0", track="canary", faults=faults or None)
            services.append(svc)
            canaries[faults] = svc
        analyzers = {
            faults: Analyzer(default_analysis(), build_provider(
                ProviderSpec(), endpoints={"stable": stable.base_url, "canary": svc.base_url}))
            for faults, svc in canaries.items()
        }
        for a in analyzers.values():
            a.begin()
        stop = threading.Event()
        sent = [0]
        targets = [stable.base_url, *(s.base_url for s in canaries.values())]
        threads = [threading.Thread(target=_drive, args=(targets, token, stop, 40 + i, sent), daemon=True)
                   for i in range(3)]
        for t in threads:
            t.start()
        results = {}
        failed_first: dict[str, list[str]] = {}
        try:
            # Bounded: evaluate every second until every faulty canary failed, or 150 s.
            for _ in range(150):
                stop.wait(1.0)
                for faults, a in analyzers.items():
                    r = a.evaluate()
                    results[faults] = r
                    if r.decision == "fail" and faults not in failed_first:
                        failed_first[faults] = [v.metric for v in r.failed]  # in the reason's order
                if all(f in failed_first for f, m in CANARIES.items() if m is not None):
                    break
        finally:
            stop.set()
            for t in threads:
                t.join(15)
        for faults, metric in CANARIES.items():
            if metric is None:
                assert "" not in failed_first, results[""].reason
            else:
                named = failed_first.get(faults, [])
                # The reason names the metric first; a critical guardrail may precede "apr".
                first = [m for m in named if not (metric == "apr" and m == "apr-guardrail")][:1]
                assert first == [metric], (faults, results[faults].reason)
    finally:
        for svc in services:
            svc.stop()
