"""Reading a drawn spec and the code lichc generates for it, for the injection
checks (harness/injection_checks.py): what the spec asks for, taken from the
spec itself, and small readers of the generated modules' syntax trees.
"""

from __future__ import annotations

import ast
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from harness import ROOT
from harness.cli import binary
from harness.hostile_control import QUOTED
from lichc.build import render_files
from lichc.fileformat.names import to_snake
from lichc.load.loader import parse
from lichc.plan.check import checked_plan

MONTHS = ["jan", "feb", "mar", "apr", "may", "jun"]
MONTHS += ["jul", "aug", "sep", "oct", "nov", "dec"]
DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]


def dump(spec: dict[str, Any]) -> bytes:
    return yaml.safe_dump(
        spec, allow_unicode=True, sort_keys=False, width=1_000_000
    ).encode("utf-8")


def compile_spec(spec: dict[str, Any]) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The spec as lichc loaded it (YAML folds some line breaks), and its output."""
    document = parse(dump(spec))
    return document.data, render_files(checked_plan(document))


# -- what the spec asks for, read from the spec itself ----------------------------------


def queue_of(job: dict[str, Any], step: dict[str, Any] | None = None) -> str:
    own = step.get("queue") if step else None
    return str(own or job.get("queue") or "default")


def run_steps(job: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for step in job.get("steps", []):
        if "run" in step:
            yield step
        elif "parallel" in step:
            yield from step["parallel"]


def jobs_on(spec: dict[str, Any], engine: str) -> dict[str, dict[str, Any]]:
    return {n: j for n, j in spec["jobs"].items() if j["engine"] == engine}


def task_queues(spec: dict[str, Any]) -> dict[str, str]:
    """Celery task name -> queue, launchers and chord bodies included."""
    project, tasks = spec["project"], {}
    for name, job in jobs_on(spec, "celery").items():
        base = f"{project}.{to_snake(name)}"
        tasks[base] = queue_of(job)
        for step in job.get("steps", []):
            if "run" in step:
                tasks[f"{base}.{step['name']}"] = queue_of(job, step)
            elif "parallel" in step or "end" in step:
                tasks[f"{base}.{step['name']}"] = queue_of(job)
                for branch in step.get("parallel", []):
                    tasks[f"{base}.{branch['name']}"] = queue_of(job, branch)
    return tasks


def activity_types(spec: dict[str, Any]) -> set[str]:
    types = set()
    for name, job in jobs_on(spec, "temporal").items():
        snake = to_snake(name)
        if "run" in job:
            types.add(snake)
        for step in run_steps(job):
            types.add(f"{snake}.{step['name']}")
            if "compensate" in step:
                types.add(f"{snake}.{step['name']}.compensate")
    return types


def signals(job: dict[str, Any]) -> set[str]:
    return {s["wait_for"]["signal"] for s in job.get("steps", []) if "wait_for" in s}


def client_functions(spec: dict[str, Any], engine: str) -> set[str]:
    names = set()
    for name, job in jobs_on(spec, engine).items():
        snake = to_snake(name)
        names |= {f"start_{snake}", f"cancel_{snake}", f"run_{snake}"}
        if engine == "celery":
            names.add(f"result_{snake}")
        if engine == "temporal":
            names |= {f"run_{snake}", f"status_{snake}"}
            names |= {f"start_{snake}_sync", f"run_{snake}_sync"}
            names |= {f"signal_{snake}_{s}" for s in signals(job)}
    return names


def spec_names(spec: dict[str, Any]) -> set[str]:
    """Every name the spec validated: what identifiers may be made of."""
    names = {spec["project"]}
    for name, job in spec["jobs"].items():
        names |= {name, to_snake(name)} | set(job.get("input", {}))
        steps = [*job.get("steps", []), *run_steps(job)]
        names |= {s["name"] for s in steps}
        names |= signals(job)
        refs = [job.get("run"), *(s.get("run") for s in steps)]
        refs += [s["compensate"]["run"] for s in steps if "compensate" in s]
        for step in [job, *steps]:
            for key in ("non_retryable", "retry_on"):
                refs += step.get("retry", {}).get(key, [])
            names |= set(step.get("args") or {})
            names |= set((step.get("compensate") or {}).get("args") or {})
        for ref in filter(None, refs):
            names |= set(ref.replace(":", ".").split("."))
    return names


def end_steps(job: dict[str, Any]) -> Iterator[dict[str, Any]]:
    return (s for s in job.get("steps", []) if "end" in s)


def guarded(job: dict[str, Any]) -> Iterator[tuple[dict[str, Any], list[str]]]:
    """Each step or branch with `if`, and the steps whose code tests it (on
    Celery a parallel step's condition is tested by each of its branches)."""
    for step in job.get("steps", []):
        branches = [b["name"] for b in step.get("parallel", [])]
        if "if" in step:
            yield step, branches or [step["name"]]
        for branch in step.get("parallel", []):
            if "if" in branch:
                yield branch, [branch["name"]]


def condition_texts(condition: str) -> list[str]:
    """The quoted texts of a condition, read back as Python reads them (the
    drawn ones are made so that Python reads exactly the hostile value)."""
    return [ast.literal_eval(m) for m in QUOTED.findall(condition)]


def message_parts(message: str) -> list[str | None]:
    """A fail message's text parts, None for each reference."""
    parts: list[str | None] = []
    at = 0
    for match in re.finditer(r"\$\{[^}]*\}", message):
        if match.start() > at:
            parts.append(message[at : match.start()])
        parts.append(None)
        at = match.end()
    if at < len(message):
        parts.append(message[at:])
    return parts


def handler_modules(spec: dict[str, Any]) -> set[str]:
    refs = set()
    for job in spec["jobs"].values():
        steps = [job, *job.get("steps", []), *run_steps(job)]
        for step in steps:
            refs |= {step.get("run"), (step.get("compensate") or {}).get("run")}
            for key in ("non_retryable", "retry_on"):
                refs |= set(step.get("retry", {}).get(key, []))
    return {ref.split(":")[0] for ref in refs if ref and ":" in ref}


def mirrors(spec: dict[str, Any], tree: ast.Module) -> dict[str, set[str]]:
    """Generated functions whose parameters are input fields or args: by name."""
    activities = decorated(tree, "activity.defn")
    found: dict[str, set[str]] = {}
    for name, job in spec["jobs"].items():
        fields = set(job.get("input", {}))
        found[f"start_{to_snake(name)}"] = found[f"run_{to_snake(name)}"] = fields
        steps = list(run_steps(job)) or [{"name": None, **job}]
        for step in steps:
            base = to_snake(name) + (f".{step['name']}" if step["name"] else "")
            args = step.get("args")
            comp = step.get("compensate") or {}
            kinds = [(base, args), (f"{base}.compensate", comp.get("args", args))]
            for activity_type, given_args in kinds:
                node = activities.get(activity_type)
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    found[node.name] = set(fields if given_args is None else given_args)
    return found


def docstring(text: str) -> str:
    """The documented normalisation of free text into a docstring (like ruff's).

    Written again, not imported from lichc.render.pysource: the check needs an
    oracle of its own."""
    lines = [
        line.rstrip()
        for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    ]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    if not lines:
        return ""
    rest = [line for line in lines[1:] if line]
    margin = min((len(line) - len(line.lstrip(" ")) for line in rest), default=0)
    return "\n".join([lines[0].lstrip(" ")] + [line[margin:] for line in lines[1:]])


def cron_fields(cron: str) -> list[str]:
    fields = cron.lower().split()
    for i, names in ((3, MONTHS), (4, DAYS)):
        for number, word in enumerate(names):
            fields[i] = fields[i].replace(word, str(number + (i == 3)))
    return fields


def id_value(template: str, values: dict[str, Any]) -> str:
    text = template
    for key, value in values.items():
        text = text.replace("{" + key + "}", str(value))
    return text


# -- reading generated code ---------------------------------------------------------------


def calls(tree: ast.AST, name: str) -> Iterator[ast.Call]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and ast.unparse(node.func) == name:
            yield node


def kwarg(call: ast.Call, name: str) -> ast.expr:
    found = [k.value for k in call.keywords if k.arg == name]
    assert found, f"{ast.unparse(call)[:200]} has no {name}="
    return found[0]


def constant(node: ast.expr) -> Any:
    return ast.literal_eval(node)


def texts_in(node: ast.AST) -> set[str]:
    """The str constants in `node` (implicit concatenations joined)."""
    return {
        n.value
        for n in ast.walk(node)
        if isinstance(n, ast.Constant) and isinstance(n.value, str)
    }


Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def decorated(tree: ast.AST, decorator: str) -> dict[str, Definition]:
    """Definitions decorated with `decorator(name=...)`, by that name."""
    found: dict[str, Definition] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            for d in node.decorator_list:
                if isinstance(d, ast.Call) and ast.unparse(d.func) == decorator:
                    name = constant(kwarg(d, "name"))
                    if name in found and _second_shape(decorator, found[name], node):
                        continue  # an activity's sync and async shapes share it
                    assert name not in found, f"{decorator} {name!r} twice"
                    found[name] = node
    return found


def _second_shape(decorator: str, first: ast.AST, node: ast.AST) -> bool:
    """`node` is the async shape of the activity `first` is the sync shape of."""
    return (
        decorator == "activity.defn"
        and isinstance(first, ast.FunctionDef)
        and isinstance(node, ast.AsyncFunctionDef)
        and node.name.removesuffix("_async") == first.name.removesuffix("_sync")
    )


def docstring_of(node: ast.AST) -> str:
    """The docstring's value, without the indentation its lines get in the file."""
    assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    raw = ast.get_docstring(node, clean=False)
    assert raw is not None, f"{node.name} has no docstring"
    pad = " " * (node.col_offset + 4)
    lines = raw.split("\n")
    if len(lines) > 1:
        assert lines[-1] == pad, f"{node.name}: docstring does not end on its own line"
        lines = [lines[0]] + [line.removeprefix(pad) for line in lines[1:-1]]
    return "\n".join(lines)


def imported_as(tree: ast.Module, module: str, name: str) -> str:
    """The name `tree` binds `name` of `module` to (`from .module import name as x`)."""
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").endswith(module):
            for alias in node.names:
                if alias.name == name:
                    return alias.asname or name
    return name


def functions(tree: ast.Module) -> set[str]:
    return {
        n.name
        for n in tree.body
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
    }


def evaluate(node: ast.expr, names: dict[str, Any]) -> Any:
    """Evaluate a generated expression with only `names` in scope."""
    code = compile(ast.Expression(node), "<generated>", "eval")
    return eval(code, {"__builtins__": __builtins__, **names})


class Output:
    """A generated tree: each file's text, each module's syntax tree."""

    def __init__(self, spec: dict[str, Any], files: dict[str, bytes]) -> None:
        self.spec = spec
        self.project = spec["project"]
        self.text = {path: data.decode("utf-8") for path, data in files.items()}
        self.trees = {
            path: ast.parse(text, filename=path)
            for path, text in self.text.items()
            if path.endswith(".py")
        }

    def module(self, name: str) -> ast.Module:
        return self.trees[f"{self.project}/{name}.py"]

    def has(self, name: str) -> bool:
        return f"{self.project}/{name}.py" in self.trees


RUFF_FORMAT = ("format", "--check")
RUFF_CHECK = (
    "check",
    # handler modules outside `examples` are the user's own code too
    "--config",
    'lint.isort.known-first-party = ["lichc", "examples", "tests", "orders", "inj"]',
    # look-alike characters (a Cyrillic a for a Latin one) in text from jobs.yaml
    # are the user's words, kept as written
    "--ignore",
    "RUF001,RUF002,RUF003",
)


def ruff(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [binary("ruff"), *args, "--no-cache"]
    if args[0] == "check":
        command.append("--output-format=concise")
    command += ["--config", str(ROOT / "pyproject.toml"), "."]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
