"""The Temporal view of a plan: names, imports and argument lists, decided once.

Templates only lay out what this module computes, so every name that reaches
generated code is derived here from validated plan values, and each choice
(what an activity is called, which module alias a handler gets) is made in
one place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from lichc.engines.temporal import options
from lichc.fileformat.values import InputRef, Literal_, PyRef, StepRef
from lichc.plan.ir import (
    InputField,
    Job,
    ParallelStep,
    Plan,
    RunStep,
    SleepStep,
    Step,
    WaitStep,
)
from lichc.render.imports import Imports
from lichc.render.names import PYTHON_NAMES, Names
from lichc.render.pysource import (
    py_call,
    py_literal,
    py_seconds,
    py_str,
    py_timedelta,
    py_tuple,
)

# Names the activities module defines or imports itself; handler modules and
# activity functions never take them.
_ACTIVITY_MODULE_NAMES = frozenset(
    {
        "Any",
        "ApplicationError",
        "AsyncIterator",
        "Awaitable",
        "Callable",
        "CancelledError",
        "HANDLERS",
        "Handler",
        "Heartbeat",
        "Iterator",
        "T",
        "TypeVar",
        "activity",
        "annotations",
        "as_async",
        "asynccontextmanager",
        "asyncio",
        "check",
        "check_handlers",
        "contextmanager",
        "contextvars",
        "functools",
        "inspect",
        "non_retryable",
        "shaped",
        "threading",
        "with_heartbeat",
    }
)


# Names an activity's own code uses besides its handler's module: a parameter
# of the same name would hide them.
_ACTIVITY_BODY_NAMES = frozenset(
    {
        "ApplicationError",
        "CancelledError",
        "Exception",
        "Heartbeat",
        "as_async",
        "error",
        "heartbeat",
        "non_retryable",
        "with_heartbeat",
    }
)


@dataclass(frozen=True)
class Param:
    name: str  # the handler's keyword
    annotation: str
    local: str  # the activity's parameter: the keyword, unless that would hide a name


@dataclass(frozen=True)
class Activity:
    function: str  # Python name in temporal_activities.py: one of its shapes
    sync_function: str  # the shape for a `def` handler
    async_function: str  # the shape for an `async def` handler
    type_name: str  # the activity type (spec section 7)
    job: Job
    step: RunStep  # its options: the step's own, also for its compensation
    compensation: bool
    handler: str  # expression calling the handler, e.g. orders.validate_order
    handler_ref: PyRef
    params: tuple[Param, ...]
    values: tuple[object, ...]  # InputRef | StepRef | Literal_, one per parameter
    non_retryable: tuple[str, ...]  # exception expressions
    retry_on: tuple[str, ...]
    heartbeat_every: str | None  # seconds between automatic heartbeats

    @property
    def keywords(self) -> str:
        """The keywords the handler is called with, as a tuple literal."""
        # an argument of Handler(...) in HANDLERS, at indent 8 when exploded
        return py_tuple([py_str(p.name) for p in self.params], 8)

    def shape(self, is_async: bool) -> str:
        return self.async_function if is_async else self.sync_function

    def opening(self, indent: int, is_async: bool) -> str:
        """`return [await ]handler(`, the start of the handler call at `indent`."""
        lead = "return " + ("await " if is_async else "")
        handler = f"as_async({self.handler})" if is_async else self.handler
        if self.heartbeat_every is None:
            return f"{lead}{handler}("
        wrap = [handler, "heartbeat"]
        return py_call("with_heartbeat", wrap, indent, "(", lead=lead)

    @property
    def retries_everything(self) -> bool:
        """retry_on lists Exception itself: nothing is left to refuse."""
        return bool({"Exception", "BaseException"} & set(self.retry_on))

    def summary(self, is_async: bool) -> str:
        what = "compensation of step" if self.compensation else "step"
        shape = "an async" if is_async else "a sync"
        runs = f"runs {self.handler_ref}, {shape} handler."
        if self.job.single:
            return f"Job {self.job.name}: {runs}"
        return f"{self.job.name}, {what} {self.step.name}: {runs}"


@dataclass(frozen=True)
class Call:
    """One activity call inside a workflow: what to call and with which values."""

    activity: Activity
    config: str  # the ActivityConfig constant holding its options
    waits: frozenset[str]  # steps whose results are signal payloads

    @property
    def values(self) -> tuple[object, ...]:
        return self.activity.values

    def args(self, indent: int) -> list[str]:
        """Each argument as a Python expression evaluated in the workflow."""
        return [_value_expr(v, self.waits, indent) for v in self.values]


@dataclass(frozen=True)
class RunView:
    kind = "run"
    step: RunStep
    call: Call
    undo: Call | None

    @property
    def undo_needs_result(self) -> bool:
        """The compensation's args use the step's own result, which a step
        cancelled while it ran never returned."""
        if self.undo is None:
            return False
        return any(
            isinstance(v, StepRef) and v.step == self.step.name
            for v in self.undo.values
        )


@dataclass(frozen=True)
class Config:
    name: str
    step: RunStep
    timeouts: tuple[tuple[str, str], ...]
    retry: tuple[tuple[str, str], ...]
    cancellation_type: str | None  # ActivityCancellationType member, if not the default


@dataclass(frozen=True)
class WorkflowView:
    job: Job
    cls: str
    input_model: str
    steps: tuple[Any, ...]  # RunView | SleepStep | WaitStep | ParallelView
    signal_methods: tuple[tuple[str, WaitStep], ...]
    returns: str
    execution_timeout: timedelta | None
    id_expr: str | None  # f-string over `input`, or None for a random id

    @property
    def kwargs(self) -> list[str]:
        return [f"{f.name}={f.name}" for f in self.job.inputs]

    @property
    def client_param(self) -> str:
        """The client functions' positional client parameter: not an input field."""
        return free_name("client", self.job.input_names)

    @property
    def fields_local(self) -> str:
        """start_x's dict of fields (with mutable defaults): not an input field."""
        return free_name("fields", self.job.input_names)

    @property
    def mutable_defaults(self) -> tuple[str, ...]:
        """Inputs whose default is a list or dict: None in signatures (B006)."""
        return tuple(
            f.name
            for f in self.job.inputs
            if f.has_default and isinstance(f.default, list | dict)
        )


