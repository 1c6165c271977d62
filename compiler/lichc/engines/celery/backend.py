"""The celery backend: `celery_app.py`, `celery_tasks.py`, `celery_client.py`,
`celery_handlers.py` and the `celery_runtime` package in the project package,
when the plan has Celery jobs.

The runtime is ordinary Python (`runtime/`, linted, type-checked and tested
in this tree) copied as it is; only its `spec` module is rendered."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lichc.engines.celery import chain_view, namespaces, options, result_view
from lichc.engines.celery import view as model
from lichc.fileformat.models import DEAD_LETTER_RETENTION
from lichc.plan.ir import DEFAULT_QUEUE, handler_calls
from lichc.render.base import Backend, Files, copied
from lichc.render.imports import Imports
from lichc.render.names import PYTHON_NAMES, Names
from lichc.render.pysource import py_seconds, py_str, py_tuple

if TYPE_CHECKING:
    import jinja2

    from lichc.plan.ir import Plan

TEMPLATES = (
    "celery_app",
    "celery_tasks",
    "celery_client",
    "celery_handlers",
)
RUNTIME = Path(__file__).parent / "runtime"  # copied into <project>/celery_runtime/


class CeleryBackend(Backend):
    name = "celery"

    def render(self, plan: Plan, env: jinja2.Environment) -> Files:
        if not plan.jobs_on("celery"):
            return {}
        context = template_context(plan)
        files = {
            f"{plan.project}/{name}.py": env.get_template(
                f"celery/{name}.py.jinja"
            ).render(context)
            for name in TEMPLATES
        }
        package = f"{plan.project}/celery_runtime"
        spec = env.get_template("celery/celery_runtime_spec.py.jinja")
        files[f"{package}/spec.py"] = spec.render(context)
        for module in runtime_modules():
            text = module.read_text(encoding="utf-8")
            files[f"{package}/{module.name}"] = copied(plan.source, text)
        return files


def runtime_modules() -> list[Path]:
    """The runtime's modules, copied verbatim after the do-not-edit line."""
    return sorted(RUNTIME.glob("*.py"))


def template_context(plan: Plan) -> dict[str, Any]:
    module = model.build(plan)
    client_names, g = namespaces.client_names(plan.jobs_on("celery"))
    results = {
        view.job.name: result_view.client_result(view.job, client_names, g["inputs"])
        for view in module.jobs
    }
    beat = model.beat_entries(plan)
    wait, attempt = options.longest_wait(plan), options.longest_attempt(plan)
    return {
        "plan": plan,
        "module": module,
        "assign": model.assign,
        "params": {view.job.name: view.params for view in module.jobs},
        "g": g,
        "client_names": client_names,
        "results": results,
        **_imports(module, g, results),
        "result_expires": py_seconds(options.RESULT_EXPIRES),
        "claim_pending_ttl": py_seconds(options.CLAIM_PENDING_TTL),
        "soft_limit_margin": py_seconds(options.SOFT_LIMIT_MARGIN),
        "retention": options.dead_letter_retention(plan),
        "default_retention": py_seconds(DEAD_LETTER_RETENTION),
        # an f-string over the PROJECT constant of celery_runtime/spec.py
        "key_prefix": "f" + py_str(options.key_prefix("{PROJECT}")),
        "longest_wait": py_seconds(wait),
        "longest_attempt": py_seconds(attempt),
        "visibility_timeout": py_seconds(options.visibility_timeout(wait, attempt)),
        "default_queue": DEFAULT_QUEUE,
        "queues": sorted({DEFAULT_QUEUE, *plan.queues_on("celery")}),
        "routes": _routes(plan, module),
        "beat": beat,
        "uses_crontab": any(e.timezone == "UTC" for e in beat),
        "uses_zoned": any(e.timezone != "UTC" for e in beat),
        "checks": handler_checks(plan),
        "handler_tasks": handler_tasks(module),
    }


def handler_tasks(module: model.TasksModule) -> str:
    """Each task that runs a handler, with its job and step (None for a
    single-step job), which a handler's JobContext names: a dict literal."""
    items = "".join(
        f"{py_str(task.name)}: {py_tuple([py_str(view.job.name), step])},\n"
        for view in module.jobs
        for task in view.tasks
        for step in ["None" if view.job.single else py_str(task.step.name)]
    )
    return "{\n" + items + "}" if items else "{}"


@dataclass(frozen=True)
class HandlerChecks:
    """celery_handlers.py: its imports, each Handler(...)'s arguments, and the
    names its imports bind."""

    imports: list[str]
    entries: list[list[str]]
    names: Names


