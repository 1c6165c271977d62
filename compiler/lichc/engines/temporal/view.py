"""The Temporal view of a plan: names, imports and argument lists, decided once.

Templates only lay out what this module (with activities_view.py and
workflows_view.py) computes, so every name that reaches generated code is
derived here from validated plan values, and each choice (what an activity is
called, which module alias a handler gets) is made in one place. Every name a
generated module binds is either its template's own (namespaces.py) or
handed out by that module's `Names`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lichc.engines.temporal import activities_view as activities_
from lichc.engines.temporal import namespaces, options, versions_view
from lichc.engines.temporal import workflows_view as workflows_
from lichc.engines.temporal.activities_view import Activity
from lichc.engines.temporal.handler_imports import HandlerModules
from lichc.engines.temporal.payloads_view import PayloadModel
from lichc.engines.temporal.workflows_view import Config, WorkflowView
from lichc.plan.ir import Job, Plan, RunStep, SleepStep
from lichc.render.names import PYTHON_NAMES, Names

# generated module -> the names its template binds itself
RESERVED = {
    "temporal_activities": namespaces.ACTIVITIES,
    "temporal_workflows": namespaces.WORKFLOWS,
    "temporal_worker": namespaces.WORKER,
    "temporal_client": namespaces.CLIENT,
    "temporal_schedules": namespaces.SCHEDULES,
    "temporal_payloads": namespaces.PAYLOADS,
}


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
    # steps gone from jobs.yaml that runs on an older version still run
    removed_activities: tuple[versions_view.RemovedActivity, ...]
    imports: tuple[str, ...]  # import lines of handler modules, sorted like ruff
    configs: tuple[Config, ...]
    workflows: tuple[WorkflowView, ...]
    # the models of temporal_payloads.py: every typed payload of a live version
    payload_models: tuple[PayloadModel, ...]
    queues: tuple[Queue, ...]
    schedules: tuple[ScheduleView, ...]
    activity_runtime: tuple[str, ...]  # imported from temporal_activity_runtime.py
    workflow_runtime: tuple[str, ...]  # imported from temporal_runtime.py
    # what temporal_client.py calls uuid, timedelta and connect
    client_modules: dict[str, str]
    # what temporal_activities.py and temporal_payloads.py call inputs.py
    inputs: dict[str, str] = field(default_factory=dict)
    # generated module -> the names the view gave it, besides its template's own
    allocated: dict[str, frozenset[str]] = field(default_factory=dict)

    @property
    def answers(self) -> bool:
        """Whether a signal is typed: the client answers it as an Update."""
        return any(w.payloads.answers for w in self.workflows)

    @property
    def workflows_use_inputs(self) -> bool:
        """Whether a workflow returns a named type (`inputs.Name`)."""
        return any(workflows_.INPUTS in w.returns for w in self.workflows)

    @property
    def uses_any(self) -> bool:
        """Whether a payload model has a field typed `dict` (`dict[str, Any]`)."""
        return any(
            "Any" in f.type.python() for m in self.payload_models for f in m.fields
        )

    @property
    def uses_field(self) -> bool:
        return any(f.description for m in self.payload_models for f in m.fields)

    @property
    def activities_use_inputs(self) -> bool:
        """Whether an activity's arguments have a field of a named type."""
        prefix = self.inputs["activities"] + "."
        return any(prefix in p.annotation for a in self.activities for p in a.params)

    @property
    def client_uses_inputs(self) -> bool:
        """Whether a client function has a parameter of a named type."""
        fields = [f for w in self.workflows for f in w.job.inputs]
        fields += [
            f for w in self.workflows for a in w.payloads.answers for f in a.fields
        ]
        return self.workflows_use_inputs or any(f.type.type_names() for f in fields)

    @property
    def payloads_use_inputs(self) -> bool:
        """Whether a payload model has a field of a named type."""
        return any(f.type.type_names() for m in self.payload_models for f in m.fields)

    @property
    def classified(self) -> bool:
        return any(a.non_retryable or a.retry_on for a in self.activities)

    @property
    def workflows_use_timedelta(self) -> bool:
        """Whether temporal_workflows.py writes a duration: an activity's
        timeouts, a job timeout, a sleep or a wait_for timeout (a job of
        signals alone writes none)."""
        jobs = [w.job for w in self.workflows]
        return bool(self.configs) or any(
            job.deadline is not None
            or any(isinstance(s, SleepStep) for s in job.steps)
            or any(w.timeout is not None for w in job.signals)
            for job in jobs
        )


