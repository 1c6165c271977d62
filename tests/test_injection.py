"""Code injection, property-based: no string from jobs.yaml ever becomes code.

Specs full of hostile strings (tests/support/hostile_specs.py: quotes, triple
quotes, backslashes, newlines, `{{ }}`, `{% %}`, `${ }`, `#`, RTL and bidi
controls, combining marks, astral characters, NUL and other controls, very
long runs) mixing Celery and Temporal jobs go through the real pipeline
(load -> validate -> plan -> render). Each ends either in a SpecError whose
diagnostics point at the broken key, or in generated code where:

- every .py file parses, and docker-compose.yml parses as YAML;
- a marker word planted in every free-text value appears only inside string
  literals (never as code, never in a comment) and only inside YAML scalars;
- every identifier is a word of lichc's templates or a validated name;
- each module defines exactly the tasks, workflows, activities, client
  functions, input models and fields the spec asks for;
- every value from YAML (defaults, descriptions as docstrings, queues,
  signals, `${NAME:-default}` defaults, crons, timezones, schedule inputs,
  literal args, the id's text) is a constant with exactly that value;
- a parameter named after an input field never hides a name the generated
  code means (a module, the Celery app, a builtin).

A batch of the generated trees then goes through one `ruff format --check`
and one `ruff check`. More examples: LICHC_INJECTION_EXAMPLES=2000 pytest
tests/test_injection.py (also `python -m bench.injection`).
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from lichc.build import render_files
from lichc.diagnostics import SpecError
from lichc.fileformat.names import to_snake
from lichc.fileformat.templated import parse_env_string
from lichc.load.loader import parse
from lichc.plan.check import checked_plan
from tests.snapshots import write_tree
from tests.support import codecheck
from tests.support.cli import binary
from tests.support.hostile_specs import (
    CANARY,
    Drawn,
    field_type,
    has_default,
    specs,
)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = int(os.environ.get("LICHC_INJECTION_EXAMPLES", "150"))
# ruff checks the trees whose names are this short at most: with longer ones
# (up to the 64 characters allowed) some templates still lay lines out
# differently from ruff (see SECURITY.md, "Known limits").
SHORT_NAME = 40
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)
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
            elif "parallel" in step:
                tasks[f"{base}.{step['name']}"] = queue_of(job)
                for branch in step["parallel"]:
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
        names.add(f"start_{snake}")
        if engine == "temporal":
            names |= {f"run_{snake}", f"status_{snake}"}
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
    """The documented normalisation of free text into a docstring (like ruff's)."""
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


def decorated(tree: ast.AST, decorator: str) -> dict[str, ast.AST]:
    """Definitions decorated with `decorator(name=...)`, by that name."""
    found: dict[str, ast.AST] = {}
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


# -- the checks ---------------------------------------------------------------------------


class Output:
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


def check_everything(spec: dict[str, Any], files: dict[str, bytes]) -> None:
    out = Output(spec, files)
    check_no_code_from_yaml(out)
    check_nothing_more(out)
    check_inputs(out)
    check_settings(out)
    check_client(out)
    if jobs_on(spec, "celery"):
        check_celery(out)
    if jobs_on(spec, "temporal"):
        check_temporal(out)
    check_compose(out)


def check_no_code_from_yaml(out: Output) -> None:
    vocabulary = codecheck.Vocabulary(frozenset(spec_names(out.spec)))
    modules = handler_modules(out.spec)
    for path, tree in out.trees.items():
        outside = codecheck.canary_outside_strings(out.text[path], CANARY)
        assert not outside, f"{path}: text from YAML outside a string: {outside}"
        strangers = sorted(
            i for i in set(codecheck.identifiers(tree)) if not vocabulary.allows(i)
        )
        assert not strangers, f"{path}: identifiers from nowhere: {strangers}"
        shadowed = codecheck.shadowed_names(tree, mirrors(out.spec, tree))
        assert not shadowed, f"{path}: {shadowed}"
        hidden = codecheck.hidden_imports(tree, modules)
        assert not hidden, f"{path}: {hidden}"
    compose = out.text["docker-compose.yml"]
    scalars = [
        (t.start_mark.index, t.end_mark.index)
        for t in yaml.scan(compose, Loader=yaml.CSafeLoader)
        if isinstance(t, yaml.ScalarToken)
    ]
    at = compose.find(CANARY)
    while at >= 0:
        assert any(a <= at < b for a, b in scalars), (
            "compose: YAML text outside a scalar"
        )
        at = compose.find(CANARY, at + 1)


def check_nothing_more(out: Output) -> None:
    """Every top-level name of a module is the template's own, an import, or
    a definition the spec asks for (a task, activity, workflow, model, client
    function, or the policy or activity options of one)."""
    words = codecheck.template_words()
    wanted = {f"{name}Input" for name in out.spec["jobs"]}
    wanted |= client_functions(out.spec, "celery") | client_functions(
        out.spec, "temporal"
    )
    for path, tree in out.trees.items():
        registered = set(wanted)
        for decorator in ("app.task", "activity.defn", "workflow.defn"):
            registered |= {
                getattr(n, "name", "") for n in decorated(tree, decorator).values()
            }
        for node in tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                if ast.unparse(node.value.func) in (
                    "Policy",
                    "workflow.ActivityConfig",
                    "shaped",  # an activity: the shape its handler takes
                ):
                    registered.add(ast.unparse(node.targets[0]))
            elif isinstance(node, ast.Import | ast.ImportFrom):
                registered |= {a.asname or a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.AsyncFunctionDef) and any(
                ast.unparse(d).startswith("activity.defn(") for d in node.decorator_list
            ):
                registered.add(node.name)  # the async shape of an activity
        extra = codecheck.module_names(tree) - registered - words
        assert not extra, f"{path} defines names nobody asked for: {sorted(extra)}"


def check_inputs(out: Output) -> None:
    tree = out.module("inputs")
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    assert set(classes) == {f"{name}Input" for name in out.spec["jobs"]}
    for name, job in out.spec["jobs"].items():
        body = classes[f"{name}Input"].body
        fields = {
            n.target.id: n.value
            for n in body
            if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)
        }
        inputs = job.get("input", {})
        assert list(fields) == list(inputs)
        for field, entry in inputs.items():
            value = fields[field]
            described = isinstance(entry, dict) and "description" in entry
            if described:
                assert isinstance(value, ast.Call)
                assert constant(kwarg(value, "description")) == entry["description"]
            if has_default(entry):
                found = kwarg(value, "default") if described else value
                assert found is not None
                assert constant(found) == entry["default"]