def handler_checks(plan: Plan) -> HandlerChecks:
    """Each handler by its dotted path (`import a.b`, then `a.b.f`), so no alias
    is needed unless `a` is a name of the module (`import check.b as check_b`);
    one entry per distinct call."""
    imports = Imports()
    names = Names(namespaces.HANDLERS_RESERVED | PYTHON_NAMES)
    packages: set[str] = set()  # the top-level packages `import a.b` binds
    refer: dict[str, str] = {"builtins": ""}  # module -> how the module calls it
    entries: list[list[str]] = []
    for job in plan.jobs_on("celery"):
        for call in handler_calls(job):
            ref = call.handler
            if ref.module not in refer:
                top = ref.module.split(".")[0]
                if top in packages or names.free(top):
                    packages.add(names.take(top))
                    imports.add_module(ref.module)
                    refer[ref.module] = ref.module
                else:
                    alias = names.take(ref.module.replace(".", "_"))
                    imports.add_module(ref.module, alias)
                    refer[ref.module] = alias
            function = ".".join(filter(None, (refer[ref.module], ref.name)))
            # an argument of Handler(...) in HANDLERS, at indent 8 when exploded
            keywords = py_tuple([py_str(k) for k in call.keywords])
            entry = [py_str(str(ref)), function, keywords]
            if entry not in entries:
                entries.append(entry)
    return HandlerChecks(imports.lines(), entries, names)


def _routes(plan: Plan, module: model.TasksModule) -> list[tuple[str, str]]:
    routes = []
    for view in module.jobs:
        if view.launcher is not None:
            routes.append((view.task_name, view.job.queue))
        routes += [(t.name, t.step.queue) for t in view.tasks]
        routes += [(j.name, j.queue) for j in view.joins]
        routes += [(e.name, e.queue) for e in view.ends]
        for child in view.children:
            routes += [(child.name, child.queue), (child.resume_name, child.queue)]
        for each in view.fan_outs:
            routes += [(each.name, each.queue), (each.join_name, each.queue)]
        if view.result is not None:
            routes.append((view.result.name, view.result.queue))
    return routes


def _imports(
    module: model.TasksModule,
    g: dict[str, str],
    results: dict[str, result_view.ClientResult],
) -> dict[str, list[str]]:
    """The imports of celery_tasks.py and celery_client.py; `g` aliases the client's."""
    tasks, client, celery, third = Imports(), Imports(), Imports(), Imports()
    tasks.add(".celery_app", "app")
    client.add(".celery_app", "app", g["app"])
    client.add(".celery_runtime", "cancel_run", g["cancel_run"])
    client.add(".celery_runtime", "countdown", g["countdown"])
    client.add(".celery_runtime", "send_once", g["send_once"])
    celery.add("celery.result", "AsyncResult")
    for name in ("JobTask", "Policy", "RetryPolicy"):
        tasks.add(".celery_runtime", name)
    tasks.add(".celery_runtime", "call", module.aliases["call"])
    for view in module.jobs:
        client.add(".inputs", view.model)
        if any(f.type.type_names() for f in view.job.inputs):  # annotations
            client.add(".", "inputs", g["inputs"])
            tasks.add(".", "inputs", module.aliases["inputs"])
        if view.job.single:
            tasks.add(".inputs", view.model)
        else:
            tasks.add(".celery_client", view.start, module.aliases[view.start])
            tasks.add(".celery_runtime", "TolerantTask")  # the launcher's base
            tasks.add(".celery_runtime", "Context")
            if view.joins or view.ends or view.fan_outs or view.children:
                tasks.add(".celery_runtime", "RunTask")
            passes_on = [not t.last for t in view.tasks if not t.element]
            passes_on += [not each.last for each in view.fan_outs]  # their joins
            passes_on += [not child.last for child in view.children]
            for child in view.children:
                tasks.add(".inputs", child.model)
                name = next(k for k, v in module.aliases.items() if v == child.chain)
                tasks.add(".celery_client", name, child.chain)
            if any(passes_on):
                tasks.add(".celery_runtime", "with_result")
            uses = set(view.uses)
            for task in view.tasks:
                uses |= chain_view.field_reads(view.job, task.step)
            for name in sorted(uses):
                tasks.add(".celery_runtime", name)
            if uses & {"typed_input", "typed_element"}:
                tasks.add(".inputs", view.model)
            client.add(".celery_runtime", "new_context", g["new_context"])
            if view.job.schedules:
                client.add(".celery_runtime", "scheduled_id", g["scheduled_id"])
            celery.add("celery", "chain", g["chain"])
        if view.checks is not None:
            third.add("pydantic", "TypeAdapter")
            tasks.add(".celery_runtime", "checked_result")
            assert view.job.result is not None
            if view.job.result.type_names:
                tasks.add(".", "inputs", module.aliases["inputs"])
        if results[view.job.name].check is not None:
            celery.add("pydantic", "TypeAdapter")
            assert view.job.result is not None
            if view.job.result.type_names:
                client.add(".", "inputs", g["inputs"])
        if view.result is not None:
            tasks.add(".celery_runtime", "RunTask")
        if view.joins:
            tasks.add(".celery_runtime", "merge")
            celery.add("celery", "chord", g["chord"])
        if view.task_id is not None:
            client.add(".celery_runtime", "checked_id", g["checked_id"])
        if view.later:
            client.add(".celery_runtime", "later", g["later"])
        if view.chain_function is not None:
            celery.add("celery.canvas", "Signature")
            if not view.job.single:
                client.add(".celery_runtime", "new_context", g["new_context"])
                celery.add("celery", "chain", g["chain"])
    return {
        "tasks_local": tasks.lines(),
        "tasks_third": third.lines(),
        "client_local": client.lines(),
        "client_celery": celery.lines(),
    }