def namespace(module: str) -> Names:
    """A fresh allocator for one generated module's top-level names."""
    return Names(RESERVED[module] | PYTHON_NAMES)


def claim(names: Names, name: str) -> str:
    """Take `name` itself: one another module decided (an input model, a
    workflow class), imported under that name, which must be free here."""
    if not names.free(name):
        raise AssertionError(f"generated name {name} is taken twice")
    names.taken.add(name)
    return name


def build(plan: Plan) -> TemporalView:
    jobs = plan.jobs_on("temporal")
    ns = {module: namespace(module) for module in RESERVED}
    inputs = _inputs_aliases(plan, ns)
    claim(ns["temporal_workflows"], "inputs")  # see workflows_view.INPUTS
    functions = ns["temporal_activities"]

    # activity function names first: module aliases must not take them
    pending: list[tuple[Job, RunStep, bool, str, activities_.ActivityNames]] = []
    for job in jobs:
        for step in job.run_steps():
            for compensation in (False, True) if step.compensate else (False,):
                type_name = options.activity_type(job, step, compensation=compensation)
                names = activities_.activity_names(
                    functions, job, step, type_name, compensation
                )
                pending.append((job, step, compensation, type_name, names))
    modules = HandlerModules(functions)
    for _, step, compensation, _, _ in pending:  # imports before any parameter
        for ref in activities_.module_refs(step, compensation):
            modules.expr(ref)
    activities: list[Activity] = []
    made: dict[tuple[str, str, bool], Activity] = {}
    for job, step, compensation, type_name, names in pending:
        activity = activities_.build_activity(
            job, step, compensation, type_name, names, modules, inputs["activities"]
        )
        activities.append(activity)
        made[(job.name, step.name, compensation)] = activity

    configs: list[Config] = []
    workflows: list[WorkflowView] = []
    removed = versions_view.Removed([], {}, {})
    for job in jobs:
        step_configs: dict[str, str] = {}
        for step in job.run_steps():
            name = ns["temporal_workflows"].take(f"{job.snake}_{step.name}".upper())
            step_configs[step.name] = name
            configs.append(workflows_.build_config(name, step))
        cls = ns["temporal_workflows"].take(job.workflow_class)
        live = plan.versions.get(job.name)
        evolved = None
        if live is not None and live.versioned:
            evolved = workflows_.Evolved(live, ns["temporal_workflows"], removed)
        workflows.append(
            workflows_.build_workflow(
                job,
                cls,
                made,
                step_configs,
                ns["temporal_workflows"],
                evolved,
                {j.name: j for j in plan.jobs},
            )
        )
    configs += removed.configs
    current_types = {a.type_name for a in activities}
    removed_activities = tuple(
        versions_view.RemovedActivity(
            functions.take(type_name.replace(".", "_") + "_removed"),
            type_name,
            handler,
            params,
            queue,
        )
        for type_name, (handler, params, queue) in sorted(removed.handlers.items())
        if type_name not in current_types
    )
    _claim_imported(ns, workflows)

    queues = _queues(plan, activities, workflows, removed_activities)
    by_job = {w.job.name: w for w in workflows}
    schedules = tuple(
        ScheduleView(
            options.schedule_id(plan, job, i),
            job.id_for(s.input) or options.schedule_id(plan, job, i),
            job,
            by_job[job.name],
            s.cron,
            s.timezone,
            workflows_.model_call(job, s.input),
        )
        for job in jobs
        for i, s in enumerate(job.schedules)
    )
    return TemporalView(
        activities=tuple(activities),
        removed_activities=removed_activities,
        imports=modules.import_lines(),
        configs=tuple(configs),
        workflows=tuple(workflows),
        payload_models=tuple(m for w in workflows for m in w.payloads.models),
        queues=queues,
        schedules=schedules,
        activity_runtime=activities_.runtime_names(activities)
        + (("removed_step",) if removed_activities else ()),
        workflow_runtime=workflows_.runtime_names(workflows),
        client_modules=_client_modules(ns["temporal_client"], workflows),
        inputs=inputs,
        allocated={module: frozenset(names.taken) for module, names in ns.items()},
    )


