"""The compose backend: `docker-compose.yml` at the top of the output folder."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lichc.render.base import Backend, Files
from lichc.render.compose import stack as stacks

if TYPE_CHECKING:
    import jinja2

    from lichc.plan.ir import Plan

COMPOSE_FILE = "docker-compose.yml"


class ComposeBackend(Backend):
    name = "compose"

    def render(self, plan: Plan, env: jinja2.Environment) -> Files:
        template = env.get_template(f"compose/{COMPOSE_FILE}.jinja")
        text = template.render(
            plan=plan,
            stack=stacks.stack(plan),
            app_root=stacks.APP_ROOT,
        )
        return {COMPOSE_FILE: text}
