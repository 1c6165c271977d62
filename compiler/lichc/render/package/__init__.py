"""The package every spec gets: `__init__.py`, input models, settings, the
client, the handlers' start-up check, and `context.py` (runtime/, copied)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lichc.render.base import Backend, Files, copied
from lichc.render.package import runtime

if TYPE_CHECKING:
    import jinja2

    from lichc.plan.ir import Plan


class PackageBackend(Backend):
    name = "package"

    def render(self, plan: Plan, env: jinja2.Environment) -> Files:
        from lichc.engines.registry import ENGINES
        from lichc.plan.ir import EnumType, ObjectType

        types = plan.types_in_order()
        fields = [f for j in plan.jobs for f in j.inputs]
        fields += [f for t in types if isinstance(t, ObjectType) for f in t.fields]
        context: dict[str, object] = {
            "plan": plan,
            "types": types,
            "enums": any(isinstance(t, EnumType) for t in types),
            "uses_any": any("Any" in f.type.python() for f in fields),
            "uses_field": any(f.description for f in fields),
        }
        for engine in ENGINES:  # `celery`: the plan has Celery jobs; `celery_exports`
            used = bool(plan.jobs_on(engine.name))
            context[engine.name] = used
            context[f"{engine.name}_exports"] = (
                engine.client_exports(plan) if used else []
            )
        files: Files = {}
        names = ("__init__.py", "inputs.py", "settings.py", "client.py", "handlers.py")
        for name in names:
            text = env.get_template(f"package/{name}.jinja").render(context)
            files[f"{plan.project}/{name}"] = text
        for name, source_name in runtime.FILES:
            text = copied(plan.source, runtime.source(source_name))
            files[f"{plan.project}/{name}"] = text
        return files
