"""JSON schema of rollout files, for editors and CI (``lendops release schema``)."""

from __future__ import annotations

from typing import Any

from release.spec.model import Rollout

__all__ = ["rollout_json_schema"]


def rollout_json_schema() -> dict[str, Any]:
    schema = Rollout.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "lendops Rollout"
    # Cohorts may be written as the shorthands 'pilot' and 'all'.
    step = schema["$defs"]["Step"]["properties"]
    step["cohort"] = {
        "anyOf": [{"enum": ["pilot", "all"]}, {"$ref": "#/$defs/Cohort"}, {"type": "null"}],
        "default": None,
    }
    try:
        from release.analysis import AnalysisSpec
    except ImportError:
        return schema
    analysis = AnalysisSpec.model_json_schema(by_alias=True, ref_template="#/$defs/{model}")
    defs = schema.setdefault("$defs", {})
    defs.update(analysis.pop("$defs", {}))
    defs["AnalysisSpec"] = analysis
    body = defs["RolloutBody"]["properties"]
    body["analysis"] = {"$ref": "#/$defs/AnalysisSpec"}
    return schema