def _inputs_aliases(plan: Plan, ns: dict[str, Names]) -> dict[str, str]:
    """What the activities and payloads modules call inputs.py, where named
    types are `inputs.Name`: taken first, and never a field's name, since a
    dataclass or model field would hide the module in its class body."""
    jobs = plan.jobs_on("temporal")
    fields = {f.name for j in jobs for f in j.inputs}
    fields |= {a.name for j in jobs for s in j.run_steps() for a in s.args or ()}
    fields |= {
        a.name
        for j in jobs
        for s in j.run_steps()
        if s.compensate is not None
        for a in s.compensate.args or ()
    }
    fields |= {f.name for j in jobs for w in j.signals for f in w.payload or ()}
    aliases = {}
    for key, module in (
        ("activities", "temporal_activities"),
        ("payloads", "temporal_payloads"),
    ):
        free = Names(ns[module].reserved | fields)
        aliases[key] = claim(ns[module], free.take("inputs"))
    return aliases


def _claim_imported(ns: dict[str, Names], workflows: list[WorkflowView]) -> None:
    """The names other modules define that a module imports, and the client's
    public functions (named after the job: their names are the API)."""
    for w in workflows:
        claim(ns["temporal_workflows"], w.input_model)
        claim(ns["temporal_worker"], w.cls)
        for module in ("temporal_client", "temporal_schedules"):
            claim(ns[module], w.cls)
            claim(ns[module], w.input_model)
        client, snake = ns["temporal_client"], w.job.snake
        claim(client, w.job.start_function)
        claim(client, f"run_{snake}")
        claim(client, f"{w.job.start_function}_sync")
        claim(client, f"run_{snake}_sync")
        claim(client, f"status_{snake}")
        claim(client, f"cancel_{snake}")
        for _, wait in w.signal_methods:
            claim(client, f"signal_{snake}_{wait.signal}")
        for answer in w.payloads.answers:
            claim(client, answer.function)
        for model in w.payloads.models:  # allocated in temporal_workflows
            claim(ns["temporal_payloads"], model.name)


def _client_modules(client: Names, workflows: list[WorkflowView]) -> dict[str, str]:
    """What temporal_client.py calls the modules its start functions use: not
    an input field's name, since the fields are their parameters."""
    fields = {f.name for w in workflows for f in w.job.inputs}
    aliases = Names(client.reserved | client.taken | fields)
    modules = {
        module: claim(client, aliases.take(module)) for module in ("timedelta", "uuid")
    }
    modules["inputs"] = claim(client, "inputs")  # read in annotations only
    # the _sync functions call connect(): bound a second time when a field hides it
    modules["connect"] = (
        claim(client, aliases.take("connect")) if "connect" in fields else "connect"
    )
    return modules


# -- worker -------------------------------------------------------------------------


def _queues(
    plan: Plan,
    activities: list[Activity],
    workflows: list[WorkflowView],
    removed: tuple[versions_view.RemovedActivity, ...],
) -> tuple[Queue, ...]:
    rates = options.activities_per_second(plan)
    names = sorted({*plan.queues_on("temporal"), *(r.queue for r in removed)})
    return tuple(
        Queue(
            name,
            tuple(w.cls for w in workflows if w.job.queue == name),
            tuple(a.function for a in activities if a.step.queue == name)
            + tuple(r.function for r in removed if r.queue == name),
            rates.get(name),
        )
        for name in names
    )
