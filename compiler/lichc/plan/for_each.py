"""Rules of `for_each` steps: what the list may be, where `${item}` may be
read, and what a for_each step cannot also do."""

from __future__ import annotations

from collections.abc import Iterator

from lichc.diagnostics import Diagnostic, KeyPath
from lichc.fileformat.values import ITEM_HINT, InputRef, ItemRef
from lichc.plan.ir import Job, ParallelStep, RunStep, Step


def for_each_problems(job: Job) -> Iterator[Diagnostic]:
    for step in job.steps:
        if isinstance(step, ParallelStep):
            for branch in step.branches:
                if branch.for_each is not None:
                    yield Diagnostic(
                        f"branch {branch.name}: a parallel branch cannot be a "
                        "for_each step",
                        branch.for_each.path,
                        "make it a step of its own after the parallel step; its "
                        "elements already run in parallel (max_parallel)",
                    )
        elif isinstance(step, RunStep) and step.for_each is not None:
            yield from _list(job, step)
            args = step.args or ()
            if not any(isinstance(a.value, ItemRef) for a in args):
                yield Diagnostic(
                    f"step {step.name}: a for_each step runs its handler once per "
                    "element, but its args never pass ${item}",
                    step.path if step.args is None else (*step.path, "args"),
                    'pass the element as an argument, e.g. `args: {path: "${item}"}`',
                )
            if step.compensate is not None:
                yield Diagnostic(
                    f"step {step.name}: a for_each step cannot have a compensation",
                    step.compensate.path,
                    "undo the elements in the handler of a later step's "
                    "compensation, or move the elements' work into a job of its own",
                )


def _list(job: Job, step: RunStep) -> Iterator[Diagnostic]:
    """A for_each over an input must be over a list input."""
    assert step.for_each is not None
    items = step.for_each.items
    if not isinstance(items, InputRef):
        return  # a step's result: checked when it runs
    field = next((f for f in job.inputs if f.name == items.field), None)
    if field is not None and field.type.base != "list":
        yield Diagnostic(
            f"for_each: {items} is {field.type}, not a list",
            step.for_each.path,
            f"declare the input field as a list, e.g. `{items.field}: list[str]`",
        )


def item_problems(
    job: Job, value: ItemRef, path: KeyPath, step: Step
) -> Iterator[Diagnostic]:
    """`${item}` read in `step`: only a for_each step has elements, and an
    element of a list of scalars has no fields."""
    if not isinstance(step, RunStep) or step.for_each is None:
        yield Diagnostic(f"{value} is only defined in a for_each step", path, ITEM_HINT)
        return
    items = step.for_each.items
    if value.field is None or not isinstance(items, InputRef):
        return
    field = next((f for f in job.inputs if f.name == items.field), None)
    element = field.type.item if field is not None else None
    if element is not None and element.base != "dict":
        yield Diagnostic(
            f"{value}: the elements of {items} are {element}, which has no fields",
            path,
            "write ${item} for the element itself",
        )
