"""Rules that span several fields of a rollout (pure): weight only grows, cohorts only
grow, nothing follows a promote step, the traffic provider fits the target."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from release.spec.model import Rollout

__all__ = ["Problem", "check"]

_CLUSTER_PROVIDERS = {"gateway-api", "istio", "ingress-nginx", "replica-ratio"}


@dataclass(frozen=True)
class Problem:
    """One finding, located by its path in the document (keys and list indexes)."""

    path: tuple[str | int, ...]
    message: str
    severity: Literal["error", "warning"] = "error"


def check(rollout: Rollout) -> list[Problem]:
    problems: list[Problem] = []
    body = rollout.spec
    weight = 0
    cohort: frozenset[str] = frozenset()
    cohort_all = False
    sends_traffic = False
    has_analysis = False
    for index, step in enumerate(body.steps):
        where: tuple[str | int, ...] = ("spec", "steps", index)
        if step.setWeight is not None:
            if step.setWeight < weight:
                problems.append(
                    Problem(
                        (*where, "setWeight"),
                        f"weight only grows within a rollout (customers stay on their track): "
                        f"{step.setWeight} after {weight}",
                    )
                )
            weight = max(weight, step.setWeight)
            sends_traffic |= step.setWeight > 0
        if step.cohort is not None:
            if cohort_all and not step.cohort.all:
                problems.append(Problem((*where, "cohort"), "cohort only grows: 'all' was already reached"))
            dropped = sorted(cohort - step.cohort.branches) if not step.cohort.all else []
            if dropped:
                problems.append(
                    Problem(
                        (*where, "cohort"),
                        f"cohort only grows (branches stay on the canary): drops {', '.join(dropped)}",
                    )
                )
            cohort |= step.cohort.branches
            cohort_all |= step.cohort.all
            sends_traffic |= bool(step.cohort.branches) or step.cohort.all
        if step.analysis is not None:
            has_analysis = True
            if not sends_traffic:
                problems.append(
                    Problem(
                        (*where, "analysis"),
                        "analysis before any traffic reaches the canary has nothing to judge",
                        "warning",
                    )
                )
        if step.promote is not None and index != len(body.steps) - 1:
            problems.append(
                Problem((*where, "promote"), "promote must be the last step: the steps after it never run")
            )
    if not sends_traffic:
        problems.append(Problem(("spec", "steps"), "no step sends traffic to the canary (setWeight > 0 or a cohort)"))
    if not has_analysis:
        problems.append(
            Problem(
                ("spec", "steps"),
                "no analysis step: the canary is still watched continuously, but no step waits for a verdict",
                "warning",
            )
        )
    provider = body.traffic.provider
    if body.target.local is not None and provider in _CLUSTER_PROVIDERS:
        problems.append(
            Problem(("spec", "traffic", "provider"), f"traffic provider {provider} needs a kubernetes target")
        )
    if body.target.kubernetes is not None and provider in {"local-router", "haproxy"}:
        problems.append(
            Problem(("spec", "traffic", "provider"), f"traffic provider {provider} needs a local target")
        )
    names = [hook.name for hook in body.webhooks]
    for index, name in enumerate(names):
        if names.index(name) != index:
            problems.append(Problem(("spec", "webhooks", index, "name"), f"duplicate webhook name {name!r}"))
    if body.canary.version == body.stable.version and not body.canary.faults:
        problems.append(
            Problem(("spec", "canary", "version"), "canary and stable are the same build", "warning")
        )
    return problems
