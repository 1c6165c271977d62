"""The injection checks: no string from jobs.yaml ever becomes code.

What each check asserts is listed in tests/test_injection.py, which runs them
on drawn specs (harness/hostile_specs.py), as bench/injection.py does with
more examples and figures.
"""

from __future__ import annotations

import ast
import re
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from harness import codecheck
from harness.hostile_specs import (
    Drawn,
    field_type,
    has_default,
)
from harness.hostile_values import CANARY
from harness.injection_spec import (
    Output,
    activity_types,
    calls,
    client_functions,
    compile_spec,
    condition_texts,
    constant,
    cron_fields,
    decorated,
    docstring,
    docstring_of,
    end_steps,
    evaluate,
    functions,
    guarded,
    handler_modules,
    id_value,
    imported_as,
    jobs_on,
    kwarg,
    message_parts,
    mirrors,
    queue_of,
    run_steps,
    signals,
    spec_names,
    task_queues,
    texts_in,
)
from lichc.diagnostics import SpecError
from lichc.fileformat.names import to_snake
from lichc.fileformat.templated import parse_env_string
from lichc.render.imports import isort

# -- the checks ---------------------------------------------------------------------------


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
                    "TypeAdapter",  # the type a job's `result:` is checked with
                    "shaped",  # an activity: the shape its handler takes
                    "given_context",  # its handler, given a JobContext if it asks
                ):
                    registered.add(ast.unparse(node.targets[0]))
            elif isinstance(node, ast.Import | ast.ImportFrom):
                registered |= {a.asname or a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ClassDef) and any(
                ast.unparse(d).startswith("dataclass(") for d in node.decorator_list
            ):
                registered.add(node.name)  # the arguments of an activity
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
                found = (
                    kwarg(value, "default")
                    if described and isinstance(value, ast.Call)
                    else value
                )
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
        exports |= {"connect", "run_sync", "Started"}
    found = next(
        constant(n.value)
        for n in tree.body
        if isinstance(n, ast.Assign | ast.AnnAssign)
        and ast.unparse(n.targets[0] if isinstance(n, ast.Assign) else n.target)
        == "__all__"
        and n.value is not None
    )
    # ruff's isort order (natural: a0_a before a00), as every import list
    assert found == isort(exports)


def _default_expected(entry: Any) -> Any:
    return entry["default"] if has_default(entry) else None


_OPTION = re.compile(r"(id|queue|delay|memo|search_attributes|timeout|run_timeout)_*")