def check_settings(out: Output) -> None:
    tree = out.module("settings")
    # the value each function returns, or (Celery's URLs) the `url` it then
    # passes to redis_url, which only adds TLS's ssl_cert_reqs default
    returns = {
        f.name: f.body[0].value
        if isinstance(f.body[0], ast.Assign)
        else f.body[-1].value
        for f in tree.body
        if isinstance(f, ast.FunctionDef) and isinstance(f.body[-1], ast.Return)
    }
    values = {
        "celery_broker_url": ("celery", "broker"),
        "celery_result_backend": ("celery", "result_backend"),
        "temporal_address": ("temporal", "address"),
        "temporal_namespace": ("temporal", "namespace"),
    }
    for function, (section, key) in values.items():
        written = out.spec.get(section, {}).get(key)
        if function not in returns or written is None:
            continue
        expected = parse_env_string(written).example()

        def env(name: str, default: str | None = None) -> str:
            assert default is not None
            return default

        node = returns[function]
        assert node is not None
        assert evaluate(node, {"env": env}) == expected, function


def check_client(out: Output) -> None:
    tree = out.module("client")
    exports = client_functions(out.spec, "celery") | client_functions(
        out.spec, "temporal"
    )
    if jobs_on(out.spec, "temporal"):
        exports.add("connect")
    found = next(
        constant(n.value)
        for n in tree.body
        if isinstance(n, ast.Assign | ast.AnnAssign)
        and ast.unparse(n.targets[0] if isinstance(n, ast.Assign) else n.target)
        == "__all__"
        and n.value is not None
    )
    assert found == sorted(exports)


def _default_expected(entry: Any) -> Any:
    return entry["default"] if has_default(entry) else None


def check_parameters(
    function: ast.FunctionDef | ast.AsyncFunctionDef,
    job: dict[str, Any],
    *,
    mutable_none: bool,
) -> None:
    inputs = job.get("input", {})
    names = [a.arg for a in function.args.kwonlyargs]
    assert names == list(inputs), function.name
    for arg, default in zip(
        function.args.kwonlyargs, function.args.kw_defaults, strict=True
    ):
        entry = inputs[arg.arg]
        if default is None:
            assert not has_default(entry)
            assert not field_type(entry).endswith("?")
            continue
        expected = _default_expected(entry)
        if mutable_none and isinstance(expected, list | dict):
            expected = None
        assert constant(default) == expected, (function.name, arg.arg)


