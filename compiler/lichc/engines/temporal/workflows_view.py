"""The workflows of a Temporal view: each job's steps as activity calls,
timers and signal waits, and the ActivityConfig constants they use."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from lichc.engines.temporal import options, payloads_view
from lichc.engines.temporal.activities_view import Activity
from lichc.fileformat.conditions import Condition, reads_item
from lichc.fileformat.values import (
    InputRef,
    ItemRef,
    Literal_,
    ResultObject,
    ResultValue,
    StepRef,
)
from lichc.plan.flow import skippable_steps
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
from lichc.render.conditions import ITEM, compiled, negated
from lichc.render.names import Names, option_names, options_doc

if TYPE_CHECKING:
    from lichc.engines.temporal.versions_view import Removed
    from lichc.evolution.history import JobVersions
from lichc.render.pysource import py_call, py_literal, py_str, py_timedelta

# What a workflow's `_steps` method binds itself: branch functions never take them
_STEPS_LOCALS = frozenset({"self", "input", "job", "results", "result", ITEM})

# the keyword options of start_x / run_x (and their _sync wrappers), in
# order, and what each one does (their docstrings list them)
START_OPTIONS = ("id", "queue", "delay", "memo", "search_attributes")
OPTION_MEANING = {
    "id": "the workflow id",
    "queue": "the workflow's task queue, its activities keep their own",
    "delay": "start the run that much later (start_delay)",
    "memo": "the run's memo",
    "search_attributes": "the run's typed search attributes",
}


@dataclass(frozen=True)
class Call:
    """One activity call inside a workflow: what to call and with which values."""

    target: str  # `activities.f`, or a removed step's activity type as a string
    config: str  # the ActivityConfig constant holding its options
    waits: frozenset[str]  # steps whose results are signal payloads
    keywords: tuple[str, ...]  # the handler's keywords, one per value
    values: tuple[object, ...]  # InputRef | StepRef | Literal_, one per keyword
    args_class: str | None  # `activities.JobStepArgs`; None: a removed step's dict
    skippable: frozenset[str] = frozenset()  # steps with an `if`: may read None

    def arg(self) -> str:
        """The activity's one argument, built in the workflow."""
        values = [_value_expr(v, self.waits, self.skippable) for v in self.values]
        pairs = zip(self.keywords, values, strict=True)
        if self.args_class is None:
            items = [f"{py_str(k)}: {v}" for k, v in pairs]
            return py_call("", items, force=True, brackets="{}")
        return py_call(self.args_class, [f"{k}={v}" for k, v in pairs], force=True)


@dataclass(frozen=True)
class Each:
    """A for_each step: its element function runs the activity per element."""

    function: str  # the element function's name, local to `_steps`
    items: str  # the list's expression
    helper: str | None  # the runtime function `items` calls, if any
    max_parallel: int
    # an `if` that reads `${item}` is checked per element: when it is false
    unless: str | None = None


@dataclass(frozen=True)
class RunView:
    kind = "run"
    name: str
    call: Call
    undo: Call | None
    condition: Condition | None = None
    when: str | None = None  # a branch's own `if`, as Python (set last)
    each: Each | None = None

    @property
    def undo_needs_result(self) -> bool:
        """The compensation's args use the step's own result, which a step
        cancelled while it ran never returned."""
        if self.undo is None:
            return False
        return any(
            isinstance(v, StepRef) and v.step == self.name for v in self.undo.values
        )


@dataclass(frozen=True)
class ChildView:
    """A job step: the child workflow it starts, and its input."""

    kind = "job"
    name: str
    target: str  # `ChildWorkflow.run`, or a removed step's workflow type as a string
    arg: str  # the child's input: its model, or a removed step's dict
    queue: str
    condition: Condition | None = None
    helpers: frozenset[str] = frozenset()  # runtime functions `arg` calls


