"""Rules of a job's control flow (`if`, `end`): the kinds of a condition's
operands, and steps that no path can reach."""

from __future__ import annotations

from collections.abc import Iterator

from lichc.diagnostics import Diagnostic, KeyPath
from lichc.fileformat.values import InputRef, Message, ResultObject, StepRef
from lichc.plan import conditions
from lichc.plan.ir import EndStep, Job, ParallelStep


def end_values(step: EndStep) -> Iterator[tuple[object, KeyPath]]:
    """The values of an end step's result or message that may be references."""
    if step.fail is not None:
        path = (*step.path, "end", "fail")
        yield from ((p, path) for p in _message_refs(step.fail))
    elif isinstance(step.result, ResultObject):
        for key, value in step.result.items:
            yield value, (*step.path, "end", "result", key)
    else:
        yield step.result, (*step.path, "end", "result")


def _message_refs(message: Message) -> Iterator[InputRef | StepRef]:
    return (p for p in message.parts if not isinstance(p, str))


def flow_problems(job: Job) -> Iterator[Diagnostic]:
    for step in job.steps:
        branches = step.branches if isinstance(step, ParallelStep) else ()
        for part in (step, *branches):
            if part.condition is not None:
                path = (*part.path, "if")
                yield from conditions.problems(job, part.condition, path)
    yield from _unreachable(job)


def _unreachable(job: Job) -> Iterator[Diagnostic]:
    """A step after an end step without `if` can never run."""
    ended: EndStep | None = None
    for step in job.steps:
        if ended is not None:
            yield Diagnostic(
                f"step {step.name} can never run: step {ended.name} ends the "
                "job before it",
                (*step.path, "name"),
                f"give step {ended.name} an `if`, or remove the steps after it",
            )
            return
        if isinstance(step, EndStep) and step.condition is None:
            ended = step


def skippable_steps(job: Job) -> frozenset[str]:
    """Steps that may not run (an `if` on them or on their parallel step):
    what reads their results must take None."""
    names = set()
    for step in job.steps:
        if isinstance(step, ParallelStep):
            names |= {
                b.name
                for b in step.branches
                if step.condition is not None or b.condition is not None
            }
        if step.condition is not None:
            names.add(step.name)
    return frozenset(names)
