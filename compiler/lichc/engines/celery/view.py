"""What the Celery templates render: the plan's Celery jobs as tasks and chains.

Everything that needs a decision (Python names, imports, argument expressions,
the stages of a chain) is computed here, so the templates only lay out code.
Numbers come from `options`, the same functions `lichc explain` reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from lichc.engines.celery import chain_view, child_view, each_view, namespaces, options
from lichc.fileformat.conditions import Condition
from lichc.fileformat.templated import IdTemplate
from lichc.fileformat.values import (
    CRON_FIELDS,
    InputRef,
    Literal_,
    PyRef,
)
from lichc.plan import ir
from lichc.render.imports import Imports
from lichc.render.names import Names, options_doc
from lichc.render.pysource import (
    py_call,
    py_default,
    py_literal,
    py_seconds,
    py_str,
    py_tuple,
)


@dataclass
class TaskView:
    """One `@app.task` that runs a handler: a single-step job or one step."""

    function: str
    policy: str
    name: str
    step: ir.RunStep
    decorator: list[tuple[str, str]]  # keyword -> Python expression
    call: str  # the handler call, laid out
    last: bool  # the last step: returns the handler's result, not the context
    retry: list[tuple[str, str]]  # RetryPolicy keyword -> Python expression
    policy_args: list[tuple[str, str]]
    comment: str  # after `@app.task(`
    task_self: str  # the bound task's parameter: `self`, unless a field takes it
    # when it is skipped: its `if` (and its parallel step's) negated
    unless: str | None = None
    after_end: bool = False  # an end step runs before it: it may pass on
    element: bool = False  # one element of a for_each step (each_view)
    # a single-step job's `result:` type: the TypeAdapter constant checking it
    check: str | None = None


@dataclass(frozen=True)
class JoinView:
    """The task that ends a `parallel` step (chord body): merges the branches."""

    function: str
    name: str
    queue: str
    step: ir.ParallelStep
    last: bool
    after_end: bool = False


@dataclass(frozen=True)
class Sig:
    """One task of a chain as the client builds it: app.signature()'s
    arguments, where the start options may change them."""

    name: str
    queue: str  # the task's own queue
    first: bool  # of the first stage: it takes the context, and the delay
    countdown: timedelta
    expires: timedelta | None

    def parts(self) -> list[str]:
        """The arguments without start options (a job step's chain)."""
        parts = [py_str(self.name)]
        if self.first:
            parts.append("args=(context,)")
        if self.countdown:
            parts.append(f"countdown={py_seconds(self.countdown)}")
        if self.expires is not None:
            parts.append(f"expires={py_seconds(self.expires)}")
        return parts

    def start_parts(
        self, job: ir.Job, opts: dict[str, str], g: dict[str, str]
    ) -> list[str]:
        """The arguments in start_x: a task on the job's queue goes to the
        `queue` option's, the first stage waits for the `delay` option."""
        if not self.first:
            parts = self.parts()
        else:
            base = f", {py_seconds(self.countdown)}" if self.countdown else ""
            parts = [py_str(self.name), "args=(context,)"]
            parts.append(f"countdown={g['countdown']}({opts['delay']}{base})")
            if self.expires is not None:
                expires = py_seconds(self.expires)
                parts.append(f"expires={g['later']}({expires}, {opts['delay']})")
        if self.queue == job.queue:
            parts.append(f"queue={opts['queue']}")
        return parts


@dataclass(frozen=True)
class Stage:
    """One link of a chain as the client builds it: a task or a chord."""

    sigs: list[Sig]  # one task, or the branches
    join: str | None  # the chord body's task name, for a parallel step

    @property
    def signatures(self) -> list[list[str]]:
        """app.signature() arguments of each task, without start options."""
        return [sig.parts() for sig in self.sigs]


@dataclass(frozen=True)
class JobView:
    job: ir.Job
    task_name: str  # options.job_task_name: the job's task, or its launcher's
    model: str  # the input model's name
    tasks: list[TaskView]
    joins: list[JoinView]
    start: str  # the client function
    launcher: str | None  # the task that starts a multi-step job by name
    stages: list[Stage]
    task_id: list[str] | None  # terms of the Celery task id's expression (`id`)
    first_expires: str | None  # single-step: expires of the first send
    params: list[str]  # the input fields as keyword-only parameters, one a line
    local_job: str  # the validated input in a single-step task: `job`, or `job_2`
    ends: list[chain_view.EndTaskView] = field(default_factory=list)
    fan_outs: list[each_view.EachTaskView] = field(default_factory=list)
    children: list[child_view.ChildTaskView] = field(default_factory=list)
    chain_function: str | None = None  # builds its chain for another's job step
    local_self: str = "self"  # an end task's bound-task parameter
    uses: set[str] = field(default_factory=set)  # runtime helpers its tasks call
    # start options (namespaces.START_OPTIONS) -> their keywords in start_x
    options: dict[str, str] = field(default_factory=dict)

    @property
    def later(self) -> bool:
        """Whether start_x moves an expiry or the deadline by its delay."""
        if self.job.single:
            return self.first_expires is not None
        first = self.stages[0].sigs if self.stages else []
        return self.job.deadline is not None or any(
            s.expires is not None for s in first
        )

    @property
    def plain_stages(self) -> list[tuple[list[list[str]], list[str] | None]]:
        """The chain's stages without start options (a job step's chain)."""
        return [
            (stage.signatures, [py_str(stage.join)] if stage.join else None)
            for stage in self.stages
        ]

    def start_stages(
        self, g: dict[str, str]
    ) -> list[tuple[list[list[str]], list[str] | None]]:
        """The chain's stages in start_x: each task's and the join's arguments."""
        queue = f"queue={self.options['queue']}"
        return [
            (
                [sig.start_parts(self.job, self.options, g) for sig in stage.sigs],
                [py_str(stage.join), queue] if stage.join else None,
            )
            for stage in self.stages
        ]

    @property
    def start_doc(self) -> str:
        """start_x's paragraph on its options."""
        job = self.job
        if job.id is not None:
            meaning_id = (
                f"must be what the id template {job.id} gives for the input "
                "(ValueError otherwise)"
            )
        else:
            meaning_id = (
                "the run's task id, sent once per id: a second start returns the "
                "first one's handle (default: a new uuid, sent every time)"
            )
        where = "its task goes" if job.single else "the tasks of its chain on it go"
        meaning = {
            "id": meaning_id,
            "queue": f"where {where} (default {job.queue})",
            "delay": "start that much later (the first message's countdown)",
        }
        return options_doc(self.options, meaning)

    # `result:`: the last task of a multi-step job (computes the result)
    result: chain_view.ResultTaskView | None = None
    # the TypeAdapter constant and the type it checks the job's result with
    checks: tuple[str, str] | None = None


@dataclass(frozen=True)
class TasksModule:
    """celery_tasks.py: the jobs, and the imports of their handlers."""

    jobs: list[JobView]
    imports: list[str]
    aliases: dict[str, str]  # namespaces.TASKS_ALIASED and the start functions
    names: Names  # every other name celery_tasks.py binds


def build(plan: ir.Plan) -> TasksModule:
    # Input fields are parameters of the tasks: no handler may be imported
    # under a field's name, and what a task body calls is aliased around them.
    names, aliases = namespaces.tasks_names(plan.jobs_on("celery"))
    views = [_job_view(plan, job, names, aliases) for job in plan.jobs_on("celery")]
    imports = Imports()
    local: dict[PyRef, str] = {}
    for view in views:
        for task in view.tasks:
            refs = [task.step.handler, *task.step.retry.retry_on]
            refs += task.step.retry.non_retryable
            for ref in refs:
                if ref in local:
                    continue
                if ref.module == "builtins":
                    local[ref] = ref.name
                    continue
                tail = ref.module.rsplit(".", 1)[-1]
                local[ref] = names.take(ref.name, f"{tail}_{ref.name}")
                imports.add(ref.module, ref.name, local[ref])
    for view in views:
        for task in view.tasks:
            task.call = _call(view.job, task, local, aliases)
            r = task.step.retry
            if r.jitter:
                task.retry.append(("jitter", "True"))
            for key in ("retry_on", "non_retryable"):
                refs = getattr(r, key)
                if refs:
                    task.retry.append((key, py_tuple([local[x] for x in refs])))
    return TasksModule(views, imports.lines(), aliases, names)


def _call(
    job: ir.Job, task: TaskView, local: dict[PyRef, str], aliases: dict[str, str]
) -> str:
    """The statement that calls the handler inside `with self.attempt():`.

    Arguments go one a line with a trailing comma, a layout ruff keeps.
    """
    step = task.step
    last = job.single or task.last
    lead = "return " if last and task.check is None else "result = "
    handler = local[step.handler]
    if job.single:
        # the task's validated input: its fields, or the args (literals and
        # ${input.X}; plan/references.py refuses other references here)
        named = (
            [(f.name, InputRef(f.name)) for f in job.inputs]
            if step.args is None
            else [(a.name, a.value) for a in step.args]
        )
        pairs = [(k, _single_arg(aliases["job"], v)) for k, v in named]
    elif step.args is None:
        pairs = [
            (f.name, chain_view.arg_expression(job, InputRef(f.name)))
            for f in job.inputs
        ]
    else:
        pairs = [
            (a.name, chain_view.arg_expression(job, a.value, step)) for a in step.args
        ]
    parts = [handler, *(f"{k}={v}" for k, v in pairs)]
    return py_call(aliases["call"], parts, lead=lead, force=bool(pairs))


def _single_arg(local_job: str, value: object) -> str:
    """One argument of a single-step task's handler call: a field of its
    validated input, or a literal."""
    if isinstance(value, InputRef):
        return f"{local_job}.{value.field}"
    assert isinstance(value, Literal_)
    return py_literal(value.value)


def _job_view(
    plan: ir.Plan, job: ir.Job, names: Names, aliases: dict[str, str]
) -> JobView:
    tasks: list[TaskView] = []
    joins: list[JoinView] = []
    stages: list[Stage] = []
    countdown = timedelta(0)
    runnable = [s for s in job.steps if not isinstance(s, ir.SleepStep)]
    # a job's `result:` value: every step passes the context on to the result task
    valued = job.result is not None and job.result.value is not None
    last_step = runnable[-1] if runnable and not valued else None
    typed = job.result is not None and job.result.type is not None
    check = names.take(f"{job.snake}_result".upper()) if typed else None
    launcher = None if job.single else names.take(job.snake, f"{job.snake}_job")
    ends: list[chain_view.EndTaskView] = []
    fan_outs: list[each_view.EachTaskView] = []
    children: list[child_view.ChildTaskView] = []
    uses: set[str] = set()
    after_end = False  # an end step with `if` came before: tasks may pass on
    end_stages: list[int] = []  # the stage of each end step
    for step in job.steps:
        if isinstance(step, ir.SleepStep):
            countdown += step.duration  # the next task's countdown
            continue
        last = step is last_step
        if after_end:
            uses.update({"ended", "end_result"} if last else {"ended"})
        if isinstance(step, ir.EndStep):
            end = chain_view.end_task(plan, job, step, names, uses, last, after_end)
            ends.append(end)
            end_stages.append(len(stages))
            stages.append(
                Stage(
                    [_signature(end.name, job.queue, countdown, first=not stages)], None
                )
            )
            after_end = True
            countdown = timedelta(0)
            continue
        if isinstance(step, ir.JobStep):
            child = child_view.child_task(
                plan, job, step, names, aliases, uses, last=last, after_end=after_end
            )
            unless = chain_view.skip_test(job, (step.condition,), uses, last=last)
            children.append(replace(child, unless=unless))
            stages.append(
                Stage(
                    [_signature(child.name, job.queue, countdown, first=not stages)],
                    None,
                )
            )
        elif isinstance(step, ir.RunStep) and step.for_each is not None:
            each = each_view.each_task(
                plan,
                job,
                step,
                names,
                uses,
                last=last,
                after_end=after_end,
                self_name=aliases["self"],
            )
            fan_outs.append(each)
            task = _task(plan, job, step, names, aliases, last=False)
            task.element = True
            task.unless = each_view.element_unless(job, step, uses)
            uses.update({"element_done", "stopped"})
            tasks.append(task)
            stages.append(
                Stage(
                    [_signature(each.name, job.queue, countdown, first=not stages)],
                    None,
                )
            )
        elif isinstance(step, ir.RunStep):
            task = _task(plan, job, step, names, aliases, last=last)
            _flow(job, task, (step.condition,), after_end, uses)
            tasks.append(task)
            first = not stages
            stages.append(
                Stage(
                    [
                        _signature(
                            task.name, step.queue, countdown, first=first, step=step
                        )
                    ],
                    None,
                )
            )
        else:
            assert isinstance(step, ir.ParallelStep)
            branch_tasks = [
                _task(plan, job, b, names, aliases, last=False) for b in step.branches
            ]
            for b, task in zip(step.branches, branch_tasks, strict=True):
                _flow(job, task, (step.condition, b.condition), after_end, uses)
            tasks.extend(branch_tasks)
            join = JoinView(
                function=names.take(f"{job.snake}_{step.name}"),
                name=options.task_name(plan, job, step),
                queue=job.queue,
                step=step,
                last=last,
                after_end=after_end and last,
            )
            joins.append(join)
            stages.append(
                Stage(
                    [
                        _signature(
                            t.name,
                            t.step.queue,
                            countdown,
                            first=not stages,
                            step=t.step,
                        )
                        for t in branch_tasks
                    ],
                    join.name,
                )
            )
        countdown = timedelta(0)
    result = None
    if valued:
        result = chain_view.result_task(plan, job, names, uses, check)
        stages.append(
            Stage([_signature(result.name, job.queue, countdown, first=False)], None)
        )
    ends = [
        replace(end, later=len(stages) - 1 - at)
        for end, at in zip(ends, end_stages, strict=True)
    ]
    single = tasks[0] if job.single else None
    if single is not None:
        single.check = check
    first_expires = None
    if single is not None:
        value = options.expires(single.step)
        first_expires = py_seconds(value) if value is not None else None
    return JobView(
        job=job,
        task_name=options.job_task_name(plan, job),
        model=job.input_model,
        tasks=tasks,
        joins=joins,
        start=job.start_function,
        launcher=launcher,
        stages=stages,
        task_id=id_expression(job.id) if job.id is not None else None,
        first_expires=first_expires,
        params=param_lines(job, aliases["inputs"] + "."),
        local_job=aliases["job"],
        ends=ends,
        fan_outs=fan_outs,
        children=children,
        chain_function=(
            namespaces.chain_function(job)
            if job in namespaces.children(plan.jobs_on("celery"))
            else None
        ),
        uses=uses,
        local_self=aliases["self"],
        options=namespaces.start_options(job),
        result=result,
        checks=(check, job.result.annotation(aliases["inputs"] + "."))
        if check is not None and job.result is not None
        else None,
    )


def _flow(
    job: ir.Job,
    task: TaskView,
    conditions: tuple[Condition | None, ...],
    after_end: bool,
    uses: set[str],
) -> None:
    """A chain task's control flow: its conditions (all must hold), and
    whether an earlier end step may have completed the job."""
    task.after_end = after_end
    task.unless = chain_view.skip_test(job, conditions, uses, last=task.last)


def _task(
    plan: ir.Plan,
    job: ir.Job,
    step: ir.RunStep,
    names: Names,
    aliases: dict[str, str],
    *,
    last: bool,
) -> TaskView:
    function = names.take(job.snake if job.single else f"{job.snake}_{step.name}")
    policy = names.take(function.upper())
    decorator = [
        ("bind", "True"),
        ("base", "JobTask"),
        ("name", py_str(options.task_name(plan, job, step))),
        ("queue", py_str(step.queue)),
        ("max_retries", str(options.max_retries(step))),
        ("time_limit", py_seconds(options.time_limit(step))),
        ("soft_time_limit", py_seconds(options.soft_time_limit(step))),
    ]
    first_expires = options.expires(step)
    if first_expires is not None:
        decorator.append(("expires", py_seconds(first_expires)))
    if job.rate_limit is not None:
        decorator.append(("rate_limit", py_str(str(job.rate_limit))))
    decorator.append(("policy", policy))
    policy_args = []
    for key in ("total_timeout", "queue_timeout"):
        value = getattr(step, key)
        if value is not None:
            policy_args.append((key, py_seconds(value)))
    if job.dead_letter is not None:
        policy_args.append(("dead_letter", py_str(job.dead_letter)))
    if job.id is not None:
        policy_args.append(("once", "True"))
    return TaskView(
        function=function,
        policy=policy,
        name=options.task_name(plan, job, step),
        step=step,
        decorator=decorator,
        call="",  # set by build() once the handlers' local names are known
        last=last,
        retry=_retry(step.retry),
        policy_args=policy_args,
        comment=_limits_comment(step),
        task_self=aliases["self"],
    )


def _limits_comment(step: ir.RunStep) -> str:
    """celery-types declares time limits as int; Celery takes fractions too."""
    limits = (options.time_limit(step), options.soft_time_limit(step))
    if all(limit.total_seconds() == int(limit.total_seconds()) for limit in limits):
        return ""
    return "  # type: ignore[call-overload, untyped-decorator]  # fractional limits"


def _retry(r: ir.RetryPolicy) -> list[tuple[str, str]]:
    return [
        ("attempts", str(r.attempts)),
        ("delay", py_seconds(r.delay)),
        ("factor", repr(r.coefficient)),
        ("max_delay", py_seconds(r.max_delay)),
    ]


def _signature(
    name: str,
    queue: str,
    countdown: timedelta,
    *,
    first: bool,
    step: ir.RunStep | None = None,
) -> Sig:
    """A task of the chain; a run step's message expires with its
    queue_timeout / total_timeout."""
    value = options.expires(step, countdown) if step is not None else None
    return Sig(name, queue, first, countdown, value)


def id_expression(template: IdTemplate) -> list[str]:
    """The Celery task id from the validated input `data`, as plain code."""
    return [
        f"str(data[{py_str(value)}])" if kind == "field" else py_str(value)
        for kind, value in template.parts
    ]


def cron_fields(cron: str) -> dict[str, str]:
    """A cron line as crontab() keywords, month and day names as numbers."""
    fields = []
    for text, (_, _, _, names) in zip(cron.lower().split(), CRON_FIELDS, strict=True):
        for name, number in names.items():
            text = text.replace(name, str(number))
        fields.append(text)
    minute, hour, dom, month, dow = fields
    return {
        "minute": minute,
        "hour": hour,
        "day_of_month": dom,
        "month_of_year": month,
        "day_of_week": dow,
    }


@dataclass(frozen=True)
class BeatEntry:
    name: str
    task: str
    fields: dict[str, str]  # crontab keywords
    timezone: str
    kwargs: dict[str, Any]
    # JobScheduler's option: the base of each tick's task id, and whether the
    # task is a launcher (the run to wait for is the chain it sent)
    tick: dict[str, Any]


def beat_entries(plan: ir.Plan) -> list[BeatEntry]:
    entries = []
    for job in plan.jobs_on("celery"):
        for number, schedule in enumerate(job.schedules):
            name = job.snake if len(job.schedules) == 1 else f"{job.snake}-{number + 1}"
            entries.append(
                BeatEntry(
                    name=name,
                    task=options.job_task_name(plan, job),
                    fields=cron_fields(schedule.cron),
                    timezone=schedule.timezone,
                    kwargs=schedule.input,
                    tick={
                        "id": options.tick_id(plan, job, number, schedule.input),
                        "chain": not job.single,
                    },
                )
            )
    return entries


def param_lines(job: ir.Job, qualifier: str) -> list[str]:
    """The keyword-only parameters of a job's start function, one a line;
    named types are read from the inputs module (`qualifier`)."""
    lines = []
    for f in job.inputs:
        default = None
        if f.has_default:
            default = py_default(f.type, f.default, qualifier)
        elif f.type.optional:
            default = "None"
        param = f"{f.name}: {f.type.python(qualifier)}"
        if default is not None:
            param += f" = {default}"
        parts = f"    {param},".split("\n")
        if isinstance(f.default, list | dict):  # never mutated: passed to the model
            at = next(i for i, part in enumerate(parts) if " = " in part)
            parts[at] += "  # noqa: B006"
        lines.append("\n".join(parts))
    return lines


def assign(name: str, terms: list[str]) -> str:
    """`name = a + b + c` (the formatting pass wraps it when it is too long)."""
    return f"{name} = {' + '.join(terms)}"
