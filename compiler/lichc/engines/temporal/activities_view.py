"""The activities of a Temporal view: one per `run` step, one per compensation,
with the handler each calls and the parameters it takes."""

from __future__ import annotations

from dataclasses import dataclass

from lichc.engines.temporal import namespaces, options
from lichc.engines.temporal.handler_imports import HandlerModules
from lichc.fileformat.values import InputRef, ItemRef, Literal_, PyRef
from lichc.plan.ir import InputField, Job, RunStep, suffixed
from lichc.render.names import Names
from lichc.render.pysource import py_call, py_default, py_seconds, py_str, py_tuple

SHAPES = ("sync", "async")  # name suffixes of an activity's two shapes


@dataclass(frozen=True)
class Param:
    name: str  # the handler's keyword, and the field of the activity's arguments
    annotation: str
    default: str | None  # the field's default (an input field's), as an expression

    @property
    def declaration(self) -> str:
        """The field in the activity's arguments dataclass."""
        if self.default is None:
            return f"{self.name}: {self.annotation}"
        return f"{self.name}: {self.annotation} = {self.default}"


@dataclass(frozen=True)
class Activity:
    function: str  # Python name in temporal_activities.py: one of its shapes
    sync_function: str  # the shape for a `def` handler
    async_function: str  # the shape for an `async def` handler
    type_name: str  # the activity type (spec section 7)
    job: Job
    step: RunStep  # its options: the step's own, also for its compensation
    compensation: bool
    handler: str  # expression naming the handler, e.g. orders.validate_order
    # what its shapes call: the handler, given a JobContext if it takes one
    # (given_context, bound when the module is imported)
    given: str
    handler_ref: PyRef
    args_class: str  # the dataclass of its one argument, e.g. JobStepArgs
    args_local: str  # the activity's parameter: `args`, unless that would hide a name
    params: tuple[Param, ...]  # the fields of args_class
    values: tuple[object, ...]  # InputRef | StepRef | Literal_, one per parameter
    non_retryable: tuple[str, ...]  # exception expressions
    retry_on: tuple[str, ...]
    heartbeat_every: str | None  # seconds between automatic heartbeats

    @property
    def uses_field(self) -> bool:
        """A field of its arguments has a mutable default (`field(...)`)."""
        return any((p.default or "").startswith("field(") for p in self.params)

    @property
    def keywords(self) -> str:
        """The keywords the handler is called with, as a tuple literal."""
        return py_tuple([py_str(p.name) for p in self.params])

    def shape(self, is_async: bool) -> str:
        return self.async_function if is_async else self.sync_function

    def opening(self, is_async: bool) -> str:
        """`return [await ]handler(`, the start of the handler call."""
        lead = "return " + ("await " if is_async else "")
        handler = f"as_async({self.given})" if is_async else self.given
        if self.heartbeat_every is None:
            return f"{lead}{handler}("
        wrap = [handler, "heartbeat"]
        return py_call("with_heartbeat", wrap, "(", lead=lead)

    @property
    def retries_everything(self) -> bool:
        """retry_on lists Exception itself: nothing is left to refuse."""
        return bool({"Exception", "BaseException"} & set(self.retry_on))

    @property
    def refuses_others(self) -> bool:
        """Some error of its handler becomes a non_retryable() one."""
        return bool(self.non_retryable) or (
            bool(self.retry_on) and not self.retries_everything
        )

    @property
    def args_summary(self) -> str:
        return f"The keyword arguments of {self.handler_ref}."

    @property
    def what(self) -> str:
        return "compensation of step" if self.compensation else "step"

    def summary(self, is_async: bool) -> str:
        shape = "an async" if is_async else "a sync"
        runs = f"runs {self.handler_ref}, {shape} handler."
        if self.job.single:
            return f"Job {self.job.name}: {runs}"
        return f"{self.job.name}, {self.what} {self.step.name}: {runs}"


# the activity, its sync and its async shape, and the class of its argument
ActivityNames = tuple[str, str, str, str]


def activity_names(
    functions: Names, job: Job, step: RunStep, type_name: str, compensation: bool
) -> ActivityNames:
    function = functions.take(type_name.replace(".", "_"))
    sync, async_ = (functions.take(f"{function}_{s}") for s in SHAPES)
    parts = [job.name] if job.single else [job.name, _pascal(step.name)]
    if compensation:
        parts.append("Compensation")
    return function, sync, async_, functions.take(suffixed("".join(parts), "Args"))


