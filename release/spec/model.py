"""The rollout spec as typed, validated objects (YAML → pydantic, validated once).

The ``analysis:`` section belongs to :mod:`release.analysis` (``AnalysisSpec``); it is
validated through that package so the two never drift apart.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from release.spec.duration import Duration

__all__ = [
    "API_VERSION",
    "PILOT_BRANCHES",
    "WEBHOOK_EVENTS",
    "AnalysisStep",
    "Build",
    "Cohort",
    "KubernetesTargetSpec",
    "LoadSpec",
    "LocalTargetSpec",
    "Metadata",
    "PauseStep",
    "PromoteStep",
    "Rollout",
    "RolloutBody",
    "Step",
    "TargetSpec",
    "TrafficSpec",
    "WebhookSpec",
]

API_VERSION = "lendops.dev/v1alpha1"

#: The seven county branches that piloted the real release before all 84 got it.
PILOT_BRANCHES: frozenset[str] = frozenset(
    {"522629", "522731", "522634", "522324", "520526", "520381", "520221"}
)

WebhookEvent = Literal["pre-rollout", "step", "post-rollout", "rollback"]
WEBHOOK_EVENTS: tuple[WebhookEvent, ...] = ("pre-rollout", "step", "post-rollout", "rollback")
_BRANCH = re.compile(r"^\d{6}$")
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class Metadata(_Model):
    name: str = Field(description="rollout name: lowercase letters, digits and '-'")

    @field_validator("name")
    @classmethod
    def _dns_label(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("must be a DNS label: lowercase letters, digits and '-' (max 63)")
        return value


class Build(_Model):
    version: str = Field(min_length=1, description="build version served as this track")
    faults: str = Field(
        default="",
        description="fault injection for release drills only, e.g. 'error_rate=0.05'",
    )


class LocalTargetSpec(_Model):
    db: str = Field(default="sqlite:///lendops.sqlite", description="database URL shared by both tracks")
    workdir: str = Field(default=".lendops", description="state, logs and pid files")
    host: str = Field(default="127.0.0.1", description="interface the processes listen on")


class KubernetesTargetSpec(_Model):
    namespace: str = "default"
    deployment: str = Field(default="lending", description="stable Deployment; canary is '<name>-canary'")
    container: str = "lending"
    image: str = Field(default="", description="image repository; the tag is the build version")
    context: str = Field(default="", description="kubeconfig context (empty: current)")


class TargetSpec(_Model):
    local: LocalTargetSpec | None = None
    kubernetes: KubernetesTargetSpec | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> TargetSpec:
        if (self.local is None) == (self.kubernetes is None):
            raise ValueError("name exactly one target: local or kubernetes")
        return self


TrafficProviderName = Literal[
    "local-router", "haproxy", "gateway-api", "istio", "ingress-nginx", "replica-ratio"
]


class TrafficSpec(_Model):
    provider: TrafficProviderName = "local-router"
    impl: Literal["python", "haproxy"] = Field(
        default="python", description="local router implementation"
    )
    port: int = Field(default=0, ge=0, le=65535, description="router listen port (0: pick a free one)")
    adminPort: int = Field(default=0, ge=0, le=65535, description="router admin port (0: pick a free one)")


class Cohort(_Model):
    """Branch codes whose requests always go to the canary (``X-Branch-Code``).

    Written as ``pilot`` (the seven pilot branches), ``all``, or ``{branches: [...]}``.
    """

    branches: frozenset[str] = frozenset()
    all: bool = False

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if value == "pilot":
            return {"branches": sorted(PILOT_BRANCHES)}
        if value == "all":
            return {"all": True}
        if isinstance(value, str):
            raise PydanticCustomError(
                "cohort", "unknown cohort '{name}': use pilot, all or a branches list", {"name": value}
            )
        return value

    @field_validator("branches")
    @classmethod
    def _codes(cls, value: frozenset[str]) -> frozenset[str]:
        bad = sorted(code for code in value if not _BRANCH.match(code))
        if bad:
            raise ValueError(f"branch codes are six digits, got {', '.join(bad)}")
        return value


class AnalysisStep(_Model):
    duration: Duration = Field(description="how long the step watches the canary")
    until: Literal["duration", "decided"] = Field(
        default="duration",
        description="'decided': end early once the judge says the canary is equivalent",
    )
    onInconclusive: Literal["continue", "pause"] = Field(
        default="continue",
        description=(
            "what to do when the duration passes without a regression but without "
            "enough data for a 'pass': continue to the next step, or pause for an operator"
        ),
    )

    @field_validator("duration")
    @classmethod
    def _positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("an analysis step needs a positive duration")
        return value


class PauseStep(_Model):
    duration: Duration | None = Field(default=None, description="empty: until promoted")


class PromoteStep(_Model):
    pass


class Step(_Model):
    setWeight: int | None = Field(default=None, ge=0, le=100)
    cohort: Cohort | None = None
    analysis: AnalysisStep | None = None
    pause: PauseStep | None = None
    promote: PromoteStep | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Step:
        kinds = [k for k in ("analysis", "pause", "promote") if getattr(self, k) is not None]
        traffic = self.setWeight is not None or self.cohort is not None
        if len(kinds) + (1 if traffic else 0) != 1:
            raise ValueError(
                "a step is one of: setWeight and/or cohort, analysis, pause, promote"
            )
        return self

    @property
    def kind(self) -> str:
        for name in ("analysis", "pause", "promote"):
            if getattr(self, name) is not None:
                return name
        return "traffic"


class WebhookSpec(_Model):
    name: str = Field(min_length=1)
    on: tuple[WebhookEvent, ...] = Field(
        default=WEBHOOK_EVENTS, min_length=1
    )
    url: str
    kind: Literal["generic", "dingtalk", "wecom"] = "generic"
    timeoutSeconds: float = Field(default=5.0, gt=0, le=60)
    headers: dict[str, str] = Field(default_factory=dict)

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("webhook url must start with http:// or https://")
        return value


class LoadSpec(_Model):
    scenario: str = Field(min_length=1, description="Locust scenario file run against the router")
    tokensFile: str = ""


def _analysis_spec(value: Any) -> Any:
    try:  # lazy: importing the spec must not pull in the judges and providers
        from release.analysis import AnalysisSpec
    except ImportError:
        # Without the analysis package the section is kept as written; the controller
        # refuses to run such a spec, lint still checks everything else.
        return dict(value or {})
    if isinstance(value, AnalysisSpec):
        return value
    try:
        return AnalysisSpec.model_validate(value if value is not None else {})
    except ValidationError as exc:
        first = exc.errors()[0]
        raise PydanticCustomError(
            "analysis",
            "{detail}",
            {"detail": first["msg"], "path": tuple(first["loc"])},
        ) from None


class RolloutBody(_Model):
    stable: Build
    canary: Build
    target: TargetSpec = Field(default_factory=lambda: TargetSpec(local=LocalTargetSpec()))
    traffic: TrafficSpec = Field(default_factory=TrafficSpec)
    analysis: Any = Field(default=None, description="release.analysis.AnalysisSpec")
    steps: tuple[Step, ...] = Field(min_length=1)
    webhooks: tuple[WebhookSpec, ...] = ()
    load: LoadSpec | None = None

    @field_validator("analysis", mode="before")
    @classmethod
    def _analysis(cls, value: Any) -> Any:
        return _analysis_spec(value)


class Rollout(_Model):
    apiVersion: Literal["lendops.dev/v1alpha1"]
    kind: Literal["Rollout"]
    metadata: Metadata
    spec: RolloutBody

    @property
    def name(self) -> str:
        return self.metadata.name
