"""Stage 3: building the plan from a validated spec.

Each job is built once, with its engine: the steps and settings are resolved
first (defaults merged key by key, a single-step job made one run step), then
the engine is chosen from what they use, then the Job is made.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from lichc.diagnostics import KeyPath
from lichc.fileformat import models as m
from lichc.fileformat.names import to_snake
from lichc.fileformat.values import Literal_
from lichc.plan import engine_choice, features, ir

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


def make_plan(spec: m.Spec, source: str) -> ir.Plan:
    return ir.Plan(
        project=spec.project,
        output=spec.output,
        source=source,
        celery=ir.CeleryConfig(spec.celery.broker, spec.celery.result_backend),
        temporal=ir.TemporalConfig(
            spec.temporal.address,
            spec.temporal.namespace,
            spec.temporal.tls,
            spec.temporal.api_key,
        ),
        jobs=tuple(_job(spec, name, job) for name, job in spec.jobs.items()),
        types=tuple(_named_type(name, t) for name, t in spec.types.items()),
    )


def _named_type(name: str, type_: m.EnumType | dict[str, m.InputField]) -> ir.NamedType:
    path: KeyPath = ("types", name)
    if isinstance(type_, m.EnumType):
        return ir.EnumType(name, type_.enum, type_.description, path)
    return ir.ObjectType(name, _fields(type_, path), path)


def _job(spec: m.Spec, name: str, job: m.Job) -> ir.Job:
    path: KeyPath = ("jobs", name)
    queue = job.queue or spec.defaults.queue or ir.DEFAULT_QUEUE
    inputs = _fields(job.input, (*path, "input"))
    single = job.steps is None
    if single:
        assert job.run is not None
        step_spec = m.RunStep(run=job.run, args=job.args)
        steps: tuple[ir.Step, ...] = (
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
    deadline = None if single else job.timeout
    dead_letter = job.dead_letter.queue if job.dead_letter else None
    used = features.uses(path, steps, deadline, dead_letter, job.rate_limit)
    engine, reason = engine_choice.choose(job.engine, used)
    return ir.Job(
        name=name,
        snake=to_snake(name),
        engine=engine,
        engine_reason=reason,
        engine_auto=job.engine == "auto",
        description=job.description,
        queue=queue,
        inputs=inputs,
        id=job.id,
        deadline=deadline,
        steps=steps,
        single=single,
        dead_letter=dead_letter,
        dead_letter_retention=job.dead_letter.retention if job.dead_letter else None,
        rate_limit=job.rate_limit,
        schedules=tuple(
            ir.Schedule(s.cron, s.timezone, dict(s.input), (*path, "schedule", i))
            for i, s in enumerate(job.schedule)
        ),
        settings=frozenset(job.model_fields_set),
        path=path,
        result=_result(job.result, (*path, "result")),
    )


def _result(result: m.JobResult | None, path: KeyPath) -> ir.JobResult | None:
    if result is None:
        return None
    value = result.value if result.has_value else None
    if value is None and result.has_value:  # `value: null`, a literal
        value = Literal_(None)
    return ir.JobResult(result.type, value, path)


def _fields(
    fields: dict[str, m.InputField], path: KeyPath
) -> tuple[ir.InputField, ...]:
    """Typed fields: a job's `input`, a signal's `payload`."""
    return tuple(
        ir.InputField(
            name, f.type, f.default, f.has_default, f.description, (*path, name)
        )
        for name, f in fields.items()
    )


def _payload(
    spec: m.Spec, payload: dict[str, m.InputField] | str | None, path: KeyPath
) -> tuple[tuple[ir.InputField, ...] | None, str | None]:
    """A signal's payload fields, and the object type they come from if named."""
    if payload is None:
        return None, None
    if isinstance(payload, str):
        named = spec.types.get(payload)
        if isinstance(named, dict):
            return _fields(named, ("types", payload)), payload
        return (), payload  # not an object type: plan/types.py says so
    return _fields(payload, path), None


def _step(spec: m.Spec, job: m.Job, step: Any, path: KeyPath, queue: str) -> ir.Step:
    if isinstance(step, m.RunStep):
        return _run_step(spec, job, step, path, queue, single=False)
    if isinstance(step, m.SleepStep):
        return ir.SleepStep(step.name, step.sleep, step.description, path, step.if_)
    if isinstance(step, m.WaitStep):
        wait = step.wait_for
        payload = wait.payload
        return ir.WaitStep(
            step.name,
            wait.signal,
            wait.timeout,
            wait.on_timeout or "fail",
            step.description,
            path,
            step.if_,
            *_payload(spec, payload, (*path, "wait_for", "payload")),
        )
    if isinstance(step, m.JobStep):
        args = _args(step.args)
        return ir.JobStep(step.name, step.job, args, step.description, path, step.if_)
    if isinstance(step, m.EndStep):
        end = step.end
        result = end.result if end.fail is None else None
        return ir.EndStep(step.name, result, end.fail, step.description, path, step.if_)
    assert isinstance(step, m.ParallelStep)
    branches = tuple(
        _run_step(spec, job, b, (*path, "parallel", i), queue, single=False)
        for i, b in enumerate(step.parallel)
    )
    return ir.ParallelStep(step.name, branches, step.description, path, step.if_)


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
) -> ir.RunStep:
    job_path = path if single else path[:2]
    origins: dict[str, KeyPath] = {}

    def pick(key: str, layers: list[tuple[Any, KeyPath]], fallback: Any) -> Any:
        for value, where in reversed(layers):
            if value is not None:
                origins[key] = where
                return value
        origins[key] = ir.BUILT_IN
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
        compensate = ir.Compensation(
            step.compensate.run,
            _args(step.compensate.args),
            (*path, "compensate"),
        )
    return ir.RunStep(
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
        condition=step.if_,
        for_each=_for_each(step, path),
        **inherited,
    )


def _for_each(step: m.RunStep, path: KeyPath) -> ir.ForEach | None:
    if step.for_each is None:
        return None
    limit = step.max_parallel or ir.DEFAULT_MAX_PARALLEL
    return ir.ForEach(step.for_each, limit, (*path, "for_each"))


def _args(args: dict[str, Any] | None) -> tuple[ir.Arg, ...] | None:
    if args is None:
        return None
    return tuple(ir.Arg(k, v) for k, v in args.items())


def merge_retry(layers: list[tuple[m.Retry | None, KeyPath]]) -> ir.RetryPolicy:
    """Merge retry mappings key by key over the built-in policy."""
    merged: dict[str, Any] = {}
    origins: dict[str, KeyPath] = {}
    for key in m.Retry.model_fields:
        merged[key] = getattr(BUILT_IN_RETRY, key)
        origins[key] = ir.BUILT_IN
        for layer, where in layers:
            value = getattr(layer, key) if layer is not None else None
            if value is not None:
                merged[key] = value
                origins[key] = where
    attempts = merged.pop("attempts")
    return ir.RetryPolicy(
        attempts=None if attempts == "unlimited" else attempts,
        origins=tuple(sorted(origins.items())),
        **merged,
    )
