"""The temporal backend."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lichc.backends.base import Backend, Files

if TYPE_CHECKING:
    import jinja2

    from lichc.plan import Plan


class TemporalBackend(Backend):
    name = "temporal"

    def render(self, plan: Plan, env: jinja2.Environment) -> Files:
        return {}