def child_view(
    job: Job,
    step: JobStep,
    child: Job,
    waits: frozenset[str],
    skippable: frozenset[str],
) -> ChildView:
    from lichc.plan.job_steps import child_args

    args = child_args(job, step, child)
    items = [f"{a.name}={_value_expr(a.value, waits, skippable)}" for a in args]
    arg = py_call(child.input_model, items, force=bool(items))
    target = f"{child.workflow_class}.run"
    helpers = value_helpers([a.value for a in args], waits, skippable)
    return ChildView(step.name, target, arg, child.queue, step.condition, helpers)


def value_helpers(
    values: Sequence[object], waits: frozenset[str], skippable: frozenset[str]
) -> frozenset[str]:
    """The runtime functions reading these values call."""
    found = (_helper(v, waits, skippable) for v in values)
    return frozenset(h for h in found if h is not None)


@dataclass(frozen=True)
class Config:
    name: str
    queue: str
    timeouts: tuple[tuple[str, str], ...]
    retry: tuple[tuple[str, str], ...]
    cancellation_type: str | None  # ActivityCancellationType member, if not the default


@dataclass(frozen=True)
class WorkflowView:
    job: Job
    cls: str
    input_model: str
    steps: tuple[Any, ...]  # RunView | SleepStep | WaitStep | ParallelView
    guarded: tuple[Any, ...]  # versions_view.Guarded: the steps with their versions
    pin_args: str | None  # JobRun.pin_version's arguments, when versions are kept
    history: tuple[str, ...]  # comment lines: the live versions and their changes
    deadline_expr: str | None  # the job timeout by version, when versions differ
    signal_methods: tuple[tuple[str, WaitStep], ...]
    payloads: payloads_view.Payloads
    returns: str  # the workflow's result type: run's, and the client's
    execution_timeout: timedelta | None
    id_expr: str | None  # f-string over `input`, or None for a random id
    client_param: str  # the client functions' positional client parameter
    fields_local: str  # start_x's dict of fields (with mutable defaults)
    # start options (START_OPTIONS) -> their keywords in start_x / run_x
    options: dict[str, str] = field(default_factory=dict)
    # runtime functions its conditions and end steps call
    helpers: frozenset[str] = frozenset()
    # `result:`: the TypeAdapter constant that checks the result (a typed
    # result) and the expression the steps end with (a multi-step job's value)
    result_check: str | None = None
    result_value: str | None = None

    @property
    def steps_returns(self) -> str:
        """`_steps`'s result type: Any when `run` checks it at run time."""
        return "Any" if self.result_check else self.returns

    @property
    def start_doc(self) -> str:
        """The start functions' paragraph on their options."""
        meaning = dict(OPTION_MEANING)
        if self.job.id is not None:
            meaning["id"] = (
                f"must be what the id template {self.job.id} gives for the input "
                "(ValueError otherwise)"
            )
        else:
            meaning["id"] = "the workflow id (default: the job name and a uuid)"
        meaning["queue"] += f" (default {self.job.queue})"
        return options_doc(self.options, meaning)

    def answers_of(self, wait: WaitStep) -> tuple[payloads_view.AnswerView, ...]:
        """The Update answering `wait`'s signal, if it is typed."""
        return tuple(a for a in self.payloads.answers if a.wait.signal == wait.signal)

    @property
    def kwargs(self) -> list[str]:
        return [f"{f.name}={f.name}" for f in self.job.inputs]

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

    @property
    def condition(self) -> Condition | None:
        return self.step.condition


@dataclass(frozen=True)
class EndView:
    """An end step: `value` is the result's expression, or `message` the
    failure's parts (text literals and value expressions)."""

    kind = "end"
    name: str
    condition: Condition | None
    value: str | None
    message: tuple[str, ...]
    helpers: frozenset[str]  # runtime functions the expressions call


