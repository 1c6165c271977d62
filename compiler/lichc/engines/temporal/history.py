"""A Temporal job as lichc.evolution records it: the commands its workflow
issues, step by step (activities by type name, timers, signal waits, parallel
branches, compensations), with what scheduling each again needs."""

from __future__ import annotations

from lichc.engines.temporal import options
from lichc.engines.temporal.activities_view import handler_call
from lichc.evolution.record import Call, Child, Each, End, Entry, PayloadField, Value
from lichc.fileformat.values import InputRef, ItemRef, Literal_, ResultObject, StepRef
from lichc.plan import ir


def steps(job: ir.Job, jobs: dict[str, ir.Job] | None = None) -> tuple[Entry, ...]:
    return tuple(_entry(job, step, jobs or {}) for step in job.steps)


def _entry(job: ir.Job, step: ir.Step, jobs: dict[str, ir.Job]) -> Entry:
    if isinstance(step, ir.JobStep):
        entry = _child(job, step, jobs[step.job])
    else:
        entry = _commands(job, step)
    if step.condition is None:
        return entry
    return entry.model_copy(update={"when": step.condition})


def _commands(job: ir.Job, step: ir.Step) -> Entry:
    if isinstance(step, ir.EndStep):
        return Entry(kind="end", name=step.name, end=_end(step))
    if isinstance(step, ir.RunStep):
        undo = _call(job, step, True) if step.compensate is not None else None
        each = None
        if step.for_each is not None:
            items = _value(step.for_each.items)
            each = Each(items=items, max_parallel=step.for_each.max_parallel)
        return Entry(
            kind="run",
            name=step.name,
            call=_call(job, step, False),
            undo=undo,
            each=each,
        )
    if isinstance(step, ir.SleepStep):
        return Entry(kind="sleep", name=step.name, sleep=step.duration.total_seconds())
    if isinstance(step, ir.WaitStep):
        timeout = step.timeout.total_seconds() if step.timeout is not None else None
        payload = None
        if step.payload is not None:
            payload = {
                f.name: PayloadField(type=f.type, default=f.default)
                for f in step.payload
            }
        return Entry(
            kind="wait_for",
            name=step.name,
            signal=step.signal,
            timeout=timeout,
            on_timeout=step.on_timeout,
            payload=payload,
        )
    assert isinstance(step, ir.ParallelStep)
    branches = tuple(_entry(job, b, {}) for b in step.branches)
    return Entry(kind="parallel", name=step.name, branches=branches)


def _child(job: ir.Job, step: ir.JobStep, child: ir.Job) -> Entry:
    from lichc.plan.job_steps import child_args

    args = child_args(job, step, child)
    recorded = Child(
        workflow=child.name,
        queue=child.queue,
        params=tuple(a.name for a in args),
        args=tuple(_value(a.value) for a in args),
    )
    return Entry(kind="job", name=step.name, child=recorded)


def _call(job: ir.Job, step: ir.RunStep, compensation: bool) -> Call:
    handler, named = handler_call(job, step, compensation)
    return Call(
        activity=options.activity_type(job, step, compensation=compensation),
        handler=str(handler),
        params=tuple(name for name, _ in named),
        args=tuple(_value(value) for _, value in named),
        queue=step.queue,
        timeout=step.timeout.total_seconds(),
        attempts=options.maximum_attempts(step),
    )


def _end(step: ir.EndStep) -> End:
    if step.fail is not None:
        parts = tuple(
            Value(literal=p) if isinstance(p, str) else _value(p)
            for p in step.fail.parts
        )
        return End(fail=parts)
    if isinstance(step.result, ResultObject):
        return End(items={k: _value(v) for k, v in step.result.items})
    return End(result=_value(step.result))


def _value(value: object) -> Value:
    if isinstance(value, InputRef):
        return Value(input=value.field)
    if isinstance(value, StepRef):
        return Value(step=value.step, field=value.field)
    if isinstance(value, ItemRef):
        return Value(item=True, field=value.field)
    assert isinstance(value, Literal_)
    return Value(literal=value.value)