def check_parameters(
    function: ast.FunctionDef | ast.AsyncFunctionDef,
    job: dict[str, Any],
    *,
    mutable_none: bool,
) -> None:
    inputs = job.get("input", {})
    names = [a.arg for a in function.args.kwonlyargs]
    # the input fields, then the start options (renamed `x_` past a field's name)
    assert names[: len(inputs)] == list(inputs), function.name
    assert all(_OPTION.fullmatch(n) for n in names[len(inputs) :]), function.name
    for arg, default in zip(
        function.args.kwonlyargs[: len(inputs)],
        function.args.kw_defaults[: len(inputs)],
        strict=True,
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
        # the runtime's `call`, renamed when an input field is called so
        runtime_call = imported_as(tasks_tree, "celery_runtime", "call")
        for step in run_steps(job):
            node = tasks[f"{base}.{step['name']}"]
            if "description" in step:
                assert docstring_of(node) == docstring(step["description"])
            handler_call = next(calls(node, runtime_call))
            for key, value in (step.get("args") or {}).items():
                if not (isinstance(value, str) and value.startswith("${")):
                    assert constant(kwarg(handler_call, key)) == value
    check_celery_control(out, jobs, tasks)
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
        assert (
            docstring_of(start).split("\n")[0]
            == f"Start {name} on queue {queue_of(job)}."
        )
        if "id" in job:
            assignment = next(
                n
                for n in ast.walk(start)
                if isinstance(n, ast.Assign) and ast.unparse(n.targets[0]) == "task_id"
            )
            data = {f: f"<{f}>" for f in job.get("input", {})}
            # checked_id(id, <the template's id>, <the template>)
            assert isinstance(assignment.value, ast.Call)
            expression = assignment.value.args[1]
            names = {n.id for n in ast.walk(expression) if isinstance(n, ast.Name)}
            scope = {"data": data, "job": SimpleNamespace(**data)}
            value = evaluate(expression, {k: v for k, v in scope.items() if k in names})
            assert value == id_value(job["id"], data)


def check_result(node: ast.expr | None, expected: Any, where: Any) -> None:
    """An end step's result: the spec's literal, or a mapping whose literal
    values are constants with the spec's values (references are code)."""
    assert node is not None, where
    refs = isinstance(expected, dict) and any(
        isinstance(v, str) and "${" in v for v in expected.values()
    )
    if not refs:
        assert constant(node) == expected, where
        return
    assert isinstance(node, ast.Dict), where
    keys = [constant(k) for k in node.keys if k is not None]
    assert keys == list(expected), where
    for key, value in zip(keys, node.values, strict=True):
        if isinstance(expected[key], str) and "${" in expected[key]:
            assert not isinstance(value, ast.Constant), where
        else:
            assert constant(value) == expected[key], where


def check_message(args: list[ast.expr], message: str, where: Any) -> None:
    """A fail message's texts are constants with their exact values, in
    order, and each reference is code between them."""
    found = [a.value if isinstance(a, ast.Constant) else None for a in args]
    assert found == message_parts(message), where


def check_guards(tests: list[ast.expr], step: dict[str, Any], where: Any) -> None:
    """Each quoted text of the step's condition is a constant, with exactly
    its value, in one of the `if` tests given."""
    want = set(condition_texts(step["if"]))
    assert any(want <= texts_in(test) for test in tests), where


def check_celery_control(
    out: Output, jobs: dict[str, dict[str, Any]], tasks: dict[str, Any]
) -> None:
    for name, job in jobs.items():
        base = f"{out.project}.{to_snake(name)}"
        for step, tested in guarded(job):
            for task in tested:
                node = tasks[f"{base}.{task}"]
                tests = [n.test for n in ast.walk(node) if isinstance(n, ast.If)]
                check_guards(tests, step, (name, step["name"], task))
        for step in end_steps(job):
            node = tasks[f"{base}.{step['name']}"]
            where = (name, step["name"])
            if "fail" in step["end"]:
                check_message(
                    next(calls(node, "message")).args, step["end"]["fail"], where
                )
                continue
            ended = list(calls(node, "end_job"))
            value: ast.expr | None
            if ended:
                value = ended[0].args[2]
            else:  # the last step: it returns the job's result
                outcome = next(
                    (
                        s.body[0]
                        for s in node.body
                        if isinstance(s, ast.If)
                        and ast.unparse(s.test) != "ended(context)"
                    ),
                    node.body[-1],
                )
                assert isinstance(outcome, ast.Return), where
                value = outcome.value
            check_result(value, step["end"]["result"], where)


def _job_calls(statements: list[ast.stmt]) -> set[str]:
    """The step names the workflow's `job.start/done/skip/ended/failed` calls
    in `statements` name."""
    return {
        a.value
        for s in statements
        for n in ast.walk(s)
        if isinstance(n, ast.Call) and ast.unparse(n.func).startswith("job.")
        for a in n.args
        if isinstance(a, ast.Constant) and isinstance(a.value, str)
    }


def check_temporal_control(
    jobs: dict[str, dict[str, Any]], workflows: dict[str, Any]
) -> None:
    for name, job in jobs.items():
        cls = workflows[name]
        ifs = [n for n in ast.walk(cls) if isinstance(n, ast.If)]
        for step, _ in guarded(job):
            # the `if` that runs or skips this very step
            mine = [
                n.test for n in ifs if step["name"] in _job_calls(n.body + n.orelse)
            ]
            check_guards(mine, step, (name, step["name"]))
        for step in end_steps(job):
            where = (name, step["name"])
            if "fail" in step["end"]:
                failed = [
                    c
                    for c in calls(cls, "job.failed")
                    if constant(c.args[0]) == step["name"]
                ]
                assert len(failed) == 1, where
                check_message(failed[0].args[1:], step["end"]["fail"], where)
                continue
            values = [
                block[i + 1].value
                for n in ast.walk(cls)
                for block in (getattr(n, "body", []), getattr(n, "orelse", []))
                if isinstance(block, list)
                for i, s in enumerate(block[:-1])
                if isinstance(s, ast.Expr)
                and isinstance(s.value, ast.Call)
                and ast.unparse(s.value.func) == "job.ended"
                and constant(s.value.args[0]) == step["name"]
                and isinstance(block[i + 1], ast.Return)
            ]
            assert len(values) == 1, where
            check_result(values[0], step["end"]["result"], where)


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
        # the activity's one argument: its dataclass, or a removed step's dict
        built = node.args[1]
        assert isinstance(built, ast.Call | ast.Dict), ast.unparse(node)
        elements = (
            [k.value for k in built.keywords]
            if isinstance(built, ast.Call)
            else list(built.values)
        )
        for element in elements:
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
    check_temporal_control(jobs, workflows)
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
        "run_sync",
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
        # the task queue is the `queue` option, whose default is the spec's
        option = kwarg(started, "task_queue")
        assert isinstance(option, ast.Name)
        params = start.args.kwonlyargs
        default = start.args.kw_defaults[[a.arg for a in params].index(option.id)]
        assert default is not None
        assert constant(default) == queue_of(job)
        if "id" in job:
            data = {f: f"<{f}>" for f in job.get("input", {})}
            checked = kwarg(started, "id")  # _checked_id(id, <template's id>, ...)
            assert isinstance(checked, ast.Call)
            value = evaluate(checked.args[1], {"input": SimpleNamespace(**data)})
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


def check_broken(drawn: Drawn) -> None:
    """A spec broken on purpose is refused with located errors, one of them
    at the key the mutation broke."""
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
