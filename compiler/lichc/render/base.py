"""The small interface every backend implements."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    import jinja2

    from lichc.plan.ir import Plan

Files = dict[str, str]  # path relative to the output folder -> text


class Backend:
    """Renders part of the output from the plan, with its own templates.

    Subclasses set `name` (also the template folder prefix: "celery/app.py.jinja")
    and implement `render`.
    """

    name: ClassVar[str]

    @classmethod
    def template_dir(cls) -> Path:
        """The `templates` folder beside the backend's own module."""
        module = sys.modules[cls.__module__].__file__
        assert module is not None
        return Path(module).parent / "templates"

    def render(
        self, plan: Plan, env: jinja2.Environment
    ) -> Files | Iterator[tuple[str, str]]:
        """Its files: a mapping, or (path, text) pairs as each is rendered."""
        raise NotImplementedError
