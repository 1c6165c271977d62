"""Stage 2b: rules that span several keys, checked on the plan.

The plan has defaults merged and engines chosen, so each rule reads the
effective settings; every object remembers the key path it came from, which
is where an error points. Each rule yields Diagnostics; none stops the others.
"""

from __future__ import annotations

import difflib
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import timedelta
from functools import lru_cache
from urllib.parse import urlsplit

from lichc.diagnostics import Diagnostic, KeyPath, format_key_path
from lichc.fileformat.values import (
    InputRef,
    StepRef,
    format_duration,
)
from lichc.plan.ir import (
    BUILT_IN,
    Job,
    ParallelStep,
    Plan,
    RunStep,
    SleepStep,
    Step,
    WaitStep,
)

CELERY_MAX_SLEEP = timedelta(hours=1)


def check(plan: Plan) -> list[Diagnostic]:
    found = [*_job_names(plan), *_project_name(plan), *_settings(plan)]
    found.extend(_dead_letter_queues(plan))
    for job in plan.jobs:
        found.extend(_job(plan, job))
    return found


def _job(plan: Plan, job: Job) -> Iterator[Diagnostic]:
    yield from _inputs(job)
    yield from _id(job)
    yield from _step_names(job)
    yield from _references(job)
    for step in job.run_steps():
        yield from _timeouts(step)
        yield from _retry(step)
    yield from _deadline(job)
    yield from _schedules(job)
    if job.engine == "celery":
        yield from _celery_only(job)
    else:
        yield from _temporal_only(plan, job)


def _fmt(value: timedelta) -> str:
    return format_duration(value)


def _suggest(word: str, choices: list[str] | tuple[str, ...], what: str) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return f"{what}: {', '.join(choices)}" if choices else f"the job has no {what}"


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
        ("workflow class", plan.jobs_on("temporal"), "workflow_class"),
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


def _settings(plan: Plan) -> Iterator[Diagnostic]:
    for key in ("broker", "result_backend"):
        value = getattr(plan.celery, key)
        example = value.example()
        if example is not None and not _is_redis_url(example):
            yield Diagnostic(
                f"'{example}' is not a Redis URL",
                ("celery", key),
                "lichc supports Redis: redis://host:6379/0 or rediss:// for TLS",
            )
    api_key = plan.temporal.api_key
    # `${NAME}` alone: a default or text around it would be a secret written
    # into the generated settings.py
    variable = api_key.variable if api_key is not None else None
    if api_key is not None and (variable is None or variable.default is not None):
        yield Diagnostic(
            "api_key must be read from the environment, not written in jobs.yaml",
            ("temporal", "api_key"),
            "write api_key: ${TEMPORAL_API_KEY} (no default: it would be written "
            "into the generated code)",
        )


def _is_redis_url(text: str) -> bool:
    if not text.startswith(("redis://", "rediss://")):
        return False
    try:
        urlsplit(text)  # e.g. an unclosed [ of an IPv6 host
    except ValueError:
        return False
    return True


# -- inputs and id ----------------------------------------------------------------------


def _inputs(job: Job) -> Iterator[Diagnostic]:
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
        if f.has_default and not f.type.accepts(f.default):
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
                _suggest(name, job.input_names, "input fields"),
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


def _references(job: Job) -> Iterator[Diagnostic]:
    earlier: dict[str, Step] = {}
    all_steps = {s.name: s for s in job.named_steps()}
    for step in job.steps:
        own = step.branches if isinstance(step, ParallelStep) else (step,)
        for run in own:
            if not isinstance(run, RunStep):
                continue
            if run.args is not None:
                for arg in run.args:
                    yield from _reference(
                        job,
                        arg.value,
                        (*run.path, "args", arg.name),
                        earlier,
                        all_steps,
                        run.name,
                        False,
                    )
            if run.compensate is not None and run.compensate.args is not None:
                for arg in run.compensate.args:
                    path = (*run.compensate.path, "args", arg.name)
                    yield from _reference(
                        job, arg.value, path, earlier, all_steps, run.name, True
                    )
        earlier[step.name] = step
        if isinstance(step, ParallelStep):
            earlier.update((b.name, b) for b in step.branches)


