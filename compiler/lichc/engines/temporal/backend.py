"""The temporal backend: workflows, activities, worker, client and schedules,
rendered from templates, beside the runtime modules (runtime/) they import,
copied as they are."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lichc.engines.temporal import runtime
from lichc.render.base import Backend, copied

if TYPE_CHECKING:
    import jinja2

    from lichc.plan.ir import Plan

# output file -> template, in the order a reader meets them
_FILES = (
    ("temporal_activities.py", "activities.py.jinja"),
    ("temporal_workflows.py", "workflows.py.jinja"),
    ("temporal_worker.py", "worker.py.jinja"),
    ("temporal_client.py", "client.py.jinja"),
)


class TemporalBackend(Backend):
    name = "temporal"

    def render(self, plan: Plan, env: jinja2.Environment) -> Iterator[tuple[str, str]]:
        """Each file as soon as it is rendered: the formatting pass starts on
        a large one while the next renders."""
        if not plan.jobs_on("temporal"):
            return
        from lichc.engines.temporal import options
        from lichc.engines.temporal import view as model

        view = model.build(plan)
        context = {
            "plan": plan,
            "v": view,
            "options": options,
            # the modules temporal_client.py's job functions use
            "g": view.client_modules,
        }
        files = list(_FILES)
        if view.payload_models:
            files.insert(1, ("temporal_payloads.py", "payloads.py.jinja"))
        if view.schedules:
            files.append(("temporal_schedules.py", "schedules.py.jinja"))
        for name, template in files:
            template_ = env.get_template(f"temporal/{template}")
            yield f"{plan.project}/{name}", template_.render(context)
        copies = runtime.FILES
        for name, source_name in copies:
            yield (
                f"{plan.project}/{name}",
                copied(plan.source, runtime.source(source_name)),
            )
