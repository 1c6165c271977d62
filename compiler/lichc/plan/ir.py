"""Stage 3: the plan, lichc's backend-neutral intermediate representation.

The plan is what every backend renders from: defaults merged key by key,
engines chosen, steps normalised (a single-step job is one run step), and
every value already parsed. Templates see only these frozen objects, never
raw YAML. Each object keeps the key path it came from, for error messages.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from lichc.diagnostics import KeyPath
from lichc.fileformat.conditions import Condition
from lichc.fileformat.templated import EnvString, IdTemplate
from lichc.fileformat.values import (
    InputRef,
    ItemRef,
    Literal_,
    Message,
    PyRef,
    Rate,
    ResultValue,
    StepRef,
    TypeExpr,
)

if TYPE_CHECKING:
    from lichc.evolution.history import JobVersions

# an engine's name, one of lichc.engines.registry.NAMES (the plan stage checks it)
Engine = str
ArgValue = InputRef | StepRef | ItemRef | Literal_

BUILT_IN = ("<built-in>",)
DEFAULT_QUEUE = "default"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int | None  # None: unlimited
    backoff: Literal["exponential", "fixed"]
    delay: timedelta
    factor: float
    max_delay: timedelta
    jitter: bool
    retry_on: tuple[PyRef, ...]
    non_retryable: tuple[PyRef, ...]
    # key -> path of the mapping that set it (for errors and `lichc explain`)
    origins: tuple[tuple[str, KeyPath], ...] = field(default=(), compare=False)

    @property
    def coefficient(self) -> float:
        """Multiplier between consecutive delays (1.0 for fixed backoff)."""
        return 1.0 if self.backoff == "fixed" else self.factor

    def delay_before_retry(self, n: int) -> float:
        """Seconds before retry n (from 1): min(max_delay, delay * factor**(n-1))."""
        try:
            raw = self.delay.total_seconds() * self.coefficient ** (n - 1)
        except OverflowError:  # thousands of attempts: the cap long since reached
            return self.max_delay.total_seconds()
        return min(self.max_delay.total_seconds(), raw)

    def origin(self, key: str) -> KeyPath:
        return dict(self.origins).get(key, BUILT_IN)


@dataclass(frozen=True, slots=True)
class InputField:
    name: str
    type: TypeExpr
    default: Any
    has_default: bool
    description: str | None
    path: KeyPath

    @property
    def required(self) -> bool:
        return not self.has_default and not self.type.optional


@dataclass(frozen=True, slots=True)
class Arg:
    name: str
    value: ArgValue


@dataclass(frozen=True, slots=True)
class Compensation:
    handler: PyRef
    args: tuple[Arg, ...] | None  # None: the same arguments as its step
    path: KeyPath


# for_each's elements at once when `max_parallel` does not say
DEFAULT_MAX_PARALLEL = 10


@dataclass(frozen=True, slots=True)
class ForEach:
    """A run step's `for_each`: its handler runs once per element of `items`."""

    items: InputRef | StepRef
    max_parallel: int
    path: KeyPath  # the `for_each` key


@dataclass(frozen=True, slots=True)
class RunStep:
    kind: ClassVar[str] = "run"
    name: str
    handler: PyRef
    args: tuple[Arg, ...] | None  # None: the job's input fields as keyword arguments
    queue: str
    retry: RetryPolicy
    timeout: timedelta
    soft_timeout: timedelta | None
    total_timeout: timedelta | None
    queue_timeout: timedelta | None
    heartbeat: timedelta | None
    compensate: Compensation | None
    description: str | None
    path: KeyPath
    origins: tuple[tuple[str, KeyPath], ...] = field(default=(), compare=False)
    condition: Condition | None = None  # `if`: the step runs only when it holds
    for_each: ForEach | None = None

    def origin(self, key: str) -> KeyPath:
        return dict(self.origins).get(key, BUILT_IN)

    def key_path(self, key: str) -> KeyPath:
        """Where the step's `key` is written, for errors: the step itself when
        the value is built in."""
        origin = self.origin(key)
        if origin == BUILT_IN:
            return self.path
        return origin if origin[-1] == key else (*origin, key)  # defaults.timeout


