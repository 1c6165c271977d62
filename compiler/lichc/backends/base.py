"""The small interface every backend implements."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    import jinja2

    from lichc.plan import Plan

Files = dict[str, str]  # path relative to the output folder -> text


class Backend:
    """Renders part of the output from the plan, with its own templates.

    Subclasses set `name` (also the template folder prefix: "celery/app.py.jinja")
    and implement `render`.
    """

    name: ClassVar[str]

    @classmethod
    def template_dir(cls) -> Path:
        return Path(__file__).parent / cls.name / "templates"

    def render(self, plan: Plan, env: jinja2.Environment) -> Files:
        raise NotImplementedError