def end_view(
    step: EndStep, waits: frozenset[str], skippable: frozenset[str]
) -> EndView:
    helpers: set[str] = set()

    def expr(value: object) -> str:
        helper = _helper(value, waits, skippable)
        if helper is not None:
            helpers.add(helper)
        return _value_expr(value, waits, skippable)

    if step.fail is not None:
        parts = tuple(
            py_str(p) if isinstance(p, str) else expr(p) for p in step.fail.parts
        )
        return EndView(step.name, step.condition, None, parts, frozenset(helpers))
    value = result_expr(step.result, expr)
    return EndView(step.name, step.condition, value, (), frozenset(helpers))


def result_expr(value: ResultValue | None, expr: Callable[[object], str]) -> str:
    if isinstance(value, ResultObject):
        items = [f"{py_str(k)}: {expr(v)}" for k, v in value.items]
        return py_call("", items, force=True, brackets="{}")
    return expr(value)


def condition_expr(job: Job, condition: Condition, used: set[str]) -> str:
    """A condition as the workflow's Python: inputs from the input model,
    step results null-safe; `used` collects the runtime helpers it calls."""
    return compiled(
        job, condition, lambda name: f"input.{name}", ("results", "results"), used
    )


def build_config(name: str, step: RunStep) -> Config:
    timeouts = tuple(
        (key, py_timedelta(value))
        for key, value in options.activity_timeouts(step).items()
    )
    return Config(
        name,
        step.queue,
        timeouts,
        tuple(options.retry_policy(step).items()),
        options.cancellation_type(step),
    )


