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
class ObjectType:
    """A named object type of `types:`: a pydantic model in inputs.py."""

    name: str
    fields: tuple[InputField, ...]
    path: KeyPath


@dataclass(frozen=True, slots=True)
class EnumType:
    """A named enum of `types:`: a StrEnum in inputs.py, members named as their values."""

    name: str
    values: tuple[str, ...]
    description: str | None
    path: KeyPath


NamedType = ObjectType | EnumType


@dataclass(frozen=True)
class Types:
    """The `types:` section by name; what TypeExpr.accepts asks of named types."""

    by_name: Mapping[str, NamedType] = field(default_factory=dict)

    def accepts_named(self, name: str, value: Any) -> bool:
        named = self.by_name.get(name)
        if named is None:
            return True  # an unknown name is reported on its own
        if isinstance(named, EnumType):
            return value in named.values
        if not isinstance(value, dict):
            return False
        known = {f.name: f for f in named.fields}
        return set(value) <= set(known) and all(
            (f.name in value and f.type.accepts(value[f.name], self))
            or (f.name not in value and not f.required)
            for f in named.fields
        )

    def used_by(self, type_: TypeExpr) -> list[NamedType]:
        """The named types `type_` needs, each once, every one after those it needs."""
        order: list[NamedType] = []
        self._visit(type_.type_names(), order, set())
        return order

    def _visit(
        self, names: frozenset[str], order: list[NamedType], seen: set[str]
    ) -> None:
        for name in sorted(names):
            named = self.by_name.get(name)
            if named is None or name in seen:
                continue
            seen.add(name)
            if isinstance(named, ObjectType):
                for f in named.fields:
                    self._visit(f.type.type_names(), order, seen)
            order.append(named)


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
    # `payload: Name`: the object type of `types:` that gave it its fields
    payload_type: str | None = None

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

    def annotation(self, qualifier: str) -> str:
        """The job's result type in generated code (named types prefixed
        with `qualifier`, what the module calls inputs.py)."""
        return "Any" if self.type is None else self.type.python(qualifier)

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
    # `types:`, in the file's order
    types: tuple[NamedType, ...] = ()
    # lichc.evolution's live versions of each versioned job, by job name: set
    # by the build once the record is read (empty: one version each)
    versions: Mapping[str, JobVersions] = field(default_factory=dict, compare=False)

    @property
    def type_table(self) -> Types:
        return Types({t.name: t for t in self.types})

    def types_in_order(self) -> list[NamedType]:
        """Every named type, each after the ones its fields use (no cycles: refused)."""
        table, order, seen = self.type_table, list[NamedType](), set[str]()
        for named in self.types:
            table._visit(frozenset([named.name]), order, seen)
        return order

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
    single: bool = False  # a single-step job's: its `args` are the job's own
    # (keyword, value, where) of each literal in its `args`, for the type check
    literals: tuple[tuple[str, Any, KeyPath], ...] = ()


def _literals(args: tuple[Arg, ...] | None, at: KeyPath) -> tuple[Any, ...]:
    return tuple(
        (a.name, a.value.value, (*at, "args", a.name))
        for a in args or ()
        if isinstance(a.value, Literal_)
    )


def handler_calls(job: Job) -> Iterator[HandlerCall]:
    """Every handler call of the job, compensations included, in order."""
    inputs = tuple(f.name for f in job.inputs)
    for step in job.run_steps():
        own = inputs if step.args is None else tuple(a.name for a in step.args)
        beats = step.heartbeat is not None
        literals = _literals(step.args, step.path)
        run = (*step.path, "run")
        yield HandlerCall(step.handler, own, beats, run, job.single, literals)
        undo = step.compensate
        if undo is not None:
            keywords = own if undo.args is None else tuple(a.name for a in undo.args)
            if undo.args is not None:
                literals = _literals(undo.args, undo.path)
            yield HandlerCall(undo.handler, keywords, beats, undo.path, False, literals)