def _reference(
    job: Job,
    value: object,
    path: KeyPath,
    earlier: dict[str, Step],
    all_steps: dict[str, Step],
    current: str,
    in_compensation: bool,
) -> Iterator[Diagnostic]:
    if isinstance(value, InputRef):
        if value.field not in job.input_names:
            yield Diagnostic(
                f"{value}: the job has no input field '{value.field}'",
                path,
                _suggest(value.field, job.input_names, "input fields"),
            )
        return
    if not isinstance(value, StepRef):
        return
    name = value.step
    if name == current:
        if not in_compensation:
            yield Diagnostic(
                f"{value}: a step cannot use its own result",
                path,
                "only its `compensate` may use it (e.g. the charge id a refund needs)",
            )
        return
    if name not in earlier:
        if name in all_steps:
            yield Diagnostic(
                f"{value}: step '{name}' has not run yet at this point",
                path,
                "a step can use the results of the steps before it only",
            )
        else:
            yield Diagnostic(
                f"{value}: the job has no step '{name}'",
                path,
                _suggest(name, list(earlier), "earlier steps"),
            )
        return
    target = earlier[name]
    if isinstance(target, SleepStep):
        yield Diagnostic(f"{value}: step '{name}' is a sleep and has no result", path)
    elif isinstance(target, ParallelStep):
        branches = ", ".join(b.name for b in target.branches)
        yield Diagnostic(
            f"{value}: step '{name}' is a parallel group",
            path,
            f"reference one of its branches: {branches}",
        )


# -- timeouts and retries ----------------------------------------------------------------


def _at(step: RunStep, key: str) -> KeyPath:
    origin = step.origin(key)
    if origin == BUILT_IN:
        return step.path
    return origin if origin[-1] == key else (*origin, key)  # defaults.timeout


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
            _at(step, "soft_timeout"),
            "soft_timeout warns the handler before the hard timeout stops it"
            + set_timeout,
        )
    if step.total_timeout is not None and step.total_timeout < t:
        yield Diagnostic(
            f"total_timeout ({_fmt(step.total_timeout)}) is shorter than one attempt's timeout ({timeout})",
            _at(step, "total_timeout"),
            "total_timeout bounds all attempts together; make it at least timeout"
            + set_timeout,
        )
    if step.heartbeat is not None and step.heartbeat >= t:
        yield Diagnostic(
            f"heartbeat ({_fmt(step.heartbeat)}) must be shorter than timeout ({timeout})",
            _at(step, "heartbeat"),
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
                _at(run, "timeout"),
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


def _schedules(job: Job) -> Iterator[Diagnostic]:
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
                    _suggest(key, list(fields), "input fields"),
                )
            elif not field.type.accepts(value):
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
        if job.dead_letter is None or job.engine != "celery":
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


# -- engine capabilities ----------------------------------------------------------------------


def _why(job: Job) -> str:
    return f" ({job.engine_reason})" if job.engine_auto else ""


def _celery_only(job: Job) -> Iterator[Diagnostic]:
    hint = "set `engine: temporal` for this job, or remove the key"
    runs_on = f"job {job.name} runs on Celery{_why(job)}"
    if not any(True for _ in job.run_steps()):
        yield Diagnostic(
            f"job {job.name} has no step that runs a handler, and a Celery chain "
            "needs at least one",
            (*job.path, "steps"),
            "add a `run` step, or use `engine: temporal` for a job of timers and signals",
        )
    for step in job.run_steps():
        if step.compensate is not None:
            yield Diagnostic(
                f"compensate needs Temporal; {runs_on}", step.compensate.path, hint
            )
        if step.heartbeat is not None:
            yield Diagnostic(
                f"heartbeat needs Temporal; {runs_on}", _at(step, "heartbeat"), hint
            )
    for s in job.steps:
        if isinstance(s, WaitStep):
            yield Diagnostic(
                f"wait_for needs Temporal; {runs_on}", (*s.path, "wait_for"), hint
            )
    yield from _celery_sleeps(job)


