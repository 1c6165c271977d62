"""How a chain's tasks read the context they are passed: argument values,
the conditions of `if`, and end steps (lichc.fileformat.conditions)."""

from __future__ import annotations

from dataclasses import dataclass

from lichc.engines.celery import options
from lichc.fileformat.conditions import Condition, Logic
from lichc.fileformat.values import (
    InputRef,
    ItemRef,
    Literal_,
    ResultObject,
    ResultValue,
    StepRef,
)
from lichc.plan import ir
from lichc.plan.flow import skippable_steps
from lichc.render.conditions import ITEM, compiled, negated
from lichc.render.names import Names
from lichc.render.pysource import py_call, py_literal, py_str


@dataclass(frozen=True)
class EndTaskView:
    """The task of an end step: completes the job with `value`, or fails it
    with `message` (its parts' expressions), when `when` holds."""

    function: str
    name: str
    queue: str
    step: ir.EndStep
    when: str | None
    value: str | None
    message: tuple[str, ...]
    last: bool
    after_end: bool
    # how many tasks of the job's chain follow it (end_job skips to the last)
    later: int = 0


@dataclass(frozen=True)
class ResultTaskView:
    """The last task of a multi-step job with `result:` (its steps all pass
    the context on): the job's result, checked against `check` (a TypeAdapter
    constant) when the result is typed."""

    function: str
    name: str
    queue: str
    value: str
    check: str | None
    after_end: bool  # an end step may have completed the job with its value


def result_task(
    plan: ir.Plan,
    job: ir.Job,
    names: Names,
    uses: set[str],
    check: str | None,
) -> ResultTaskView:
    assert job.result is not None
    assert job.result.value is not None
    value = result_value(job, job.result.value, uses)
    after_end = any(isinstance(s, ir.EndStep) for s in job.steps)
    if after_end:
        uses.update({"ended", "end_result"})
    if check is not None:
        uses.add("checked_result")
    return ResultTaskView(
        function=names.take(f"{job.snake}_result"),
        name=options.result_task_name(plan, job),
        queue=job.queue,
        value=value,
        check=check,
        after_end=after_end,
    )


def result_value(job: ir.Job, value: ResultValue, uses: set[str]) -> str:
    """An end step's or the job's result as a chain task reads it from the
    context: like args, a field a step that always runs lacks fails the job
    (MissingField), as on Temporal; a step that may be skipped reads null."""

    def expr(item: object) -> str:
        assert isinstance(item, InputRef | StepRef | Literal_)
        uses.update(value_reads(job, item))
        return arg_expression(job, item)

    if isinstance(value, ResultObject):
        items = [f"{py_str(k)}: {expr(v)}" for k, v in value.items]
        return py_call("", items, force=True, brackets="{}")
    return expr(value)


def field_reads(job: ir.Job, step: ir.RunStep) -> set[str]:
    """How a step's arguments read `${steps.S.F}`: `step_field` (the result
    must have it), `field_or_none` (S may have been skipped)."""
    reads: set[str] = set()
    if step.args is None and not job.single:  # the handler takes every input field
        for f in job.inputs:
            reads |= value_reads(job, InputRef(f.name))
    for a in step.args or []:
        reads |= value_reads(job, a.value, step)
    return reads


def value_reads(job: ir.Job, value: object, step: ir.RunStep | None = None) -> set[str]:
    """The runtime function arg_expression calls to read `value`, if any."""
    if isinstance(value, StepRef) and value.field is not None:
        return {"field_or_none" if value.step in skippable_steps(job) else "step_field"}
    if isinstance(value, ItemRef) and value.field is not None:
        return {"item_field"}
    if isinstance(value, InputRef) and _input_field(job, value).type.type_names():
        return {"typed_input"}
    if isinstance(value, ItemRef) and typed_items(job, step) is not None:
        return {"typed_element"}
    return set()


def typed_items(job: ir.Job, step: ir.RunStep | None) -> ir.InputField | None:
    """The list input field a for_each step runs over, when its elements are
    of a named type (so `${item}` is validated into it)."""
    items = step.for_each.items if step is not None and step.for_each else None
    if not isinstance(items, InputRef):
        return None
    field = _input_field(job, items)
    element = field.type.item if field.type.base == "list" else None
    return field if element is not None and element.type_names() else None


