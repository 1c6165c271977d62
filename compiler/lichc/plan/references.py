"""Stage 3: where a step's `${...}` references point: an input field the job
has, a step that ran before it and has a result, `${item}` inside a
for_each step only."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from lichc.diagnostics import Diagnostic, KeyPath
from lichc.fileformat.values import InputRef, ItemRef, StepRef
from lichc.plan.flow import end_values
from lichc.plan.for_each import item_problems
from lichc.plan.ir import (
    EndStep,
    Job,
    JobStep,
    ParallelStep,
    RunStep,
    SleepStep,
    Step,
    WaitStep,
)


def suggest(word: str, choices: list[str] | tuple[str, ...], what: str) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return f"{what}: {', '.join(choices)}" if choices else f"the job has no {what}"


def references(job: Job) -> Iterator[Diagnostic]:
    earlier: dict[str, Step] = {}
    all_steps = {s.name: s for s in job.named_steps()}
    for step in job.steps:
        for value, path, current, in_compensation in _values(step):
            yield from _reference(
                job, value, path, earlier, all_steps, current, in_compensation
            )
        earlier[step.name] = step
        if isinstance(step, ParallelStep):
            earlier.update((b.name, b) for b in step.branches)


def check_reference(
    job: Job,
    value: object,
    path: KeyPath,
    earlier: dict[str, Step],
    all_steps: dict[str, Step],
) -> Iterator[Diagnostic]:
    """Where one value outside any step points (the job's `result` value,
    read after every step has run)."""
    yield from _reference(job, value, path, earlier, all_steps, "", False)


def _values(step: Step) -> Iterator[tuple[object, KeyPath, str, bool]]:
    """Every value of a step that may be a reference: (value, where, the step
    it belongs to, whether in a compensation)."""
    own = step.branches if isinstance(step, ParallelStep) else ()
    for part in (step, *own):
        if part.condition is not None:
            for ref in part.condition.refs():
                yield ref.value, (*part.path, "if"), part.name, False
        if isinstance(part, EndStep):
            yield from ((v, p, part.name, False) for v, p in end_values(part))
        if isinstance(part, JobStep):
            for arg in part.args or ():
                yield arg.value, (*part.path, "args", arg.name), part.name, False
        if not isinstance(part, RunStep):
            continue
        if part.for_each is not None:
            yield part.for_each.items, part.for_each.path, part.name, False
        for arg in part.args or ():
            yield arg.value, (*part.path, "args", arg.name), part.name, False
        if part.compensate is not None:
            for arg in part.compensate.args or ():
                path = (*part.compensate.path, "args", arg.name)
                yield arg.value, path, part.name, True


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
                suggest(value.field, job.input_names, "input fields"),
            )
        return
    if job.single and isinstance(value, StepRef | ItemRef):
        yield _single_step_reference(value, path)
        return
    if isinstance(value, ItemRef):
        yield from item_problems(job, value, path, all_steps[current])
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
                suggest(name, list(earlier), "earlier steps"),
            )
        return
    target = earlier[name]
    if isinstance(target, SleepStep | EndStep):
        what = "a sleep" if isinstance(target, SleepStep) else "an end step"
        yield Diagnostic(f"{value}: step '{name}' is {what} and has no result", path)
    elif isinstance(target, WaitStep) and target.payload is not None:
        fields = tuple(f.name for f in target.payload)
        if value.field is not None and value.field not in fields:
            yield Diagnostic(
                f"{value}: the payload of signal '{target.signal}' has no field "
                f"'{value.field}'",
                path,
                suggest(value.field, fields, "payload fields")
                if fields
                else "its payload has no fields",
            )
    elif isinstance(target, ParallelStep):
        branches = ", ".join(b.name for b in target.branches)
        yield Diagnostic(
            f"{value}: step '{name}' is a parallel group",
            path,
            f"reference one of its branches: {branches}",
        )


def _single_step_reference(value: StepRef | ItemRef, path: KeyPath) -> Diagnostic:
    """`${steps...}` or `${item}` in a single-step job's `args`: it has no
    other steps and no elements."""
    if isinstance(value, ItemRef):
        return Diagnostic(
            f"{value} is only defined in a for_each step, and a single-step job "
            "has none",
            path,
            "run the handler once per element in a for_each step under `steps:`",
        )
    return Diagnostic(
        f"{value}: a single-step job has no steps whose results it could use",
        path,
        "pass ${input.FIELD} or a literal; a job with `steps:` can pass one "
        "step's result to the next",
    )