@dataclass(frozen=True)
class ParallelView:
    kind = "parallel"
    step: ParallelStep
    branches: tuple[tuple[str, RunView], ...]  # (coroutine function name, branch)


@dataclass(frozen=True)
class Queue:
    name: str
    workflows: tuple[str, ...]
    activities: tuple[str, ...]
    per_second: float | None


@dataclass(frozen=True)
class ScheduleView:
    id: str
    workflow_id: str  # base of the runs' ids (Temporal appends the scheduled time)
    job: Job
    workflow: WorkflowView
    cron: str
    timezone: str
    input: str  # the input model, built from the schedule's literal input


@dataclass(frozen=True)
class TemporalView:
    activities: tuple[Activity, ...]
    imports: tuple[str, ...]  # import lines of handler modules, sorted like ruff
    configs: tuple[Config, ...]
    workflows: tuple[WorkflowView, ...]
    queues: tuple[Queue, ...]
    schedules: tuple[ScheduleView, ...]

    @property
    def any_heartbeat(self) -> bool:
        return any(a.heartbeat_every is not None for a in self.activities)

    @property
    def classified(self) -> bool:
        return any(a.non_retryable or a.retry_on for a in self.activities)


def free_name(name: str, taken: Iterable[str]) -> str:
    """`name`, else `name_`, `name__`...: the first that is not `taken`."""
    used = set(taken)
    while name in used:
        name += "_"
    return name