def _pascal(snake: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in snake.split("_"))


def runtime_names(activities: list[Activity]) -> tuple[str, ...]:
    """What temporal_activities.py imports from temporal_activity_runtime.py."""
    names = ["shaped", "as_async", "given_context"] if activities else []
    if any(a.heartbeat_every is not None for a in activities):
        names += ["Heartbeat", "with_heartbeat"]
    if any(a.refuses_others for a in activities):
        names.append("non_retryable")
    return tuple(names)


def build_activity(
    job: Job,
    step: RunStep,
    compensation: bool,
    type_name: str,
    names: ActivityNames,
    modules: HandlerModules,
    inputs: str,
) -> Activity:
    """`inputs`: what the module calls inputs.py (the named types' module)."""
    handler, named = handler_call(job, step, compensation)
    handler_expr = modules.expr(handler)
    non_retryable = tuple(modules.expr(e) for e in step.retry.non_retryable)
    retry_on = tuple(modules.expr(e) for e in step.retry.retry_on)
    given = modules.names.take(f"{names[0]}_handler")
    # The activity's one parameter must not hide a module-level name (an
    # import, a helper the body uses); every import is allocated before it.
    locals_ = Names(namespaces.ACTIVITY_BODY, outer=modules.names)
    params = [
        Param(
            name,
            _annotation(job, value, step, inputs + "."),
            _default(job, value, inputs + "."),
        )
        for name, value in named
    ]
    interval = options.heartbeat_interval(step)
    return Activity(
        function=names[0],
        sync_function=names[1],
        async_function=names[2],
        type_name=type_name,
        job=job,
        step=step,
        compensation=compensation,
        handler=handler_expr,
        given=given,
        handler_ref=handler,
        args_class=names[3],
        args_local=locals_.take("args"),
        params=tuple(params),
        values=tuple(value for _, value in named),
        non_retryable=non_retryable,
        retry_on=retry_on,
        heartbeat_every=py_seconds(interval) if interval is not None else None,
    )


def handler_call(
    job: Job, step: RunStep, compensation: bool
) -> tuple[PyRef, list[tuple[str, object]]]:
    """The handler a step's activity (or its compensation's) calls, and its
    keyword arguments: the step's `args`, else the job's input fields."""
    handler = step.handler
    args = step.args
    if compensation:
        assert step.compensate is not None
        handler = step.compensate.handler
        if step.compensate.args is not None:
            args = step.compensate.args
    named: list[tuple[str, object]] = (
        [(f.name, InputRef(f.name)) for f in job.inputs]
        if args is None
        else [(a.name, a.value) for a in args]
    )
    return handler, named


def module_refs(step: RunStep, compensation: bool) -> tuple[PyRef, ...]:
    """The handler and exception classes an activity names, in the order its
    code names them (the order their imports are allocated in)."""
    handler = step.handler
    if compensation:
        assert step.compensate is not None
        handler = step.compensate.handler
    return (handler, *step.retry.non_retryable, *step.retry.retry_on)


def _annotation(job: Job, value: object, step: RunStep, inputs: str) -> str:
    """A field of the arguments dataclass; named types are `<inputs>.Name`."""
    if isinstance(value, InputRef):
        field = _input(job, value.field)
        return field.type.python(inputs)
    items = step.for_each.items if step.for_each else None
    if (
        isinstance(value, ItemRef)
        and value.field is None
        and isinstance(items, InputRef)
    ):
        # an element of a typed list input: decoded as the list's item type
        listed = _input(job, items.field).type
        if listed.base == "list" and listed.item is not None:
            return listed.item.python(inputs)
    if isinstance(value, Literal_):
        literal = value.value
        if literal is None:
            return "None"
        for kind in (bool, int, float, str):
            if isinstance(literal, kind):
                return kind.__name__
        return "dict[str, Any]" if isinstance(literal, dict) else "list[Any]"
    return "Any"


def _default(job: Job, value: object, inputs: str) -> str | None:
    """An input field's default, so that arguments scheduled before the field
    was added to jobs.yaml still decode (lichc.evolution)."""
    if not isinstance(value, InputRef):
        return None
    field = _input(job, value.field)
    if field.has_default:
        literal = py_default(field.type, field.default, inputs)
        if isinstance(field.default, list | dict):
            return f"field(default_factory=lambda: {literal})"
        return literal
    return "None" if field.type.optional else None


def _input(job: Job, name: str) -> InputField:
    return next(f for f in job.inputs if f.name == name)
