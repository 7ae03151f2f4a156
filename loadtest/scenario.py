"""The scenario: what load to send, in what shape, for how long, and what counts as a pass.

Scenarios are YAML files (see ``loadtest/scenarios/``) validated into these typed
objects by ``loadtest.loader``. All models refuse unknown fields, so a misspelt key is
an error pointing at its line rather than a silently ignored setting.

Shapes are given as fractions of the *peak level* so one shape fits both load models:
the peak is ``load.users`` for the closed model (Locust's usual users that loop) and
``load.rate`` iterations per second for the open (arrival-rate) model.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "JOURNEYS", "STEPS", "step_keys",
    "Mix", "ClosedLoad", "OpenLoad", "Load",
    "SteadyShape", "StepShape", "SpikeShape", "SoakShape", "Shape",
    "LatencyLimit", "Thresholds", "BranchSelection", "DataSpec", "Scenario",
]

#: The journeys of the credit path, and the steps (requests) each is made of, in order.
#: A step key ``journey.step`` names one request of one journey in thresholds and
#: reports; Locust's own statistics are keyed by route template instead.
STEPS: dict[str, tuple[str, ...]] = {
    "new_customer": ("register", "apply", "quote", "draw", "loan", "repay"),
    "returning_customer": ("credit", "draw"),
    "batch_grant": ("register", "apply"),
}
JOURNEYS: tuple[str, ...] = tuple(STEPS)
#: The pooled key: every request of every journey.
ALL = "all"


def step_keys() -> list[str]:
    """Every valid latency-threshold key: ``all`` and each ``journey.step``."""
    return [ALL] + [f"{j}.{s}" for j, steps in STEPS.items() for s in steps]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


PositiveFloat = Annotated[float, Field(gt=0)]
Fraction = Annotated[float, Field(ge=0, le=1)]


class Mix(_Model):
    """Relative weights of the journeys; each iteration picks one journey by weight."""

    new_customer: Annotated[float, Field(ge=0)] = 0
    returning_customer: Annotated[float, Field(ge=0)] = 0
    batch_grant: Annotated[float, Field(ge=0)] = 0

    @model_validator(mode="after")
    def _some_weight(self) -> Mix:
        if self.new_customer + self.returning_customer + self.batch_grant <= 0:
            raise ValueError("at least one journey needs a weight above 0")
        return self

    def weights(self) -> dict[str, float]:
        return {j: float(getattr(self, j)) for j in JOURNEYS}


class ClosedLoad(_Model):
    """Locust's usual model: ``users`` loop over journeys with a think time between.

    users: users at the peak of the shape.
    spawn_rate: users started per second while the shape ramps up (default: all at once).
    think_time_s: ``[min, max]`` seconds a user pauses between two journeys.
    """

    model: Literal["closed"]
    users: Annotated[int, Field(ge=1, le=100_000)]
    spawn_rate: PositiveFloat | None = None
    think_time_s: tuple[Annotated[float, Field(ge=0)], Annotated[float, Field(ge=0)]] = (0.5, 2.0)

    @field_validator("think_time_s")
    @classmethod
    def _ordered(cls, value: tuple[float, float]) -> tuple[float, float]:
        if value[0] > value[1]:
            raise ValueError(f"think_time_s must be [min, max] with min <= max; got {list(value)}")
        return value

    def peak(self) -> float:
        return float(self.users)


class OpenLoad(_Model):
    """Open model (like k6's arrival-rate executors): journeys *start* on a schedule.

    rate: journeys started per second at the peak of the shape, whatever the response
        times; a start with no free user is dropped and counted, never delayed.
    max_users: the pool of users that run started journeys concurrently. Size it as
        rate × expected journey seconds × 2 or so; too small shows up as drops.
    """

    model: Literal["open"]
    rate: Annotated[float, Field(gt=0, le=100_000)]
    max_users: Annotated[int, Field(ge=1, le=100_000)]

    def peak(self) -> float:
        return float(self.rate)


Load = Annotated[ClosedLoad | OpenLoad, Field(discriminator="model")]


class SteadyShape(_Model):
    """The peak level after a linear ramp of ``ramp_s`` seconds."""

    type: Literal["steady"]
    ramp_s: Annotated[float, Field(ge=0)] = 0


class StepShape(_Model):
    """``steps`` equal stairs of ``step_s`` seconds up to the peak, then the peak."""

    type: Literal["step"]
    steps: Annotated[int, Field(ge=2, le=1000)]
    step_s: PositiveFloat


class SpikeShape(_Model):
    """``base`` × peak, except the peak from ``at_s`` for ``spike_s`` seconds."""

    type: Literal["spike"]
    base: Annotated[float, Field(gt=0, le=1)]
    at_s: Annotated[float, Field(ge=0)]
    spike_s: PositiveFloat


class SoakShape(_Model):
    """Ramp up over ``ramp_s``, hold the peak for a long time, ramp down over ``ramp_down_s``."""

    type: Literal["soak"]
    ramp_s: Annotated[float, Field(ge=0)] = 0
    ramp_down_s: Annotated[float, Field(ge=0)] = 0


Shape = Annotated[SteadyShape | StepShape | SpikeShape | SoakShape, Field(discriminator="type")]


class LatencyLimit(_Model):
    """Upper limits in milliseconds, judged on exact per-request timings (see README)."""

    p50_ms: PositiveFloat | None = None
    p95_ms: PositiveFloat | None = None
    p99_ms: PositiveFloat | None = None
    max_ms: PositiveFloat | None = None

    @model_validator(mode="after")
    def _some_limit(self) -> LatencyLimit:
        if self.limits() == {}:
            raise ValueError("give at least one of p50_ms, p95_ms, p99_ms, max_ms")
        return self

    def limits(self) -> dict[str, float]:
        """``{"p95": 300.0, ...}`` for the limits that are set."""
        pairs = (("p50", self.p50_ms), ("p95", self.p95_ms), ("p99", self.p99_ms), ("max", self.max_ms))
        return {name: value for name, value in pairs if value is not None}


class Thresholds(_Model):
    """What the run must achieve; every limit set here is checked and reported.

    max_failure_ratio: failed requests / all requests, over the whole run.
    min_request_rate: requests per second achieved over the whole run.
    min_iteration_rate: journeys started per second over the whole run.
    max_dropped_ratio: open model only: dropped / scheduled journey starts.
    latency_ms: per step key (``journey.step``, or ``all`` for every request pooled).
    """

    max_failure_ratio: Fraction | None = None
    min_request_rate: Annotated[float, Field(ge=0)] | None = None
    min_iteration_rate: Annotated[float, Field(ge=0)] | None = None
    max_dropped_ratio: Fraction | None = None
    latency_ms: dict[str, LatencyLimit] = Field(default_factory=dict)

    @field_validator("latency_ms", mode="before")
    @classmethod
    def _known_steps(cls, value: object) -> object:
        known = step_keys()
        for key in value if isinstance(value, dict) else ():
            if key not in known:
                raise ValueError(f"unknown step {key!r}; use one of: {', '.join(known)}")
        return value


class BranchSelection(_Model):
    """Which county branches the journeys act for, and how often each.

    codes: only these branch codes (default: every branch the service lists).
    pilot_only: only the branches the service marks as pilot.
    weights: explicit relative sizes by branch code (e.g. households served); branches
        not listed get the default weighting.
    zipf_exponent: the default weighting (real branch sizes are not published): the
        branch of size rank r gets weight 1 / r^s, ranks fixed by a hash of the branch
        code so a branch keeps its size across runs and machines.
    """

    codes: list[Annotated[str, Field(pattern=r"^\d{6}$")]] | None = None
    pilot_only: bool = False
    weights: dict[Annotated[str, Field(pattern=r"^\d{6}$")], PositiveFloat] = Field(default_factory=dict)
    zipf_exponent: Annotated[float, Field(ge=0, le=5)] = 0.8


class DataSpec(_Model):
    """Knobs of the generated data.

    batch_size: ``[min, max]`` customers a manager registers and grants in one batch.
    draw_share: ``[min, max]`` share of the available credit a drawdown asks for.
    repay_share: ``[min, max]`` share of the outstanding principal a repayment pays.
    disbursement_wait_s: how long a new customer waits for the payout before repaying;
        a loan still pending after that skips the repayment (counted, not a failure).
    returning_pool: how many granted customers each load process remembers for the
        returning-customer journey.
    """

    batch_size: tuple[Annotated[int, Field(ge=1, le=100)], Annotated[int, Field(ge=1, le=100)]] = (3, 6)
    draw_share: tuple[Fraction, Fraction] = (0.1, 0.6)
    repay_share: tuple[Fraction, Fraction] = (0.2, 1.0)
    disbursement_wait_s: Annotated[float, Field(ge=0, le=600)] = 3.0
    returning_pool: Annotated[int, Field(ge=1, le=1_000_000)] = 500

    @field_validator("batch_size", "draw_share", "repay_share")
    @classmethod
    def _ordered(cls, value: tuple[float, float]) -> tuple[float, float]:
        if value[0] > value[1]:
            raise ValueError(f"must be [min, max] with min <= max; got {list(value)}")
        return value


class Scenario(_Model):
    """One load scenario of the credit path.

    name: shown in reports.
    duration_s: the run's length; the shape is cut there (``--duration`` overrides).
    seed: makes the generated data and journey choices repeatable (default: random).
    """

    name: Annotated[str, Field(min_length=1, max_length=100)]
    description: str = ""
    seed: int | None = None
    duration_s: Annotated[float, Field(gt=0, le=7 * 24 * 3600)]
    mix: Mix
    load: Load
    shape: Shape
    thresholds: Thresholds = Field(default_factory=Thresholds)
    branches: BranchSelection = Field(default_factory=BranchSelection)
    data: DataSpec = Field(default_factory=DataSpec)

    def consistency_problems(self) -> list[tuple[tuple[str, ...], str]]:
        """Mistakes that span fields, as ``(field path, message)``.

        Checked by the loader rather than in a pydantic validator so that each message
        can point at the field (and line) at fault, not at the whole file.
        """
        problems: list[tuple[tuple[str, ...], str]] = []
        shape = self.shape
        if isinstance(shape, SpikeShape) and shape.at_s + shape.spike_s > self.duration_s:
            problems.append((("shape", "spike_s"),
                             f"the spike ends at {shape.at_s + shape.spike_s:g} s, after duration_s "
                             f"{self.duration_s:g} s"))
        if isinstance(shape, StepShape) and shape.steps * shape.step_s > self.duration_s:
            problems.append((("shape", "step_s"),
                             f"{shape.steps} steps of {shape.step_s:g} s last "
                             f"{shape.steps * shape.step_s:g} s, longer than duration_s {self.duration_s:g} s"))
        if isinstance(shape, (SteadyShape, SoakShape)) and shape.ramp_s > self.duration_s:
            problems.append((("shape", "ramp_s"),
                             f"ramp_s {shape.ramp_s:g} s exceeds duration_s {self.duration_s:g} s"))
        if isinstance(shape, SoakShape) and shape.ramp_s + shape.ramp_down_s > self.duration_s:
            problems.append((("shape", "ramp_down_s"),
                             f"ramp_s + ramp_down_s = {shape.ramp_s + shape.ramp_down_s:g} s exceeds duration_s "
                             f"{self.duration_s:g} s"))
        if self.thresholds.max_dropped_ratio is not None and not isinstance(self.load, OpenLoad):
            problems.append((("thresholds", "max_dropped_ratio"),
                             "only the open model (load.model: open) can drop journey starts"))
        if self.mix.weights()["returning_customer"] > 0 and (
                self.mix.new_customer + self.mix.batch_grant) <= 0:
            problems.append((("mix", "returning_customer"),
                             "returning customers come from earlier grants: give new_customer or "
                             "batch_grant a weight too"))
        return problems

    def with_duration(self, duration_s: float | None) -> Scenario:
        """The same scenario cut (or stretched) to ``duration_s``; the shape is kept."""
        if duration_s is None:
            return self
        return self.model_copy(update={"duration_s": float(duration_s)})