def build(plan: Plan) -> TemporalView:
    jobs = plan.jobs_on("temporal")
    modules = _Modules()
    functions = Names(_ACTIVITY_MODULE_NAMES | PYTHON_NAMES)
    constants = Names(())
    activities: list[Activity] = []
    configs: list[Config] = []
    workflows: list[WorkflowView] = []

    # activity function names first: module aliases must not take them
    pending: list[tuple[Job, RunStep, bool, str, tuple[str, str, str]]] = []
    for job in jobs:
        for step in job.run_steps():
            for compensation in (False, True) if step.compensate else (False,):
                type_name = options.activity_type(job, step, compensation=compensation)
                function = functions.take(_ident(type_name))
                shapes = tuple(functions.take(f"{function}_{s}") for s in _SHAPES)
                names = (function, shapes[0], shapes[1])
                pending.append((job, step, compensation, type_name, names))
    modules.reserve(functions.taken)
    made: dict[tuple[str, str, bool], Activity] = {}
    for job, step, compensation, type_name, names in pending:
        activity = _activity(job, step, compensation, type_name, names, modules)
        activities.append(activity)
        made[(job.name, step.name, compensation)] = activity

    for job in jobs:
        step_configs: dict[str, str] = {}
        for step in job.run_steps():
            name = constants.take(f"{job.snake}_{step.name}".upper())
            step_configs[step.name] = name
            configs.append(_config(name, step))
        workflows.append(_workflow(job, made, step_configs))

    queues = _queues(plan, activities, workflows)
    by_job = {w.job.name: w for w in workflows}
    schedules = tuple(
        ScheduleView(
            options.schedule_id(plan, job, i),
            job.id_for(s.input) or options.schedule_id(plan, job, i),
            job,
            by_job[job.name],
            s.cron,
            s.timezone,
            _model_call(job, s.input),
        )
        for job in jobs
        for i, s in enumerate(job.schedules)
    )
    return TemporalView(
        tuple(activities),
        modules.import_lines(),
        tuple(configs),
        tuple(workflows),
        queues,
        schedules,
    )


# -- activities ---------------------------------------------------------------------

_SHAPES = ("sync", "async")  # name suffixes of an activity's two shapes


def _activity(
    job: Job,
    step: RunStep,
    compensation: bool,
    type_name: str,
    names: tuple[str, str, str],  # the activity, its sync and its async shape
    modules: _Modules,
) -> Activity:
    handler = step.handler
    args = step.args
    if compensation:
        assert step.compensate is not None
        handler = step.compensate.handler
        if step.compensate.args is not None:
            args = step.compensate.args
    # without `args` the handler takes the job's inputs
    named = (
        [(f.name, InputRef(f.name)) for f in job.inputs]
        if args is None
        else [(a.name, a.value) for a in args]
    )
    handler_expr = modules.expr(handler)
    non_retryable = tuple(modules.expr(e) for e in step.retry.non_retryable)
    retry_on = tuple(modules.expr(e) for e in step.retry.retry_on)
    # Temporal passes activity arguments by position, so a parameter that
    # would hide a module or helper the body uses can take another name.
    used = {e.split(".")[0] for e in (handler_expr, *non_retryable, *retry_on)}
    taken = set(used | _ACTIVITY_BODY_NAMES)
    params = []
    for name, value in named:
        local = free_name(name, taken)
        taken.add(local)
        params.append(Param(name, _annotation(job, value), local))
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
        handler_ref=handler,
        params=tuple(params),
        values=tuple(value for _, value in named),
        non_retryable=non_retryable,
        retry_on=retry_on,
        heartbeat_every=py_seconds(interval) if interval is not None else None,
    )


def _annotation(job: Job, value: object) -> str:
    if isinstance(value, InputRef):
        field = _input(job, value.field)
        return field.type.python()
    if isinstance(value, Literal_):
        literal = value.value
        if literal is None:
            return "None"
        for kind in (bool, int, float, str):
            if isinstance(literal, kind):
                return kind.__name__
        return "dict[str, Any]" if isinstance(literal, dict) else "list[Any]"
    return "Any"


def _input(job: Job, name: str) -> InputField:
    return next(f for f in job.inputs if f.name == name)


def _ident(type_name: str) -> str:
    return type_name.replace(".", "_")


class _Modules:
    """Import lines for handler and exception modules, and how code names them.

    `from examples.shop import orders` when the last part of the module path is
    free; otherwise `import examples.shop.orders` and the full dotted path when
    its top package is free (or imported dotted already); otherwise
    `from examples.shop import orders as orders_2`.
    """

    def __init__(self) -> None:
        self._reserved: set[str] = set(_ACTIVITY_MODULE_NAMES | PYTHON_NAMES)
        self._alias: dict[str, str | None] = {}  # module -> alias (None: dotted)

    def reserve(self, names: set[str]) -> None:
        self._reserved |= names

    def expr(self, ref: PyRef) -> str:
        if ref.module == "builtins":
            return ref.name
        if ref.module not in self._alias:
            self._alias[ref.module] = self._choose(ref.module)
        alias = self._alias[ref.module]
        return f"{alias or ref.module}.{ref.name}"

    def _choose(self, module: str) -> str | None:
        taken = {a for a in self._alias.values() if a} | self._reserved
        tops = {m.split(".", 1)[0] for m, a in self._alias.items() if a is None}
        last, top = module.rsplit(".", 1)[-1], module.split(".", 1)[0]
        if last not in taken and last not in tops:
            return last
        if top not in taken:
            return None  # `import a.b.c` binds `a`, which dotted imports share
        return free_name(f"{last}_2", taken | tops)

    def import_lines(self) -> tuple[str, ...]:
        imports = Imports()
        for module, alias in self._alias.items():
            parent, _, last = module.rpartition(".")
            if alias is None or not parent:
                imports.add_module(module, alias)
            else:
                imports.add(parent, last, alias)
        return tuple(imports.lines())