def check_celery(out: Output) -> None:
    spec = out.spec
    jobs = jobs_on(spec, "celery")
    tasks_tree = out.module("celery_tasks")
    tasks = decorated(tasks_tree, "app.task")
    expected = task_queues(spec)
    assert set(tasks) == set(expected)
    for name, node in tasks.items():
        d = next(x for x in node.decorator_list if isinstance(x, ast.Call))
        assert constant(kwarg(d, "queue")) == expected[name]
    # docstrings and literal arguments
    for name, job in jobs.items():
        base = f"{spec['project']}.{to_snake(name)}"
        if "run" in job:
            want = (
                docstring(job["description"])
                if "description" in job
                else f"Run job {name}."
            )
            assert docstring_of(tasks[base]) == want
            continue
        for step in run_steps(job):
            node = tasks[f"{base}.{step['name']}"]
            if "description" in step:
                assert docstring_of(node) == docstring(step["description"])
            handler_call = next(calls(node, "call"))
            for key, value in (step.get("args") or {}).items():
                if not (isinstance(value, str) and value.startswith("${")):
                    assert constant(kwarg(handler_call, key)) == value
    # dead letters
    policies = {
        ast.unparse(n.targets[0]): n.value
        for n in tasks_tree.body
        if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call)
    }
    dead = {
        constant(kwarg(p, "dead_letter"))
        for p in policies.values()
        if any(k.arg == "dead_letter" for k in p.keywords)
    }
    want_dead = set()
    for job in jobs.values():
        if job.get("dead_letter") is True:
            want_dead.add("dead_letter")
        elif isinstance(job.get("dead_letter"), dict):
            want_dead.add(job["dead_letter"]["queue"])
    assert dead == want_dead
    # the app: queues, routes, beat
    app = out.module("celery_app")
    queues = {constant(c.args[0]) for c in calls(app, "Queue")}
    assert queues == {"default"} | set(expected.values())
    update = next(calls(app, "app.conf.update"))
    routes = constant(kwarg(update, "task_routes"))
    assert routes == {task: {"queue": q} for task, q in expected.items()}
    check_beat(out, jobs, update)
    # the client
    client = out.module("celery_client")
    assert functions(client) == client_functions(spec, "celery")
    for name, job in jobs.items():
        start = next(
            f
            for f in client.body
            if isinstance(f, ast.FunctionDef) and f.name == f"start_{to_snake(name)}"
        )
        check_parameters(start, job, mutable_none=False)
        assert docstring_of(start) == f"Start {name} on queue {queue_of(job)}."
        if "id" in job:
            assignment = next(
                n
                for n in ast.walk(start)
                if isinstance(n, ast.Assign) and ast.unparse(n.targets[0]) == "task_id"
            )
            data = {f: f"<{f}>" for f in job.get("input", {})}
            names = {
                n.id for n in ast.walk(assignment.value) if isinstance(n, ast.Name)
            }
            scope = {"data": data, "job": SimpleNamespace(**data)}
            value = evaluate(
                assignment.value, {k: v for k, v in scope.items() if k in names}
            )
            assert value == id_value(job["id"], data)


def check_beat(out: Output, jobs: dict[str, dict[str, Any]], update: ast.Call) -> None:
    wanted = [
        (n, j, i, s) for n, j in jobs.items() for i, s in enumerate(_schedules(j))
    ]
    if not wanted:
        assert all(k.arg != "beat_schedule" for k in update.keywords)
        return
    beat = kwarg(update, "beat_schedule")
    assert isinstance(beat, ast.Dict)
    entries = [v for v in beat.values if isinstance(v, ast.Dict)]
    assert len(entries) == len(wanted)
    for entry, (name, job, index, schedule) in zip(entries, wanted, strict=True):
        fields = dict(
            zip([constant(k) for k in entry.keys if k], entry.values, strict=True)
        )
        assert constant(fields["task"]) == f"{out.project}.{to_snake(name)}"
        call = fields["schedule"]
        assert isinstance(call, ast.Call)
        keys = ["minute", "hour", "day_of_month", "month_of_year", "day_of_week"]
        assert [constant(kwarg(call, k)) for k in keys] == cron_fields(schedule["cron"])
        timezone = schedule.get("timezone", "UTC")
        if timezone != "UTC":
            assert constant(kwarg(call, "timezone")) == timezone
        assert constant(fields["kwargs"]) == schedule.get("input", {})
        # JobScheduler's tick option: the base of each tick's task id
        tick = constant(fields["options"])["lichc_tick"]
        assert tick["chain"] == ("run" not in job)
        if "id" in job:
            values = {
                k: e["default"]
                for k, e in job.get("input", {}).items()
                if has_default(e)
            }
            values |= schedule.get("input", {})
            assert tick["id"] == id_value(job["id"], values)
        else:
            assert tick["id"] == f"{out.project}.{to_snake(name)}.{index}"