@dataclass(frozen=True, slots=True)
class SleepStep:
    kind: ClassVar[str] = "sleep"
    name: str
    duration: timedelta
    description: str | None
    path: KeyPath
    condition: Condition | None = None


@dataclass(frozen=True, slots=True)
class WaitStep:
    kind: ClassVar[str] = "wait_for"
    name: str
    signal: str
    timeout: timedelta | None
    on_timeout: Literal["fail", "continue", "compensate"]
    description: str | None
    path: KeyPath
    condition: Condition | None = None
    # `payload`: the typed fields of the signal's JSON object (None: any object)
    payload: tuple[InputField, ...] | None = None

    def payload_field(self, name: str) -> InputField | None:
        return next((f for f in self.payload or () if f.name == name), None)


@dataclass(frozen=True, slots=True)
class ParallelStep:
    kind: ClassVar[str] = "parallel"
    name: str
    branches: tuple[RunStep, ...]
    description: str | None
    path: KeyPath
    condition: Condition | None = None


@dataclass(frozen=True, slots=True)
class EndStep:
    """Ends the job: completes it with `result`, or fails it with `fail`."""

    kind: ClassVar[str] = "end"
    name: str
    result: ResultValue | None  # None: it fails
    fail: Message | None
    description: str | None
    path: KeyPath
    condition: Condition | None = None


@dataclass(frozen=True, slots=True)
class JobStep:
    """Runs another job of the file; its result is the step's result."""

    kind: ClassVar[str] = "job"
    name: str
    job: str  # the job it runs
    args: tuple[Arg, ...] | None  # None: its input fields from the same-named ones
    description: str | None
    path: KeyPath
    condition: Condition | None = None


Step = RunStep | SleepStep | WaitStep | ParallelStep | EndStep | JobStep


def run_steps(steps: tuple[Step, ...]) -> Iterator[RunStep]:
    """Every run step, parallel branches included, in order."""
    for step in steps:
        if isinstance(step, RunStep):
            yield step
        elif isinstance(step, ParallelStep):
            yield from step.branches


@dataclass(frozen=True, slots=True)
class JobResult:
    """A job's `result:`. `type` None: any value (annotated Any); `value` None:
    the single-step job's handler result (a multi-step job always has one)."""

    type: TypeExpr | None
    value: ResultValue | None
    path: KeyPath  # the `result` key

    @property
    def annotation(self) -> str:
        """The job's result type in generated code."""
        return "Any" if self.type is None else self.type.python()

    @property
    def type_names(self) -> frozenset[str]:
        """The named types of its type (imported from inputs.py)."""
        return frozenset() if self.type is None else self.type.type_names()