# -- workflows -----------------------------------------------------------------------


def _config(name: str, step: RunStep) -> Config:
    timeouts = tuple(
        (key, py_timedelta(value))
        for key, value in options.activity_timeouts(step).items()
    )
    return Config(
        name,
        step,
        timeouts,
        tuple(options.retry_policy(step).items()),
        options.cancellation_type(step),
    )


def _workflow(
    job: Job,
    made: dict[tuple[str, str, bool], Activity],
    configs: dict[str, str],
) -> WorkflowView:
    waits = frozenset(w.name for w in job.signals)

    def run_view(step: RunStep) -> RunView:
        call = Call(made[(job.name, step.name, False)], configs[step.name], waits)
        undo = None
        if step.compensate is not None:
            undo = Call(made[(job.name, step.name, True)], configs[step.name], waits)
        return RunView(step, call, undo)

    steps: list[Any] = []
    for step in job.steps:
        steps.append(_step_view(step, run_view))
    methods = Names({"run", "status"})
    signal_methods = tuple((methods.take(w.signal), w) for w in job.signals)
    return WorkflowView(
        job=job,
        cls=job.workflow_class,
        input_model=job.input_model,
        steps=tuple(steps),
        signal_methods=signal_methods,
        returns="Any" if job.single else "dict[str, Any]",
        execution_timeout=options.execution_timeout(job),
        id_expr=_id_expr(job),
    )


def _step_view(step: Step, run_view: Any) -> Any:
    if isinstance(step, RunStep):
        return run_view(step)
    if isinstance(step, ParallelStep):
        return ParallelView(
            step, tuple((f"branch_{b.name}", run_view(b)) for b in step.branches)
        )
    assert isinstance(step, SleepStep | WaitStep)
    return step


def _value_expr(value: object, waits: frozenset[str], indent: int) -> str:
    if isinstance(value, InputRef):
        return f"input.{value.field}"
    if isinstance(value, StepRef):
        result = f"results[{py_str(value.step)}]"
        if value.field is None:
            return result
        helper = "payload_field" if value.step in waits else "result_field"
        parts = ["results", py_str(value.step), py_str(value.field)]
        # laid out with its comma in the list, which the template writes
        return py_call(helper, parts, indent, ",").removesuffix(",")
    assert isinstance(value, Literal_)
    return py_literal(value.value, indent)


def _id_expr(job: Job) -> str | None:
    if job.id is None:
        return None
    if not job.id.fields:
        return py_str(str(job.id))
    # text parts never hold braces (the id parser rejects them), so the
    # placeholders are the only replacement fields of the f-string
    template = "".join(
        "{input." + text + "}" if kind == "field" else text
        for kind, text in job.id.parts
    )
    return "f" + py_str(template)


def _model_call(job: Job, values: dict[str, Any], indent: int = 16) -> str:
    """The job's input model built from literals, as an argument at `indent`."""
    items = [f"{k}={py_literal(v, indent + 4)}" for k, v in values.items()]
    return py_call(job.input_model, items, indent, force=True)


# -- worker -------------------------------------------------------------------------


def _queues(
    plan: Plan, activities: list[Activity], workflows: list[WorkflowView]
) -> tuple[Queue, ...]:
    rates = options.activities_per_second(plan)
    names = plan.queues_on("temporal")
    return tuple(
        Queue(
            name,
            tuple(w.cls for w in workflows if w.job.queue == name),
            tuple(a.function for a in activities if a.step.queue == name),
            rates.get(name),
        )
        for name in names
    )
