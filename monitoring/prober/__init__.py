"""Synthetic prober: walks the credit path as a customer would and measures each step.

    settings = ProberSettings(target="http://127.0.0.1:8000", token=tok, interval_s=10, duration_s=600)
    summary = Prober(settings, registry=registry).run()

Steps: register a synthetic customer (name ``probe-…``), apply, quote, draw, wait for the
payout, repay. Metrics: ``lending_probe_step_success_total{step,track}``,
``lending_probe_step_failure_total{step,reason,track}``,
``lending_probe_step_duration_seconds{step,track}``,
``lending_probe_journeys_total{outcome}``, ``lending_probe_journey_duration_seconds``.
"""

from __future__ import annotations

from ._customer import id_number, synthetic_customer
from ._errors import ProberConfigError, ProberError
from ._journey import STEPS, JourneyCancelled, JourneyResult, JourneySettings, StepResult, walk
from ._metrics import ProberMetrics
from ._runner import Prober, ProberSettings, ProbeSummary

__all__ = [
    "Prober",
    "ProberSettings",
    "ProbeSummary",
    "ProberMetrics",
    "JourneySettings",
    "JourneyResult",
    "JourneyCancelled",
    "StepResult",
    "STEPS",
    "walk",
    "synthetic_customer",
    "id_number",
    "ProberError",
    "ProberConfigError",
]
