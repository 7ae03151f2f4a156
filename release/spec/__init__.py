"""The rollout spec: YAML → typed, validated objects; lint with positions; JSON schema."""

from __future__ import annotations

from release.spec.checks import Problem, check
from release.spec.duration import Duration, format_duration, parse_duration
from release.spec.errors import Issue, SpecError, SpecInvalid
from release.spec.loader import lint_file, lint_text, load_file, load_text
from release.spec.model import (
    API_VERSION,
    PILOT_BRANCHES,
    AnalysisStep,
    Build,
    Cohort,
    LoadSpec,
    LocalTargetSpec,
    PauseStep,
    PromoteStep,
    Rollout,
    RolloutBody,
    Step,
    TargetSpec,
    TrafficSpec,
    WebhookSpec,
)
from release.spec.schema import rollout_json_schema

__all__ = [
    "API_VERSION",
    "PILOT_BRANCHES",
    "AnalysisStep",
    "Build",
    "Cohort",
    "Duration",
    "Issue",
    "LoadSpec",
    "LocalTargetSpec",
    "PauseStep",
    "Problem",
    "PromoteStep",
    "Rollout",
    "RolloutBody",
    "SpecError",
    "SpecInvalid",
    "Step",
    "TargetSpec",
    "TrafficSpec",
    "WebhookSpec",
    "check",
    "format_duration",
    "lint_file",
    "lint_text",
    "load_file",
    "load_text",
    "parse_duration",
    "rollout_json_schema",
]