def build_workflow(
    job: Job,
    cls: str,
    made: dict[tuple[str, str, bool], Activity],
    configs: dict[str, str],
    module_names: Names,
    evolution: Evolved | None = None,
    jobs: Mapping[str, Job] | None = None,
) -> WorkflowView:
    """`module_names`: temporal_workflows.py's, for the payload models it imports."""
    from lichc.engines.temporal import versions_view

    live = evolution.versions if evolution else None
    waits = frozenset(w.name for w in job.signals)
    skippable = skippable_steps(job)
    if live is not None:
        waits |= {m.entry.name for m in live.merged if m.entry.kind == "wait_for"}
        skippable |= {m.entry.name for m in live.merged if m.entry.when is not None}
    used: set[str] = set()  # runtime helpers the conditions call

    def call(step: RunStep, compensation: bool) -> Call:
        activity = made[(job.name, step.name, compensation)]
        return Call(
            f"activities.{activity.function}",
            configs[step.name],
            waits,
            tuple(p.name for p in activity.params),
            activity.values,
            f"activities.{activity.args_class}",
            skippable,
        )

    def when(condition: Condition | None) -> str | None:
        if condition is None:
            return None
        return condition_expr(job, condition, used)

    branches = Names(_STEPS_LOCALS)

    def run_view(step: RunStep) -> RunView:
        undo = call(step, True) if step.compensate is not None else None
        each = None
        if step.for_each is not None:
            each = Each(
                branches.take(f"each_{step.name}"),
                *items_expr(step.for_each.items, waits, skippable),
                step.for_each.max_parallel,
            )
        return RunView(step.name, call(step, False), undo, step.condition, each=each)

    def with_whens(g: versions_view.Guarded) -> versions_view.Guarded:
        """The step's `if` and its branches' as Python: for the current
        steps and the removed ones alike, whose conditions the record keeps.
        A for_each step's `if` that reads `${item}` is checked per element."""
        view = g.view
        if (
            isinstance(view, RunView)
            and view.each is not None
            and view.condition is not None
            and reads_item(view.condition)
        ):
            c = view.condition
            each = replace(view.each, unless=when(Condition(c.text, negated(c.tree))))
            return replace(g, view=replace(view, each=each, condition=None))
        if isinstance(view, ParallelView):
            branches = tuple(
                (fn, replace(b, when=when(b.condition))) for fn, b in view.branches
            )
            view = replace(view, branches=branches)
        return replace(g, view=view, when=when(getattr(view, "condition", None)))

    def view_of(step: Step, branches: Names) -> Any:
        if isinstance(step, EndStep):
            return end_view(step, waits, skippable)
        if isinstance(step, JobStep):
            assert jobs is not None
            return child_view(job, step, jobs[step.job], waits, skippable)
        return _step_view(step, run_view, branches)

    steps = tuple(view_of(step, branches) for step in job.steps)
    guarded: tuple[versions_view.Guarded, ...] = tuple(
        versions_view.Guarded(s, None, ()) for s in steps
    )
    waits_of = list(job.signals)
    if evolution is not None and live is not None:
        current = {_name(s): s for s in steps}
        removed_view = versions_view.removed_builder(
            job.snake, evolution.names, branches, waits, evolution.removed, skippable
        )
        guarded = versions_view.guarded(live, current, removed_view)
        known = {w.signal for w in waits_of}
        for g in guarded:
            if isinstance(g.view, WaitStep) and g.view.signal not in known:
                known.add(g.view.signal)
                waits_of.append(g.view)
    guarded = tuple(with_whens(g) for g in guarded)
    steps = tuple(g.view for g in guarded)
    for view in steps:
        if isinstance(view, EndView):
            used |= view.helpers
    pin_args = versions_view.pin_args(live) if live else None
    methods = Names({"run", "status"})
    signal_methods = tuple((methods.take(w.signal), w) for w in waits_of)
    payloads = payloads_view.build(job, waits_of, live, module_names, methods)
    # parameters of the client functions, beside the input fields
    start_options = option_names(job.input_names, START_OPTIONS)
    client_locals = Names({*job.input_names, *start_options.values()})
    result = job.result
    result_value = None
    if result is not None and result.value is not None:
        # an old version may lack a step the value reads: None, which the
        # type check then refuses, rather than a workflow task that fails
        every = frozenset(s.name for s in job.named_steps()) if live else skippable

        def expr(value: object) -> str:
            helper = _helper(value, waits, every)
            if helper is not None:
                used.add(helper)
            if isinstance(value, StepRef) and value.field is None and live:
                return py_call("results.get", [py_str(value.step)])
            return _value_expr(value, waits, every)

        result_value = result_expr(result.value, expr)
    typed = result is not None and result.type is not None
    return WorkflowView(
        job=job,
        cls=cls,
        input_model=job.input_model,
        steps=steps,
        guarded=guarded,
        pin_args=pin_args,
        history=versions_view.history_comment(live) if live and pin_args else (),
        deadline_expr=versions_view.deadline_expr(live) if live else None,
        signal_methods=signal_methods,
        payloads=payloads,
        returns=result_type(job),
        execution_timeout=options.execution_timeout(job),
        id_expr=_id_expr(job),
        client_param=client_locals.take("client"),
        fields_local=client_locals.take("fields"),
        options=start_options,
        helpers=frozenset(used),
        result_check=module_names.take(f"{job.snake}_result".upper())
        if typed
        else None,
        result_value=result_value,
    )


# what temporal_workflows.py and temporal_client.py call inputs.py (named
# types are `inputs.Name` there; a parameter named `inputs` does not hide it
# from annotations, which are read in the module's scope)
INPUTS = "inputs."


def result_type(job: Job) -> str:
    """What a job's workflow returns, as a type: its `result:` type, else the
    handler's result (single-step) or the steps' and end steps' results."""
    if job.result is not None:
        return job.result.annotation(INPUTS)
    return "Any" if job.single else _returns(job)


def runtime_names(workflows: list[WorkflowView]) -> tuple[str, ...]:
    """What temporal_workflows.py imports from temporal_runtime.py."""
    names = ["JobRun"]  # and JobStatus, which the template re-exports
    helpers: set[str | None] = set()
    for w in workflows:
        helpers |= w.helpers
        for run in _run_views(w):
            for call in (run.call, run.undo):
                if call is not None:
                    helpers |= value_helpers(call.values, call.waits, call.skippable)
            if run.each is not None:
                helpers.add(run.each.helper)
        for step in w.steps:
            if isinstance(step, ChildView):
                helpers |= step.helpers
    names += sorted(h for h in helpers if h is not None)
    return tuple(names)


