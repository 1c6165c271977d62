"""Rules of `job` steps: the job they run exists, runs on the same engine,
gets every input field it needs from `args`, and never runs itself again
(directly or through other jobs)."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from lichc.diagnostics import Diagnostic
from lichc.fileformat.values import InputRef, Literal_, show_value
from lichc.plan.ir import Arg, InputField, Job, JobStep, Plan


def job_steps(job: Job) -> Iterator[JobStep]:
    return (s for s in job.steps if isinstance(s, JobStep))


def child_args(job: Job, step: JobStep, child: Job) -> tuple[Arg, ...]:
    """The child's input as the step passes it: its `args`, or else each of
    the child's input fields the parent has under the same name."""
    if step.args is not None:
        return step.args
    own = set(job.input_names)
    return tuple(Arg(f.name, InputRef(f.name)) for f in child.inputs if f.name in own)


def job_step_problems(plan: Plan, job: Job) -> Iterator[Diagnostic]:
    jobs = {j.name: j for j in plan.jobs}
    for step in job_steps(job):
        child = jobs.get(step.job)
        if child is None:
            close = difflib.get_close_matches(step.job, list(jobs), n=1)
            hint = (
                f"did you mean '{close[0]}'?" if close else "jobs: " + ", ".join(jobs)
            )
            yield Diagnostic(
                f"step {step.name}: the file has no job '{step.job}'",
                (*step.path, "job"),
                hint,
            )
            continue
        if child.engine != job.engine:
            yield Diagnostic(
                f"step {step.name}: job {job.name} runs on {job.engine} and job "
                f"{child.name} on {child.engine}; a job step runs a job on the "
                "same engine",
                (*step.path, "job"),
                f"set the same `engine:` on both jobs, or start {child.name} from a "
                "handler with its client function",
            )
        yield from _args(job, step, child)


def _args(job: Job, step: JobStep, child: Job) -> Iterator[Diagnostic]:
    fields = {f.name: f for f in child.inputs}
    passed = child_args(job, step, child)
    for arg in passed:
        path = (*step.path, "args", arg.name)
        field = fields.get(arg.name)
        if field is None:
            yield Diagnostic(
                f"step {step.name}: job {child.name} has no input field '{arg.name}'",
                path,
                f"its input fields: {', '.join(fields) or 'none'}",
            )
        elif (problem := _mismatch(job, arg, field, child.name)) is not None:
            yield Diagnostic(f"step {step.name}: {problem}", path)
    given = {a.name for a in passed}
    missing = [f.name for f in child.inputs if f.required and f.name not in given]
    if missing:
        where = step.path if step.args is None else (*step.path, "args")
        yield Diagnostic(
            f"step {step.name}: job {child.name} needs input "
            f"{', '.join(missing)}, which the step does not pass",
            where,
            "add them to the step's `args`, e.g. "
            + ", ".join(f'{m}: "${{input.{m}}}"' for m in missing),
        )


def _mismatch(job: Job, arg: Arg, field: InputField, child: str) -> str | None:
    """A literal or an input of the parent that cannot be the child's field."""
    value = arg.value
    if isinstance(value, Literal_) and not field.type.accepts(value.value):
        return (
            f"{show_value(value.value)} does not fit {field.type} "
            f"(input field {field.name} of job {child})"
        )
    if isinstance(value, InputRef):
        own = next((f for f in job.inputs if f.name == value.field), None)
        if own is not None and own.type.base != field.type.base:
            return (
                f"{value} is {own.type}, but input field {field.name} of job "
                f"{child} is {field.type}"
            )
    return None


def job_cycles(plan: Plan) -> Iterator[Diagnostic]:
    """A job that runs itself through job steps would never end."""
    calls = {j.name: list(job_steps(j)) for j in plan.jobs}
    reported: set[str] = set()
    for start in plan.jobs:
        path = _cycle(start.name, calls)
        if path is None or start.name in reported:
            continue
        reported.update(path)
        step = next(s for s in calls[start.name] if s.job == path[1])
        yield Diagnostic(
            "job steps call in a circle: " + " -> ".join(path),
            (*step.path, "job"),
            "a job cannot run itself, directly or through other jobs",
        )


def _cycle(start: str, calls: dict[str, list[JobStep]]) -> list[str] | None:
    """The first circle of job steps from `start` back to it, if any."""
    stack = [(start, [start])]
    seen: set[str] = set()
    while stack:
        name, path = stack.pop()
        for step in calls.get(name, ()):
            if step.job == start:
                return [*path, start]
            if step.job not in seen:
                seen.add(step.job)
                stack.append((step.job, [*path, step.job]))
    return None
