"""A for_each step's tasks on Celery (runtime/elements.py): the chain's task
that fans the list out, each element's task (the step's own, which calls the
handler), and the chord body that joins the results."""

from __future__ import annotations

from dataclasses import dataclass

from lichc.engines.celery import chain_view, options
from lichc.fileformat.conditions import Condition, reads_item
from lichc.fileformat.values import InputRef, StepRef
from lichc.plan import ir
from lichc.plan.flow import skippable_steps
from lichc.render.names import Names
from lichc.render.pysource import py_call, py_str, py_tuple


@dataclass(frozen=True)
class EachTaskView:
    """The chain's task of a for_each step and its chord body."""

    function: str  # fans the elements out
    name: str
    join_function: str  # the chord body
    join_name: str
    element: str  # the element task's name
    queue: str
    step: ir.RunStep
    fan_out: str  # the runtime call, laid out
    last: bool
    after_end: bool
    unless: str | None  # the step's `if` (one not reading ${item}), negated


def split_condition(step: ir.RunStep) -> tuple[Condition | None, Condition | None]:
    """(the step's `if`, the per-element one): an `if` reading `${item}` is
    checked for each element, any other once for the step."""
    condition = step.condition
    if condition is None or step.for_each is None or not reads_item(condition):
        return condition, None
    return None, condition


def element_unless(job: ir.Job, step: ir.RunStep, uses: set[str]) -> str | None:
    """When an element is passed over: its per-element `if`, negated."""
    _, each = split_condition(step)
    # `last=True`: a rejected element is passed on by element_done, not skipped
    return chain_view.skip_test(job, (each,), uses, last=True)


def each_task(
    plan: ir.Plan,
    job: ir.Job,
    step: ir.RunStep,
    names: Names,
    uses: set[str],
    *,
    last: bool,
    after_end: bool,
    self_name: str,
) -> EachTaskView:
    assert step.for_each is not None
    own, _ = split_condition(step)
    unless = chain_view.skip_test(job, (own,), uses, last=last)
    element = options.task_name(plan, job, step)
    items = _items_expr(job, step.for_each.items, uses)
    inputs, steps = _reads(step)
    fan_out = py_call(
        "fan_out",
        [
            self_name,
            "context",
            py_str(step.name),
            items,
            f"max_parallel={step.for_each.max_parallel}",
            f"element={py_str(element)}",
            f"join={py_str(options.join_task_name(plan, job, step))}",
            f"reads=({py_tuple([py_str(i) for i in inputs])}, "
            f"{py_tuple([py_str(s) for s in steps])})",
            *(["last=True"] if last else []),
        ],
        lead="return ",
        force=True,
    )
    uses.update({"fan_out", "joined"})
    return EachTaskView(
        function=names.take(f"{job.snake}_{step.name}_each"),
        name=options.each_task_name(plan, job, step),
        join_function=names.take(f"{job.snake}_{step.name}_join"),
        join_name=options.join_task_name(plan, job, step),
        element=element,
        queue=job.queue,
        step=step,
        fan_out=fan_out,
        last=last,
        after_end=after_end,
        unless=unless,
    )


def _items_expr(job: ir.Job, items: InputRef | StepRef, uses: set[str]) -> str:
    """The list, read null-safe when its step may have been skipped."""
    if (
        isinstance(items, StepRef)
        and items.field is None
        and items.step in skippable_steps(job)
    ):
        return f'context["steps"].get({py_str(items.step)})'
    if isinstance(items, InputRef):  # as JSON: each element is sent in a message
        return chain_view.input_read(
            next(f for f in job.inputs if f.name == items.field)
        )
    uses |= chain_view.value_reads(job, items)
    return chain_view.arg_expression(job, items)


def _reads(step: ir.RunStep) -> tuple[list[str], list[str]]:
    """The input fields and steps an element's arguments and `if` read: all
    of the context an element task is sent."""
    values: list[object] = [a.value for a in step.args or ()]
    _, each = split_condition(step)
    if each is not None:
        values += [r.value for r in each.refs()]
    inputs = sorted({v.field for v in values if isinstance(v, InputRef)})
    steps = sorted({v.step for v in values if isinstance(v, StepRef)})
    return inputs, steps
