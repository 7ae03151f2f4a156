"""The rollout's status for the console, read from a file the release controller
writes (the console sits below ``release`` and never imports it).

Accepts either the controller's ``<workdir>/rollouts/<name>/rollout.json`` (state nested
under ``"state"``) or a saved ``lendops release status --json`` (flat).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["read_status", "normalize_status"]

_VERDICT_KEYS = ("metric", "judge", "decision", "critical", "explanation", "statistic", "threshold", "query",
                 "stable", "canary")
HISTORY = 12


def _verdicts(result: dict[str, Any] | None) -> list[dict[str, Any]]:
    out = []
    for v in (result or {}).get("verdicts") or []:
        if isinstance(v, dict):
            out.append({k: v.get(k) for k in _VERDICT_KEYS})
    # Failures first (critical ones on top), then what is still waiting, then passes.
    order = {"fail": 0, "inconclusive": 1, "pass": 2}
    return sorted(out, key=lambda v: (order.get(str(v["decision"]), 3), not v["critical"]))


def normalize_status(doc: dict[str, Any], *, now: float | None = None) -> dict[str, Any]:
    state = doc["state"] if isinstance(doc.get("state"), dict) else doc
    result = state.get("last_result") if isinstance(state.get("last_result"), dict) else None
    updated = state.get("updated_at")
    history = [h for h in (state.get("history") or []) if isinstance(h, dict)][-HISTORY:]
    return {
        "available": True,
        "name": state.get("name"),
        "phase": state.get("phase"),
        "reason": state.get("reason") or "",
        "step": state.get("step"),
        "steps": doc.get("steps"),
        "step_description": doc.get("step_description"),
        "weight": state.get("weight"),
        "cohort": list(state.get("cohort") or []),
        "stable": state.get("stable_version", state.get("stable")),
        "canary": state.get("canary_version", state.get("canary")),
        "evaluations": state.get("evaluations"),
        "updated_at": updated,
        "age_s": (now - updated) if now is not None and isinstance(updated, (int, float)) else None,
        "decision": (result or {}).get("decision"),
        "result_reason": (result or {}).get("reason") or "",
        "verdicts": _verdicts(result),
        "notes": list((result or {}).get("notes") or []),
        "history": list(reversed(history)),
    }


def read_status(path: Path | None, *, clock: Callable[[], float] = time.time) -> dict[str, Any]:
    """The normalized status, or ``{"available": False, "message": ...}`` saying why not."""
    if path is None:
        return {"available": False, "message": "no rollout status file given (--rollout-status)"}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"available": False, "message": f"no rollout status at {path} yet"}
    except (OSError, ValueError) as exc:
        return {"available": False, "message": f"cannot read {path}: {exc}"}
    if not isinstance(doc, dict):
        return {"available": False, "message": f"{path} is not a rollout status document"}
    return normalize_status(doc, now=clock())