def arg_expression(
    job: ir.Job, value: ir.ArgValue, step: ir.RunStep | None = None
) -> str:
    """The value of one argument of a step's handler call (`step`: the
    for_each step whose `${item}` it may read)."""
    if isinstance(value, ItemRef):  # the element task's parameter
        if value.field is not None:
            return py_call("item_field", [ITEM, py_str(value.field)])
        typed = typed_items(job, step)
        if typed is None:
            return ITEM
        return py_call("typed_element", [job.input_model, py_str(typed.name), ITEM])
    if isinstance(value, InputRef):
        field = _input_field(job, value)
        read = input_read(field)
        if not field.type.type_names():
            return read
        # the context holds JSON: a named type is validated into its model or enum
        return py_call("typed_input", [job.input_model, py_str(field.name), read])
    if isinstance(value, StepRef):
        if value.field is None:
            return f'context["steps"][{py_str(value.step)}]'
        # step_field: a missing field fails at once, unretried; field_or_none:
        # None when the step was skipped
        skippable = value.step in skippable_steps(job)
        parts = ["context", py_str(value.step), py_str(value.field)]
        return py_call("field_or_none" if skippable else "step_field", parts)
    return py_literal(value.value)


def _input_field(job: ir.Job, ref: InputRef) -> ir.InputField:
    return next(f for f in job.inputs if f.name == ref.field)


def input_read(field: ir.InputField) -> str:
    """An input field read from a chain's context: with its default when it
    has one, since a chain sent before the field was added has no value."""
    key = py_str(field.name)
    if field.has_default:
        return f'context["input"].get({key}, {py_literal(field.default)})'
    if field.type.optional:
        return f'context["input"].get({key})'
    return f'context["input"][{key}]'


def condition_expr(job: ir.Job, condition: Condition, uses: set[str]) -> str:
    """A condition as a chain task's Python: inputs from the context's input,
    step results null-safe; `uses` collects the runtime helpers it calls."""

    def read_input(name: str) -> str:
        return input_read(next(f for f in job.inputs if f.name == name))

    return compiled(job, condition, read_input, ('context["steps"]', "context"), uses)


def skip_test(
    job: ir.Job,
    conditions: tuple[Condition | None, ...],
    uses: set[str],
    *,
    last: bool,
) -> str | None:
    """When a chain task is skipped: its conditions (all must hold), negated,
    as Python; None without any. A skipped task that is not the last passes
    the context on through `skipped`."""
    held = [c for c in conditions if c is not None]
    if not held:
        return None
    tree = held[0].tree if len(held) == 1 else Logic("and", tuple(c.tree for c in held))
    text = " and ".join(c.text for c in held)
    if not last:
        uses.add("skipped")
    return condition_expr(job, Condition(text, negated(tree)), uses)


def end_task(
    plan: ir.Plan,
    job: ir.Job,
    step: ir.EndStep,
    names: Names,
    uses: set[str],
    last: bool,
    after_end: bool,
) -> EndTaskView:
    def expr(value: object) -> str:
        # read like args: a field a step that always runs lacks fails the job
        # (MissingField), as on Temporal; a step that may be skipped reads null
        assert isinstance(value, InputRef | StepRef | Literal_)
        uses.update(value_reads(job, value))
        return arg_expression(job, value)

    when = condition_expr(job, step.condition, uses) if step.condition else None
    value = None
    message: tuple[str, ...] = ()
    if step.fail is not None:
        uses.update({"JobFailed", "message"})
        message = tuple(
            py_str(p) if isinstance(p, str) else expr(p) for p in step.fail.parts
        )
    else:
        assert step.result is not None
        value = result_value(job, step.result, uses)
    if value is not None and not last:
        uses.add("end_job")
    return EndTaskView(
        function=names.take(f"{job.snake}_{step.name}"),
        name=options.task_name(plan, job, step),
        queue=job.queue,
        step=step,
        when=when,
        value=value,
        message=message,
        last=last,
        after_end=after_end,
    )