@dataclass(frozen=True, slots=True)
class Schedule:
    cron: str
    timezone: str
    input: dict[str, Any]
    path: KeyPath


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    snake: str
    engine: Engine
    engine_reason: str
    engine_auto: bool
    description: str | None
    queue: str
    inputs: tuple[InputField, ...]
    id: IdTemplate | None
    deadline: timedelta | None  # the job-level timeout of a multi-step job
    steps: tuple[Step, ...]
    single: bool  # `run:` job, rendered as one task / one activity
    dead_letter: str | None  # dead-letter queue name
    dead_letter_retention: timedelta | None  # how long its records are kept
    rate_limit: Rate | None
    schedules: tuple[Schedule, ...]
    # settings written on the job itself (for capability errors on single-step jobs)
    settings: frozenset[str]
    path: KeyPath
    result: JobResult | None = None  # `result:`; None: today's results (docs)

    def run_steps(self) -> Iterator[RunStep]:
        """Every run step, parallel branches included, in order."""
        return run_steps(self.steps)

    def id_for(self, values: dict[str, Any]) -> str | None:
        """The job's `id` for known input values (a schedule's), defaults filled."""
        if self.id is None:
            return None
        values = {**{f.name: f.default for f in self.inputs if f.has_default}, **values}
        return "".join(
            str(values.get(value)) if kind == "field" else value
            for kind, value in self.id.parts
        )

    def sleep_runs(self) -> Iterator[tuple[SleepStep, ...]]:
        """Each run of consecutive sleeps: on Celery one countdown of their sum."""
        run: list[SleepStep] = []
        for step in (*self.steps, None):
            if isinstance(step, SleepStep):
                run.append(step)
            elif run:
                yield tuple(run)
                run = []

    def named_steps(self) -> Iterator[Step]:
        """Every step and branch, for name lookups."""
        for step in self.steps:
            yield step
            if isinstance(step, ParallelStep):
                yield from step.branches

    @property
    def signals(self) -> tuple[WaitStep, ...]:
        return tuple(s for s in self.steps if isinstance(s, WaitStep))

    @property
    def compensations(self) -> tuple[RunStep, ...]:
        return tuple(s for s in self.run_steps() if s.compensate is not None)

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.inputs)

    # names the generated code gives the job (no input field may take them)
    @property
    def input_model(self) -> str:
        """The job's input model in `<project>.inputs`."""
        return suffixed(self.name, "Input")

    @property
    def workflow_class(self) -> str:
        """A Temporal job's workflow class."""
        return suffixed(self.name, "Workflow")

    @property
    def start_function(self) -> str:
        """The client function that starts the job."""
        return f"start_{self.snake}"


def suffixed(name: str, suffix: str) -> str:
    """`name` + `suffix`, unless it ends so already: FooWorkflow, not FooWorkflowWorkflow."""
    return name if name.endswith(suffix) else name + suffix


@dataclass(frozen=True, slots=True)
class CeleryConfig:
    broker: EnvString
    result_backend: EnvString


@dataclass(frozen=True, slots=True)
class TemporalConfig:
    address: EnvString
    namespace: EnvString
    tls: bool | EnvString
    api_key: EnvString | None


@dataclass(frozen=True, slots=True)
class Plan:
    project: str
    output: str
    source: str  # the spec's file name, for headers
    celery: CeleryConfig
    temporal: TemporalConfig
    jobs: tuple[Job, ...]
    # lichc.evolution's live versions of each versioned job, by job name: set
    # by the build once the record is read (empty: one version each)
    versions: Mapping[str, JobVersions] = field(default_factory=dict, compare=False)

    def jobs_on(self, engine: Engine) -> tuple[Job, ...]:
        return tuple(j for j in self.jobs if j.engine == engine)

    def queues_on(self, engine: Engine) -> tuple[str, ...]:
        """Every queue an engine's workers must listen on, sorted: the steps'
        and the jobs' own (a Temporal workflow's, a Celery chain's launcher
        and chord bodies), even when every step overrides it."""
        jobs = self.jobs_on(engine)
        found = {s.queue for j in jobs for s in j.run_steps()} | {j.queue for j in jobs}
        return tuple(sorted(found))


@dataclass(frozen=True, slots=True)
class HandlerCall:
    """A handler as one step (or its compensation) calls it: what the start-up
    check of the worker and `lichc validate` hold the handler's signature to."""

    handler: PyRef
    keywords: tuple[str, ...]  # the keyword arguments it is called with
    heartbeat: bool  # the step has `heartbeat:`: a `heartbeat` parameter gets one
    path: KeyPath  # the `run:` key that names it


def handler_calls(job: Job) -> Iterator[HandlerCall]:
    """Every handler call of the job, compensations included, in order."""
    inputs = tuple(f.name for f in job.inputs)
    for step in job.run_steps():
        own = inputs if step.args is None else tuple(a.name for a in step.args)
        beats = step.heartbeat is not None
        yield HandlerCall(step.handler, own, beats, (*step.path, "run"))
        undo = step.compensate
        if undo is not None:
            keywords = own if undo.args is None else tuple(a.name for a in undo.args)
            yield HandlerCall(undo.handler, keywords, beats, undo.path)