def _schedules(job: dict[str, Any]) -> list[dict[str, Any]]:
    schedule = job.get("schedule", [])
    return [schedule] if isinstance(schedule, dict) else list(schedule)


def check_temporal(out: Output) -> None:
    spec = out.spec
    jobs = jobs_on(spec, "temporal")
    flows = out.module("temporal_workflows")
    workflows = decorated(flows, "workflow.defn")
    assert set(workflows) == set(jobs)
    literals: list[Any] = []
    for node in calls(flows, "workflow.execute_activity"):
        listed = kwarg(node, "args")
        assert isinstance(listed, ast.List)
        for element in listed.elts:
            try:
                literals.append(constant(element))
            except ValueError:
                assert not any(
                    isinstance(n, ast.Constant)
                    and isinstance(n.value, str)
                    and CANARY in n.value
                    for n in ast.walk(element)
                )
    for name, job in jobs.items():
        cls = workflows[name]
        want = docstring(job["description"]) if "description" in job else f"Job {name}."
        assert docstring_of(cls) == want
        assert set(decorated(cls, "workflow.signal")) == signals(job)
        received = {constant(c.args[0]) for c in calls(cls, "self._job.receive")}
        assert received == signals(job)
        for step in run_steps(job):
            for args in (step.get("args"), (step.get("compensate") or {}).get("args")):
                for value in (args or {}).values():
                    if not (isinstance(value, str) and value.startswith("${")):
                        assert value in literals
    queues = {
        constant(kwarg(c, "task_queue"))
        for c in calls(flows, "workflow.ActivityConfig")
    }
    step_queues = {queue_of(j, s) for j in jobs.values() for s in run_steps(j)}
    step_queues |= {queue_of(j) for j in jobs.values() if "run" in j}
    assert queues == step_queues
    activities = out.module("temporal_activities")
    assert set(decorated(activities, "activity.defn")) == activity_types(spec)
    worker = out.module("temporal_worker")
    served = {constant(kwarg(c, "task_queue")) for c in calls(worker, "Worker")}
    assert served == step_queues | {queue_of(j) for j in jobs.values()}
    client = out.module("temporal_client")
    assert functions(client) == client_functions(spec, "temporal") | {
        "connect",
        "_start",
    }
    for name, job in jobs.items():
        start = next(
            f
            for f in client.body
            if isinstance(f, ast.AsyncFunctionDef)
            and f.name == f"start_{to_snake(name)}"
        )
        check_parameters(start, job, mutable_none=True)
        started = next(calls(start, "_start"))
        assert constant(kwarg(started, "task_queue")) == queue_of(job)
        if "id" in job:
            data = {f: f"<{f}>" for f in job.get("input", {})}
            value = evaluate(kwarg(started, "id"), {"input": SimpleNamespace(**data)})
            assert value == id_value(job["id"], data)
    check_schedules(out, jobs)


def check_schedules(out: Output, jobs: dict[str, dict[str, Any]]) -> None:
    wanted = [(n, s) for n, j in jobs.items() for s in _schedules(j)]
    if not wanted:
        assert not out.has("temporal_schedules")
        return
    tree = out.module("temporal_schedules")
    specs_found = [
        (constant(kwarg(c, "cron_expressions")), constant(kwarg(c, "time_zone_name")))
        for c in calls(tree, "ScheduleSpec")
    ]
    assert specs_found == [
        ([" ".join(s["cron"].split())], s.get("timezone", "UTC")) for _, s in wanted
    ]
    actions = list(calls(tree, "ScheduleActionStartWorkflow"))
    for action, (name, schedule) in zip(actions, wanted, strict=True):
        model = action.args[1]
        assert isinstance(model, ast.Call)
        assert ast.unparse(model.func).endswith(f"{name}Input")
        given_values = {k.arg: constant(k.value) for k in model.keywords}
        assert given_values == schedule.get("input", {})