def _celery_sleeps(job: Job) -> Iterator[Diagnostic]:
    """Consecutive sleeps become one countdown of the next task, so their sum
    is what must stay within the limit; the error points at the last of them."""
    durable = "use `engine: temporal` for durable timers"
    for run in job.sleep_runs():
        total = sum((s.duration for s in run), timedelta(0))
        if total <= CELERY_MAX_SLEEP:
            continue
        if len(run) == 1:
            what = f"a Celery sleep is a countdown and may be at most 1h (got {_fmt(total)})"
            hint = f"long countdowns sit in the broker; {durable}"
        else:
            parts = " + ".join(_fmt(s.duration) for s in run)
            what = (
                f"consecutive Celery sleeps {', '.join(s.name for s in run)} are one "
                f"countdown of {_fmt(total)} ({parts}), and it may be at most 1h"
            )
            hint = f"keep the sleeps between two steps within 1h in all, or {durable}"
        yield Diagnostic(what, (*run[-1].path, "sleep"), hint)
    yield from _celery_trailing_sleep(job)


def _celery_trailing_sleep(job: Job) -> Iterator[Diagnostic]:
    """A sleep is the countdown of the task after it: a last sleep has none,
    and would be dropped (a job of sleeps alone has its own error)."""
    if not job.steps or not isinstance(job.steps[-1], SleepStep):
        return
    if all(isinstance(s, SleepStep) for s in job.steps):
        return
    last = job.steps[-1]
    yield Diagnostic(
        f"sleep {last.name} has no following step: a Celery sleep is the countdown "
        "of the next task, so a sleep at the end would do nothing",
        (*last.path, "sleep"),
        "remove it, or add a step after it",
    )


def _on_timeout_without_timeout(wait: WaitStep) -> Diagnostic:
    return Diagnostic(
        f"on_timeout: {wait.on_timeout} has no effect without a timeout",
        (*wait.path, "wait_for", "on_timeout"),
        "add wait_for.timeout, or remove on_timeout",
    )


def _temporal_only(plan: Plan, job: Job) -> Iterator[Diagnostic]:
    runs_on = f"job {job.name} runs on Temporal{_why(job)}"
    for step in job.run_steps():
        if step.retry.jitter:
            yield Diagnostic(
                f"jitter is not supported by Temporal's retry policy; {runs_on}",
                (*step.retry.origin("jitter"), "jitter"),
                "remove jitter (Temporal spreads retries itself), or use `engine: celery`",
            )
        if step.soft_timeout is not None:
            yield Diagnostic(
                f"soft_timeout is Celery-only; {runs_on}",
                _at(step, "soft_timeout"),
                "use heartbeat to notice a stuck activity on Temporal",
            )
    if job.dead_letter is not None:
        yield Diagnostic(
            f"dead_letter is Celery-only: failed Temporal workflows stay in history; {runs_on}",
            (*job.path, "dead_letter"),
            "remove dead_letter and find failed runs in the Temporal UI or with "
            "`temporal workflow list --query 'ExecutionStatus=\"Failed\"'`",
        )
    if job.rate_limit is not None:
        yield from _own_queue(plan, job, runs_on)
    for wait in job.signals:
        if wait.on_timeout != "fail" and wait.timeout is None:
            yield _on_timeout_without_timeout(wait)


def _own_queue(plan: Plan, job: Job, runs_on: str) -> Iterator[Diagnostic]:
    """Temporal rate limits are per task queue, so the job needs one to itself."""
    others = sorted(
        {
            other.name
            for other in plan.jobs
            if other is not job
            for step in other.run_steps()
            if step.queue == job.queue
        }
    )
    strays = [s.name for s in job.run_steps() if s.queue != job.queue]
    if others or strays:
        who = (
            f"jobs {', '.join(others)} also use"
            if others
            else f"steps {', '.join(strays)} leave"
        )
        yield Diagnostic(
            f"rate_limit on Temporal limits a whole task queue, and {who} queue '{job.queue}'; {runs_on}",
            (*job.path, "rate_limit"),
            "give this job a queue of its own (and keep all its steps on it)",
        )
