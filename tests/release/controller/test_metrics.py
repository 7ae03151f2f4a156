from __future__ import annotations

import requests
from prometheus_client import CollectorRegistry

from release.controller import RolloutMetrics
from release.engine import RolloutState


def test_metrics_are_served_and_snapshotted() -> None:
    metrics = RolloutMetrics(CollectorRegistry())
    state = RolloutState("lending", "1.0.0", "1.1.0", phase="progressing", step=2, weight=25,
                         cohort=("520221",), started_at=100.0)
    metrics.update(state, now=130.0)
    metrics.observe("lending", {"verdicts": [{"metric": "latency", "decision": "pass", "stable": 0.01,
                                              "canary": {"n": 3}}]})
    port = metrics.serve(0)
    try:
        text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    finally:
        metrics.close()
    assert 'lendops_rollout_canary_weight{rollout="lending"} 25.0' in text
    assert 'lendops_rollout_phase{phase="progressing",rollout="lending"} 1.0' in text
    assert 'lendops_rollout_verdicts_total{decision="pass",metric="latency",rollout="lending"} 1.0' in text
    assert 'lendops_rollout_duration_seconds{rollout="lending"} 30.0' in text
    snap = metrics.snapshot()
    assert snap['lendops_rollout_analysis_value{metric="latency",rollout="lending",stat="value",track="stable"}'] == 0.01
    assert snap['lendops_rollout_analysis_value{metric="latency",rollout="lending",stat="n",track="canary"}'] == 3