def check_compose(out: Output) -> None:
    compose = yaml.load(out.text["docker-compose.yml"], Loader=yaml.CSafeLoader)

    def unescaped(value: str) -> str:
        return value.replace("$$", "$")

    assert unescaped(compose["name"]) == out.project
    services = compose["services"]
    queues = set(task_queues(out.spec).values())
    workers = {k: v for k, v in services.items() if k.startswith("celery-worker-")}
    assert set(workers) == {f"celery-worker-{q}" for q in queues}
    for key, service in workers.items():
        command = service["command"]
        assert unescaped(command[command.index("--queues") + 1]) == key.removeprefix(
            "celery-worker-"
        )
        broker = out.spec.get("celery", {}).get("broker", "")
        if broker.startswith("redis://${BROKER_HOST:-"):
            default = parse_env_string(broker).parts[1].default  # type: ignore[union-attr]
            assert unescaped(service["environment"]["BROKER_HOST"]) == default
    if jobs_on(out.spec, "temporal"):
        written = out.spec.get("temporal", {}).get("namespace", "default")
        namespace = parse_env_string(written).example()
        env = services["temporal"]["environment"]
        assert unescaped(env["DEFAULT_NAMESPACE"]) == namespace


# -- the tests ------------------------------------------------------------------------------


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


def short_names(spec: dict[str, Any]) -> bool:
    """Whether every name (queues too) has at most SHORT_NAME characters."""
    queues = set(task_queues(spec).values())
    for job in spec["jobs"].values():
        queues |= {queue_of(job, s) for s in run_steps(job)} | {queue_of(job)}
    return all(len(n) <= SHORT_NAME for n in spec_names(spec) | queues)


def test_hostile_strings_never_become_code(tmp_path: Path) -> None:
    batch = tmp_path / "batch"
    seen = {"examples": 0, "formatted": 0}

    @SETTINGS
    @given(specs())
    def generated_code_is_safe(drawn: Drawn) -> None:
        try:
            loaded, files = compile_spec(drawn.spec)
        except SpecError as error:
            pytest.fail(f"a valid spec was refused:\n{error.render()}")
        check_everything(loaded, files)
        seen["examples"] += 1
        if short_names(loaded):
            # every tree ruff sees is a separate project folder (its own package)
            folder = batch / f"example_{seen['formatted']:04d}"
            shutil.rmtree(folder, ignore_errors=True)
            write_tree(folder, files)
            seen["formatted"] += 1

    generated_code_is_safe()
    print(f"injection: {seen['examples']} specs checked, {seen['formatted']} formatted")
    assert seen["formatted"] >= seen["examples"] // 3
    formatted = ruff(*RUFF_FORMAT, cwd=batch)
    assert formatted.returncode == 0, (
        formatted.stdout[-5000:] + formatted.stderr[-2000:]
    )
    linted = ruff(*RUFF_CHECK, cwd=batch)
    assert linted.returncode == 0, linted.stdout[-5000:] + linted.stderr[-2000:]


@SETTINGS
@given(specs(invalid=True))
def test_broken_values_are_located_errors(drawn: Drawn) -> None:
    with pytest.raises(SpecError) as raised:
        compile_spec(drawn.spec)
    problems = raised.value.diagnostics
    assert problems
    assert all(d.line >= 1 and d.column >= 1 and d.message for d in problems)
    assert drawn.error_at is not None
    paths = [d.path[: len(drawn.error_at)] for d in problems]
    assert drawn.error_at in paths, (drawn.mutation, raised.value.render())
    rendered = raised.value.render()
    assert rendered.startswith("jobs.yaml:")
    assert CANARY not in "".join(d.hint or "" for d in problems)


def test_the_checks_catch_a_pasted_string() -> None:
    """The checks themselves: a value pasted as code is seen."""
    pasted = f"x = 1\n{CANARY}()  # {CANARY}\n"
    assert codecheck.canary_outside_strings(pasted, CANARY)
    vocabulary = codecheck.Vocabulary(frozenset({"send_email"}))
    assert vocabulary.allows("start_send_email")
    assert not vocabulary.allows(CANARY)
    assert not vocabulary.allows("__import__")
    shadow = ast.parse("import uuid\ndef f(*, uuid):\n    return uuid.uuid4()\n")
    assert codecheck.shadowed_names(shadow, {"f": {"uuid"}})
    fine = ast.parse("def f(*, data):\n    data = M(data=data)\n    return data\n")
    assert not codecheck.shadowed_names(fine, {"f": {"data"}})
