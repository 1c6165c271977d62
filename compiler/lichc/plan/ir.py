"""Stage 3: the plan, lichc's backend-neutral intermediate representation.

The plan is what every backend renders from: defaults merged key by key,
engines chosen, steps normalised (a single-step job is one run step), and
every value already parsed. Templates see only these frozen objects, never
raw YAML. Each object keeps the key path it came from, for error messages.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, ClassVar, Literal

from lichc.diagnostics import KeyPath
from lichc.fileformat import models as m
from lichc.fileformat.names import to_snake
from lichc.fileformat.templated import EnvString, IdTemplate
from lichc.fileformat.values import InputRef, Literal_, PyRef, Rate, StepRef, TypeExpr

Engine = Literal["celery", "temporal"]
ArgValue = InputRef | StepRef | Literal_

BUILT_IN = ("<built-in>",)
DEFAULT_QUEUE = "default"
DEFAULT_TIMEOUT = timedelta(minutes=5)
BUILT_IN_RETRY = m.Retry(
    attempts=3,
    backoff="exponential",
    delay=timedelta(seconds=1),
    factor=2.0,
    max_delay=timedelta(seconds=60),
    jitter=False,
    retry_on=(),
    non_retryable=(),
)


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
        raw = self.delay.total_seconds() * self.coefficient ** (n - 1)
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

    def origin(self, key: str) -> KeyPath:
        return dict(self.origins).get(key, BUILT_IN)


@dataclass(frozen=True, slots=True)
class SleepStep:
    kind: ClassVar[str] = "sleep"
    name: str
    duration: timedelta
    description: str | None
    path: KeyPath


@dataclass(frozen=True, slots=True)
class WaitStep:
    kind: ClassVar[str] = "wait_for"
    name: str
    signal: str
    timeout: timedelta | None
    on_timeout: Literal["fail", "continue", "compensate"]
    description: str | None
    path: KeyPath


@dataclass(frozen=True, slots=True)
class ParallelStep:
    kind: ClassVar[str] = "parallel"
    name: str
    branches: tuple[RunStep, ...]
    description: str | None
    path: KeyPath


Step = RunStep | SleepStep | WaitStep | ParallelStep


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

    def run_steps(self) -> Iterator[RunStep]:
        """Every run step, parallel branches included, in order."""
        for step in self.steps:
            if isinstance(step, RunStep):
                yield step
            elif isinstance(step, ParallelStep):
                yield from step.branches

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

    def jobs_on(self, engine: Engine) -> tuple[Job, ...]:
        return tuple(j for j in self.jobs if j.engine == engine)

    def queues_on(self, engine: Engine) -> tuple[str, ...]:
        """Every queue an engine's workers must listen on, sorted: the steps'
        and the jobs' own (a Temporal workflow's, a Celery chain's launcher
        and chord bodies), even when every step overrides it."""
        jobs = self.jobs_on(engine)
        found = {s.queue for j in jobs for s in j.run_steps()} | {j.queue for j in jobs}
        return tuple(sorted(found))


# -- building the plan -------------------------------------------------------------


def make_plan(spec: m.Spec, source: str) -> Plan:
    from lichc.plan import engine_choice as engines

    jobs = []
    for name, job in spec.jobs.items():
        draft = _job(spec, name, job)
        engine, reason = engines.choose(job.engine, draft)
        jobs.append(_with_engine(draft, engine, reason, job.engine == "auto"))
    return Plan(
        project=spec.project,
        output=spec.output,
        source=source,
        celery=CeleryConfig(spec.celery.broker, spec.celery.result_backend),
        temporal=TemporalConfig(
            spec.temporal.address,
            spec.temporal.namespace,
            spec.temporal.tls,
            spec.temporal.api_key,
        ),
        jobs=tuple(jobs),
    )


def _with_engine(job: Job, engine: Engine, reason: str, auto: bool) -> Job:
    from dataclasses import replace

    return replace(job, engine=engine, engine_reason=reason, engine_auto=auto)


def _job(spec: m.Spec, name: str, job: m.Job) -> Job:
    path: KeyPath = ("jobs", name)
    queue = job.queue or spec.defaults.queue or DEFAULT_QUEUE
    inputs = tuple(
        InputField(
            field_name,
            f.type,
            f.default,
            f.has_default,
            f.description,
            (*path, "input", field_name),
        )
        for field_name, f in job.input.items()
    )
    single = job.steps is None
    if single:
        assert job.run is not None
        step_spec = m.RunStep(run=job.run)
        steps: tuple[Step, ...] = (
            _run_step(
                spec, job, step_spec, path, queue, single=True, name=to_snake(name)
            ),
        )
    else:
        assert job.steps is not None
        steps = tuple(
            _step(spec, job, s, (*path, "steps", i), queue)
            for i, s in enumerate(job.steps)
        )
    return Job(
        name=name,
        snake=to_snake(name),
        engine="celery",  # replaced once the engine is chosen
        engine_reason="",
        engine_auto=False,
        description=job.description,
        queue=queue,
        inputs=inputs,
        id=job.id,
        deadline=None if single else job.timeout,
        steps=steps,
        single=single,
        dead_letter=job.dead_letter.queue if job.dead_letter else None,
        dead_letter_retention=job.dead_letter.retention if job.dead_letter else None,
        rate_limit=job.rate_limit,
        schedules=tuple(
            Schedule(s.cron, s.timezone, dict(s.input), (*path, "schedule", i))
            for i, s in enumerate(job.schedule)
        ),
        settings=frozenset(job.model_fields_set),
        path=path,
    )


def _step(spec: m.Spec, job: m.Job, step: Any, path: KeyPath, queue: str) -> Step:
    if isinstance(step, m.RunStep):
        return _run_step(spec, job, step, path, queue, single=False)
    if isinstance(step, m.SleepStep):
        return SleepStep(step.name, step.sleep, step.description, path)
    if isinstance(step, m.WaitStep):
        wait = step.wait_for
        return WaitStep(
            step.name,
            wait.signal,
            wait.timeout,
            wait.on_timeout or "fail",
            step.description,
            path,
        )
    assert isinstance(step, m.ParallelStep)
    branches = tuple(
        _run_step(spec, job, b, (*path, "parallel", i), queue, single=False)
        for i, b in enumerate(step.parallel)
    )
    return ParallelStep(step.name, branches, step.description, path)


_INHERITED = ("soft_timeout", "total_timeout", "queue_timeout", "heartbeat")


def _run_step(
    spec: m.Spec,
    job: m.Job,
    step: m.RunStep,
    path: KeyPath,
    job_queue: str,
    *,
    single: bool,
    name: str | None = None,
) -> RunStep:
    job_path = path if single else path[:2]
    origins: dict[str, KeyPath] = {}

    def pick(key: str, layers: list[tuple[Any, KeyPath]], fallback: Any) -> Any:
        for value, where in reversed(layers):
            if value is not None:
                origins[key] = where
                return value
        origins[key] = BUILT_IN
        return fallback

    step_layer = [] if single else [(getattr(step, "timeout", None), path)]
    timeout = pick(
        "timeout",
        [
            (spec.defaults.timeout, ("defaults", "timeout")),
            *([(job.timeout, job_path)] if single else []),
            *step_layer,
        ],
        DEFAULT_TIMEOUT,
    )
    inherited = {
        key: pick(
            key,
            [
                (getattr(job, key), job_path),
                *([] if single else [(getattr(step, key), path)]),
            ],
            None,
        )
        for key in _INHERITED
    }
    queue = step.queue or job_queue
    origins["queue"] = path if step.queue else job_path
    retry = merge_retry(
        [
            (spec.defaults.retry, ("defaults", "retry")),
            (job.retry, (*job_path, "retry")),
            *([] if single else [(step.retry, (*path, "retry"))]),
        ]
    )
    compensate = None
    if step.compensate is not None:
        compensate = Compensation(
            step.compensate.run,
            _args(step.compensate.args),
            (*path, "compensate"),
        )
    return RunStep(
        name=name or step.name or step.run.name,
        handler=step.run,
        args=_args(step.args),
        queue=queue,
        retry=retry,
        timeout=timeout,
        compensate=compensate,
        description=step.description,
        path=path,
        origins=tuple(sorted(origins.items())),
        **inherited,
    )


def _args(args: dict[str, Any] | None) -> tuple[Arg, ...] | None:
    if args is None:
        return None
    return tuple(Arg(k, v) for k, v in args.items())


def merge_retry(layers: list[tuple[m.Retry | None, KeyPath]]) -> RetryPolicy:
    """Merge retry mappings key by key over the built-in policy."""
    merged: dict[str, Any] = {}
    origins: dict[str, KeyPath] = {}
    for key in m.Retry.model_fields:
        merged[key] = getattr(BUILT_IN_RETRY, key)
        origins[key] = BUILT_IN
        for layer, where in layers:
            value = getattr(layer, key) if layer is not None else None
            if value is not None:
                merged[key] = value
                origins[key] = where
    attempts = merged.pop("attempts")
    return RetryPolicy(
        attempts=None if attempts == "unlimited" else attempts,
        origins=tuple(sorted(origins.items())),
        **merged,
    )


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