def _run_views(w: WorkflowView) -> list[RunView]:
    """Every `run` step of the workflow, parallel branches included."""
    runs: list[RunView] = []
    for step in w.steps:
        if isinstance(step, ParallelView):
            runs += [branch for _, branch in step.branches]
        elif isinstance(step, RunView):
            runs.append(step)
    return runs


def _name(view: Any) -> str:
    """The step a view lays out (a SleepStep or WaitStep is its own view)."""
    return str(view.step.name if isinstance(view, ParallelView) else view.name)


@dataclass
class Evolved:
    """What build_workflow needs of a job with several live versions."""

    versions: JobVersions
    names: Names  # temporal_workflows.py's module names (for ActivityConfigs)
    removed: Removed


def _returns(job: Job) -> str:
    """The workflow's result: the steps' results, or an end step's value."""
    kinds = ["dict[str, Any]"]
    for step in job.steps:
        if isinstance(step, EndStep) and step.fail is None:
            kind = _result_type(job, step.result)
            if kind == "Any":
                return "Any"
            if kind not in kinds:
                kinds.append(kind)
    return " | ".join(kinds)


def _result_type(job: Job, value: ResultValue | None) -> str:
    if isinstance(value, ResultObject):
        return "dict[str, Any]"
    if isinstance(value, InputRef):
        return next(f.type.python(INPUTS) for f in job.inputs if f.name == value.field)
    if isinstance(value, Literal_):
        literal = value.value
        if literal is None:
            return "None"
        if isinstance(literal, dict):
            return "dict[str, Any]"
        if isinstance(literal, list):
            return "list[Any]"
        return type(literal).__name__
    return "Any"


def _step_view(step: Step, run_view: Callable[..., RunView], branches: Names) -> Any:
    if isinstance(step, RunStep):
        return run_view(step)
    if isinstance(step, ParallelStep):
        return ParallelView(
            step,
            tuple(
                (branches.take(f"branch_{b.name}"), run_view(b)) for b in step.branches
            ),
        )
    assert isinstance(step, SleepStep | WaitStep)
    return step


def _helper(
    value: object, waits: frozenset[str], skippable: frozenset[str] = frozenset()
) -> str | None:
    """The runtime function reading a `${steps.STEP.NAME}` value, if it is one:
    of a step with `if` (None when it was skipped), a signal's payload, or a
    step's result (which must have the field)."""
    if isinstance(value, ItemRef) and value.field is not None:
        return "item_field"
    if not isinstance(value, StepRef) or value.field is None:
        return None
    if value.step in skippable:
        return "field_or_none"
    return "payload_field" if value.step in waits else "result_field"


def _value_expr(
    value: object, waits: frozenset[str], skippable: frozenset[str] = frozenset()
) -> str:
    if isinstance(value, InputRef):
        return f"input.{value.field}"
    if isinstance(value, ItemRef):  # the element function's parameter
        if value.field is None:
            return ITEM
        return py_call("item_field", [ITEM, py_str(value.field)])
    if isinstance(value, StepRef):
        helper = _helper(value, waits, skippable)
        if helper is None or value.field is None:
            return f"results[{py_str(value.step)}]"
        parts = ["results", py_str(value.step), py_str(value.field)]
        return py_call(helper, parts)
    assert isinstance(value, Literal_)
    return py_literal(value.value)


def items_expr(
    items: InputRef | StepRef, waits: frozenset[str], skippable: frozenset[str]
) -> tuple[str, str | None]:
    """A for_each step's list, as the workflow reads it, and the runtime
    function that reads it (if any)."""
    return _value_expr(items, waits, skippable), _helper(items, waits, skippable)


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


def model_call(job: Job, values: dict[str, Any]) -> str:
    """The job's input model built from literals, one keyword a line."""
    items = [f"{k}={py_literal(v)}" for k, v in values.items()]
    return py_call(job.input_model, items, force=True)
