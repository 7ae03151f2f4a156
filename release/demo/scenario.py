"""The demo's scenarios: which fault the canary build carries and what must happen."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DemoScenario", "SCENARIOS"]


@dataclass(frozen=True)
class DemoScenario:
    """A release drill.

    faults: the canary's ``--faults`` spec (empty for a good build).
    expected_phase: how the rollout must end for the demo to exit 0.
    expected_metrics: for a rollback, the analysis metrics allowed to name the reason.
    """

    name: str
    faults: str
    expected_phase: str
    expected_metrics: tuple[str, ...]
    story: str


SCENARIOS: dict[str, DemoScenario] = {
    s.name: s
    for s in (
        DemoScenario("good", "", "succeeded", (),
                     "a healthy build: promoted step by step to 100 %"),
        DemoScenario("errors", "error_rate=0.05", "rolled_back", ("error-ratio",),
                     "5 % of the canary's answers are 500s: rolled back on the error ratio"),
        DemoScenario("latency", "latency_ms=200", "rolled_back", ("latency",),
                     "the canary answers 200 ms slower: rolled back on latency"),
        DemoScenario("pricing", "apr_shift_bps=150", "rolled_back", ("apr", "apr-guardrail"),
                     "the canary prices 1.5 points too high: rolled back on the APR"),
        DemoScenario("approval-drift", "approval_shift_points=-40", "rolled_back", ("approval-rate",),
                     "the canary's scorecard approves fewer customers: rolled back on the approval rate"),
    )
}
