"""Stage 3: rules that span several keys, checked on the plan.

The plan has defaults merged and engines chosen, so each rule reads the
effective settings; every object remembers the key path it came from, which
is where an error points. What an engine cannot run is refused from its
capability table (plan/refusals.py); its other rules live in its folder
(engines/<e>/rules.py). Each rule yields Diagnostics; none stops the others.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import timedelta
from functools import lru_cache

from lichc.diagnostics import Diagnostic, KeyPath, format_key_path
from lichc.engines.registry import ENGINES, engine
from lichc.fileformat.values import (
    format_duration,
)
from lichc.plan import refusals
from lichc.plan.flow import flow_problems
from lichc.plan.for_each import for_each_problems
from lichc.plan.ir import (
    BUILT_IN,
    InputField,
    Job,
    ObjectType,
    Plan,
    RunStep,
    SleepStep,
    Step,
    Types,
    WaitStep,
)
from lichc.plan.job_steps import job_cycles, job_step_problems
from lichc.plan.references import references, suggest
from lichc.plan.results import result_problems
from lichc.plan.types import type_problems


def check(plan: Plan) -> list[Diagnostic]:
    found = [*_job_names(plan), *_project_name(plan)]
    for each in ENGINES:
        found.extend(each.plan_rules(plan))
    found.extend(_dead_letter_queues(plan))
    found.extend(job_cycles(plan))
    found.extend(type_problems(plan))
    for named in plan.types:
        if isinstance(named, ObjectType):
            found.extend(_defaults(named.fields, plan.type_table))
    for job in plan.jobs:
        found.extend(_job(plan, job))
    return found


def _job(plan: Plan, job: Job) -> Iterator[Diagnostic]:
    yield from _inputs(job, plan.type_table)
    yield from _id(job)
    yield from _step_names(job)
    yield from references(job)
    yield from flow_problems(job)
    yield from for_each_problems(job)
    yield from result_problems(job, plan.type_table)
    yield from job_step_problems(plan, job)
    for step in job.run_steps():
        yield from _timeouts(step)
        yield from _retry(step)
    yield from _deadline(job)
    yield from _schedules(job, plan.type_table)
    yield from refusals.check(job)
    yield from engine(job.engine).job_rules(plan, job)


def _fmt(value: timedelta) -> str:
    return format_duration(value)


# -- names across jobs ---------------------------------------------------------------


def _job_names(plan: Plan) -> Iterator[Diagnostic]:
    by_snake: dict[str, list[Job]] = defaultdict(list)
    for job in plan.jobs:
        by_snake[job.snake].append(job)
    for snake, jobs in by_snake.items():
        for job in jobs[1:]:
            yield Diagnostic(
                f"job name '{job.name}' and '{jobs[0].name}' both become '{snake}' in generated code",
                job.path,
                "rename one of them",
                on_key=True,  # the name is the key
            )
    yield from _generated_classes(plan)


def _generated_classes(plan: Plan) -> Iterator[Diagnostic]:
    """A suffix is not repeated (FooWorkflow's class is FooWorkflow), so jobs
    Foo and FooWorkflow would both name the class FooWorkflow."""
    kinds = (
        ("input model", plan.jobs, "input_model"),
        *(
            (what, plan.jobs_on(each.name), attribute)
            for each in ENGINES
            for what, attribute in each.generated_names
        ),
    )
    for what, jobs, attribute in kinds:
        first: dict[str, Job] = {}
        for job in jobs:
            name = getattr(job, attribute)
            other = first.setdefault(name, job)
            if other is not job:
                yield Diagnostic(
                    f"jobs '{other.name}' and '{job.name}' would both have the "
                    f"{what} '{name}' in generated code",
                    job.path,
                    "rename one of them",
                    on_key=True,
                )


def _project_name(plan: Plan) -> Iterator[Diagnostic]:
    for job in plan.jobs:
        for step in job.run_steps():
            handlers = [step.handler] + (
                [step.compensate.handler] if step.compensate else []
            )
            for ref in handlers:
                if ref.top_package == plan.project:
                    yield Diagnostic(
                        f"project '{plan.project}' has the same name as the package of handler '{ref}'",
                        ("project",),
                        "the generated package would shadow your code; pick another project name",
                    )
                    return


# -- inputs and id ----------------------------------------------------------------------


def _inputs(job: Job, types: Types) -> Iterator[Diagnostic]:
    # the generated start functions take the fields as parameters and use these
    generated = {
        job.input_model: "the job's input model",
        job.workflow_class: "the job's workflow class",
        job.start_function: "the function that starts the job",
    }
    for f in job.inputs:
        if f.name in generated:
            yield Diagnostic(
                f"field name '{f.name}' is the name of {generated[f.name]} in the generated code",
                f.path,
                "pick another name",
                on_key=True,
            )
    yield from _defaults(job.inputs, types)
    for wait in job.signals:
        if wait.payload_type is None:  # a named type's defaults: once, below
            yield from _defaults(wait.payload or (), types)


def _defaults(fields: tuple[InputField, ...], types: Types) -> Iterator[Diagnostic]:
    for f in fields:
        if f.has_default and not f.type.accepts(f.default, types):
            yield Diagnostic(
                f"default {f.default!r} does not match type {f.type}",
                (*f.path, "default"),
                "make the default match the type, or change the type",
            )


def _id(job: Job) -> Iterator[Diagnostic]:
    if job.id is None:
        return
    for name in job.id.fields:
        if name not in job.input_names:
            yield Diagnostic(
                f"id uses {{{name}}}, which is not an input field",
                (*job.path, "id"),
                suggest(name, job.input_names, "input fields"),
            )


# -- steps ----------------------------------------------------------------------------


def _step_names(job: Job) -> Iterator[Diagnostic]:
    seen: set[str] = set()
    for step in job.named_steps():
        if step.name in seen:
            yield Diagnostic(
                f"step name '{step.name}' is used twice in job {job.name}",
                _name_path(step),
                "each step needs a name of its own (a run step is named after its function unless `name:` is set)",
            )
        seen.add(step.name)
    signals = Counter(w.signal for w in job.signals)
    for wait in job.signals:
        if signals[wait.signal] > 1:
            yield Diagnostic(
                f"signal '{wait.signal}' is awaited by more than one step",
                (*wait.path, "wait_for", "signal"),
                "give each wait_for step a signal of its own",
            )
            signals[wait.signal] = 0


def _name_path(step: Step) -> KeyPath:
    """Where a step's name is written: `name:`, or the function a run step
    is named after."""
    if isinstance(step, RunStep) and step.name == step.handler.name:
        return (*step.path, "run")
    return (*step.path, "name")


# -- timeouts and retries ----------------------------------------------------------------


def _shown(value: timedelta, origin: KeyPath) -> str:
    """A value, saying where it came from when this job did not write it."""
    if origin == BUILT_IN:
        return f"{_fmt(value)}, the built-in default"
    if origin[0] == "defaults":
        return f"{_fmt(value)}, from {format_key_path(origin)}"
    return _fmt(value)


def _where_to_set(origin: KeyPath, key: str, defaults: str) -> str:
    """How to change an inherited value; empty when this job wrote it."""
    if origin == BUILT_IN or origin[0] == "defaults":
        return f"; set {key} on the job (or step) or in {defaults}"
    return ""


def _timeouts(step: RunStep) -> Iterator[Diagnostic]:
    t = step.timeout
    timeout = _shown(t, step.origin("timeout"))
    set_timeout = _where_to_set(step.origin("timeout"), "timeout", "defaults.timeout")
    if step.soft_timeout is not None and step.soft_timeout >= t:
        yield Diagnostic(
            f"soft_timeout ({_fmt(step.soft_timeout)}) must be shorter than timeout ({timeout})",
            step.key_path("soft_timeout"),
            "soft_timeout warns the handler before the hard timeout stops it"
            + set_timeout,
        )
    if step.total_timeout is not None and step.total_timeout < t:
        yield Diagnostic(
            f"total_timeout ({_fmt(step.total_timeout)}) is shorter than one attempt's timeout ({timeout})",
            step.key_path("total_timeout"),
            "total_timeout bounds all attempts together; make it at least timeout"
            + set_timeout,
        )
    if step.heartbeat is not None and step.heartbeat >= t:
        yield Diagnostic(
            f"heartbeat ({_fmt(step.heartbeat)}) must be shorter than timeout ({timeout})",
            step.key_path("heartbeat"),
            "heartbeat is the longest silence allowed within one attempt" + set_timeout,
        )


def _retry(step: RunStep) -> Iterator[Diagnostic]:
    r = step.retry
    if r.max_delay < r.delay:
        where = r.origin("max_delay")
        yield Diagnostic(
            f"max_delay ({_shown(r.max_delay, where)}) is shorter than delay "
            f"({_shown(r.delay, r.origin('delay'))})",
            (*where, "max_delay")
            if where != BUILT_IN
            else (*r.origin("delay"), "delay"),
            "max_delay caps every retry delay; "
            + (
                _where_to_set(where, "retry.max_delay", "defaults.retry")[2:]
                or "make it at least delay"
            ),
        )
    if r.backoff == "fixed" and r.origin("factor") == r.origin("backoff"):
        yield Diagnostic(
            "factor has no effect with backoff: fixed",
            (*r.origin("factor"), "factor"),
            "remove factor, or use backoff: exponential",
        )
    both = set(r.retry_on) & set(r.non_retryable)
    for ref in sorted(both, key=str):
        yield Diagnostic(
            f"'{ref}' is both in retry_on and in non_retryable",
            (*r.origin("non_retryable"), "non_retryable"),
            "list each exception type in one of them",
        )


def _deadline(job: Job) -> Iterator[Diagnostic]:
    deadline = job.deadline
    if deadline is None:
        return
    limit = f"the job's timeout ({_fmt(deadline)})"
    hint = "the job timeout bounds the whole job; raise it or shorten the step"
    for step in job.steps:
        if isinstance(step, SleepStep) and step.duration > deadline:
            yield Diagnostic(
                f"sleep ({_fmt(step.duration)}) is longer than {limit}",
                (*step.path, "sleep"),
                hint,
            )
        elif (
            isinstance(step, WaitStep)
            and step.timeout is not None
            and step.timeout > deadline
        ):
            yield Diagnostic(
                f"wait_for timeout ({_fmt(step.timeout)}) is longer than {limit}",
                (*step.path, "wait_for", "timeout"),
                hint,
            )
    for run in job.run_steps():
        if run.timeout > deadline:
            origin = run.origin("timeout")
            yield Diagnostic(
                f"timeout ({_shown(run.timeout, origin)}) is longer than {limit}",
                run.key_path("timeout"),
                hint + _where_to_set(origin, "timeout", "defaults.timeout"),
            )


# -- schedules -------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _timezone_error(name: str) -> str | None:
    from zoneinfo import ZoneInfo

    if name == "UTC":
        return None
    try:
        ZoneInfo(name)
    except Exception:
        try:
            ZoneInfo("UTC")
        except Exception:
            return None  # no time zone database here: leave the check to run time
        return f"unknown time zone '{name}'"
    return None


def _schedules(job: Job, types: Types) -> Iterator[Diagnostic]:
    fields = {f.name: f for f in job.inputs}
    for schedule in job.schedules:
        error = _timezone_error(schedule.timezone)
        if error:
            yield Diagnostic(
                error,
                (*schedule.path, "timezone"),
                "use an IANA name such as UTC or Europe/Berlin",
            )
        for key, value in schedule.input.items():
            field = fields.get(key)
            if field is None:
                yield Diagnostic(
                    f"the job has no input field '{key}'",
                    (*schedule.path, "input", key),
                    suggest(key, list(fields), "input fields"),
                )
            elif not field.type.accepts(value, types):
                yield Diagnostic(
                    f"{value!r} is not a {field.type}", (*schedule.path, "input", key)
                )
        missing = [
            f.name for f in job.inputs if f.required and f.name not in schedule.input
        ]
        if missing:
            yield Diagnostic(
                f"the schedule gives no value for required input {', '.join(missing)}",
                (*schedule.path, "input"),
                "scheduled runs start without a caller; give every required field a value",
            )


def _dead_letter_queues(plan: Plan) -> Iterator[Diagnostic]:
    """A dead-letter queue keeps its records for one retention: the jobs that
    share it must agree on it."""
    first: dict[str, Job] = {}
    for job in plan.jobs:
        if job.dead_letter is None or refusals.refusal(job.engine, "dead_letter"):
            continue
        other = first.setdefault(job.dead_letter, job)
        if other.dead_letter_retention != job.dead_letter_retention:
            assert job.dead_letter_retention is not None
            assert other.dead_letter_retention is not None
            yield Diagnostic(
                f"dead-letter queue '{job.dead_letter}' keeps records for "
                f"{_fmt(other.dead_letter_retention)} (job {other.name}), "
                f"not {_fmt(job.dead_letter_retention)}",
                (*job.path, "dead_letter"),
                "give both jobs the same dead_letter.retention, or this job a queue of its own",
            )
