"""Stage 4: plan -> generated files, in memory ({path: text}).

One Jinja2 environment serves every backend; each backend's templates live in
its own folder and are addressed as "<backend>/<file>.jinja". Templates see
only the plan and the helpers registered here.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import jinja2

from lichc.engines.registry import ENGINES
from lichc.render import imports, pyformat, pysource, yamlsource
from lichc.render.base import Backend, Files, header
from lichc.render.compose import ComposeBackend
from lichc.render.package import PackageBackend

if TYPE_CHECKING:
    from lichc.plan.ir import Plan

# the package first, the engines in the registry's order, the stack last
BACKENDS: tuple[Backend, ...] = (
    PackageBackend(),
    *(engine.backend() for engine in ENGINES),
    ComposeBackend(),
)


@cache
def environment() -> jinja2.Environment:
    loader = jinja2.PrefixLoader(
        {b.name: jinja2.FileSystemLoader(b.template_dir()) for b in BACKENDS}
    )
    env = jinja2.Environment(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
        # compiling the templates is most of a build's fixed cost; Jinja keeps
        # the compiled code per user in the temp folder, keyed by source
        bytecode_cache=jinja2.FileSystemBytecodeCache(),
    )
    env.filters.update(
        pystr=pysource.py_str,
        pyliteral=pysource.py_literal,
        pydefault=lambda f, q="": pysource.py_default(f.type, f.default, q),
        docstring=pysource.py_docstring,
        timedelta=pysource.py_timedelta,
        seconds=pysource.py_seconds,
        envexpr=pysource.py_env,
        yamlstr=yamlsource.yaml_str,
        yamlkey=yamlsource.yaml_key,
        composestr=yamlsource.compose_str,
        composeenv=yamlsource.compose_env_ref,
        isort=imports.isort,
    )
    env.globals["header"] = header
    env.globals["call"] = pysource.py_call
    return env


def render(plan: Plan) -> Files:
    env = environment()
    formatting = pyformat.FormattingPass()
    seen: dict[str, str] = {}
    for backend in BACKENDS:
        rendered = backend.render(plan, env)
        for path, text in rendered.items() if isinstance(rendered, dict) else rendered:
            if path in seen:
                raise RuntimeError(
                    f"backends {backend.name} and {seen[path]} both render {path}"
                )
            seen[path] = backend.name
            formatting.add(path, text)
    return dict(sorted(formatting.finish().items()))
