"""The numbers the Celery backend derives from a spec, and `lichc dlq` errors."""

from __future__ import annotations

import ast
import importlib
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from harness.cli import run_lichc
from lichc.build import Source, compile_plan
from lichc.engines.celery import namespaces, options
from lichc.engines.celery import view as model
from lichc.engines.celery.backend import (
    CeleryBackend,
    runtime_modules,
    template_context,
)
from lichc.plan.ir import Plan
from lichc.render.base import header
from lichc.render.renderer import environment, render
from tests.snapshots import render_case_into
from tests.support.plans import plan_of as plan_of_text

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"


def plan_of(path: Path) -> Plan:
    return compile_plan(Source.read(path, "jobs.yaml"))


def test_visibility_timeout_covers_the_longest_wait_and_attempt() -> None:
    plan = plan_of(ROOT / "jobs.yaml")
    # max_delay 60s + timeout 5m = 360s, plus 25% = 450s
    wait, attempt = options.longest_wait(plan), options.longest_attempt(plan)
    assert wait == timedelta(seconds=60)
    assert attempt == timedelta(minutes=5)
    assert options.visibility_timeout(wait, attempt) == timedelta(seconds=450)


def test_visibility_timeout_exceeds_the_countdown_of_consecutive_sleeps() -> None:
    plan = plan_of_text(
        """
        version: 1
        jobs:
          Napper:
            engine: celery
            steps:
              - {name: a, run: m.x:a}
              - {name: first_nap, sleep: 30m}
              - {name: second_nap, sleep: 30m}
              - {name: b, run: m.x:b}
        """
    )
    # the countdown the generated client sends with step b: both sleeps
    (view,) = model.build(plan).jobs
    countdowns = [
        part.removeprefix("countdown=")
        for stage in view.stages
        for signature in stage.signatures
        for part in signature
        if part.startswith("countdown=")
    ]
    assert countdowns == ["3600"]
    wait, attempt = options.longest_wait(plan), options.longest_attempt(plan)
    visibility = options.visibility_timeout(wait, attempt)
    assert visibility > timedelta(seconds=3600) + attempt


def test_visibility_timeout_margin_is_at_least_ten_seconds() -> None:
    plan = plan_of(ROOT / "tests" / "e2e" / "specs" / "celery_crash.yaml")
    # 200ms countdown + 4s attempt + 10s margin
    wait, attempt = options.longest_wait(plan), options.longest_attempt(plan)
    assert options.visibility_timeout(wait, attempt) == timedelta(seconds=14)


def test_expires_is_the_earlier_limit_after_the_countdown() -> None:
    plan = plan_of(GOLDEN / "celery-chain" / "jobs.yaml")
    steps = {s.name: s for job in plan.jobs for s in job.run_steps()}
    assert options.expires(steps["double"]) == timedelta(minutes=5)
    assert options.expires(steps["double"], timedelta(minutes=1)) == timedelta(
        minutes=6
    )
    assert options.expires(steps["add"]) is None


def test_soft_limit_is_just_below_the_timeout() -> None:
    plan = plan_of(GOLDEN / "celery-features" / "jobs.yaml")
    steps = {s.name: s for job in plan.jobs for s in job.run_steps()}
    assert options.soft_time_limit(steps["flaky"]) == timedelta(seconds=1)  # set
    assert options.soft_time_limit(steps["refuse"]) == timedelta(seconds=44)
    assert options.max_retries(steps["flaky"]) is None  # unlimited
    assert options.max_retries(steps["label"]) == 0


def test_cron_names_become_numbers() -> None:
    assert model.cron_fields("*/15 9-17 * jan-mar mon-fri") == {
        "minute": "*/15",
        "hour": "9-17",
        "day_of_month": "*",
        "month_of_year": "1-3",
        "day_of_week": "1-5",
    }


def test_dlq_needs_celery_jobs_and_built_code(tmp_path: Path) -> None:
    (tmp_path / "jobs.yaml").write_text(
        "version: 1\njobs:\n  Sync:\n    engine: temporal\n"
        "    run: examples.shop.emails:send_welcome\n    input: {email: str}\n"
    )
    result = run_lichc("dlq", "list", cwd=tmp_path)
    assert result.code == 1
    assert "no Celery jobs" in result.err
    (tmp_path / "jobs.yaml").write_text((GOLDEN / "minimal" / "jobs.yaml").read_text())
    result = run_lichc("dlq", "list", cwd=tmp_path)
    assert result.code == 1
    assert "run `lichc build` first" in result.err
    assert "Traceback" not in result.err


def test_beat_schedule_honours_its_timezone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pickle
    from datetime import datetime
    from zoneinfo import ZoneInfo

    render_case_into(tmp_path / "out", GOLDEN / "celery-features")
    monkeypatch.syspath_prepend(str(tmp_path / "out"))
    app = importlib.import_module("features.celery_app").app
    try:
        entry = app.conf.beat_schedule["refuse-1"]  # */15 9-17 * * mon-fri, Paris
        assert entry["kwargs"] == {"key": "paris"}
        schedule = pickle.loads(pickle.dumps(entry["schedule"]))
        paris = ZoneInfo("Europe/Paris")
        # Monday 2026-01-05 07:50 UTC is 08:50 in Paris: next run 09:00 Paris
        last = datetime(2026, 1, 5, 7, 50, tzinfo=ZoneInfo("UTC"))
        start, delta, _ = schedule.remaining_delta(last)
        assert start + delta == datetime(2026, 1, 5, 9, 0, tzinfo=paris)
        yearly = app.conf.beat_schedule["refuse-2"]
        # JobScheduler appends each tick's scheduled time to the job's id
        tick = {"id": "refuse-yearly", "chain": False}
        assert yearly["options"] == {"lichc_tick": tick}
        assert app.conf.beat_scheduler == "features.celery_runtime:JobScheduler"
    finally:
        for name in [m for m in sys.modules if m.split(".")[0] == "features"]:
            del sys.modules[name]


def test_a_chains_own_queue_is_consumed_when_every_step_overrides_it(
    tmp_path: Path,
) -> None:
    # The launcher and the chord body of `p` run on the job's queue `jobq`:
    # without a worker on it, the chord never completes.
    (tmp_path / "jobs.yaml").write_text(
        "version: 1\n"
        "jobs:\n"
        "  Flow:\n"
        "    engine: celery\n"
        "    queue: jobq\n"
        "    steps:\n"
        "      - {name: a, run: m.x:a, queue: s}\n"
        "      - {name: p, parallel: [{name: b, run: m.x:b, queue: s}]}\n"
    )
    plan = plan_of(tmp_path / "jobs.yaml")
    assert plan.queues_on("celery") == ("jobq", "s")
    result = run_lichc("build", cwd=tmp_path)
    assert result.code == 0, result.err
    app = (tmp_path / "generated" / "jobs" / "celery_app.py").read_text()
    assert 'Queue("jobq")' in app
    assert '"jobs.flow.p": {"queue": "jobq"}' in app
    compose = (tmp_path / "generated" / "docker-compose.yml").read_text()
    assert "celery-worker-jobq:" in compose


def test_a_rediss_url_without_ssl_cert_reqs_verifies_certificates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Celery raises "A rediss:// URL must have parameter ssl_cert_reqs" when
    # the result backend is built; the generated settings add `required`.
    import ssl

    (tmp_path / "jobs.yaml").write_text(
        "version: 1\n"
        "project: tlsapp\n"
        "celery:\n"
        "  broker: rediss://:secret@localhost:6380/0\n"
        "  result_backend: ${TLS_RESULTS:-redis://localhost:6379/1}\n"
        "jobs:\n"
        "  Ping:\n"
        "    engine: celery\n"
        "    run: m.x:ping\n"
    )
    result = run_lichc("build", cwd=tmp_path)
    assert result.code == 0, result.err
    # read when the code runs: a placeholder's value gets the default too
    monkeypatch.setenv("TLS_RESULTS", "rediss://localhost:6380/1?ssl_ca_certs=ca.pem")
    monkeypatch.syspath_prepend(str(tmp_path / "generated"))
    try:
        app = importlib.import_module("tlsapp.celery_app").app
        backend = app.backend  # built here: no server is needed
        assert backend.connparams["ssl_cert_reqs"] == ssl.CERT_REQUIRED
        assert backend.connparams["ssl_ca_certs"] == "ca.pem"
        broker = app.connection_for_write()
        assert broker.ssl == {"ssl_cert_reqs": ssl.CERT_REQUIRED}
        settings = importlib.import_module("tlsapp.settings")
        kept = "rediss://h:6380/0?ssl_cert_reqs=none"
        assert settings.redis_url(kept) == kept  # an explicit choice stays
        assert settings.redis_url("redis://h:6379/0") == "redis://h:6379/0"
    finally:
        for name in [m for m in sys.modules if m.split(".")[0] == "tlsapp"]:
            del sys.modules[name]


def test_tasks_show_the_jobs_fields_and_celery_checks_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import inspect

    monkeypatch.syspath_prepend(
        str(render_case_into(tmp_path, GOLDEN / "celery-features"))
    )
    monkeypatch.syspath_prepend(str(ROOT))  # the e2e handlers the golden imports
    try:
        app = importlib.import_module("features.celery_app").app
        importlib.import_module("features.celery_tasks")
        flaky = app.tasks["features.flaky"]
        params = inspect.signature(flaky).parameters
        assert list(params) == ["key", "failures"]
        assert params["key"].kind is inspect.Parameter.KEYWORD_ONLY
        assert params["key"].default is inspect.Parameter.empty
        assert params["failures"].default == 2  # the spec's default
        assert params["failures"].annotation == "int"
        note = inspect.signature(app.tasks["features.label"]).parameters["note"]
        assert (note.annotation, note.default) == ("str | None", None)
        # Celery's typing check runs before anything is sent (no broker here)
        assert flaky.typing
        with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
            flaky.s(key="a", colour="red").apply_async()
        with pytest.raises(TypeError, match="missing 1 required keyword-only"):
            flaky.apply_async(kwargs={"failures": 1})
    finally:
        for name in [m for m in sys.modules if m.split(".")[0] == "features"]:
            del sys.modules[name]


def test_dlq_replay_needs_one_target_and_a_valid_new_deadline(tmp_path: Path) -> None:
    (tmp_path / "jobs.yaml").write_text((GOLDEN / "minimal" / "jobs.yaml").read_text())
    for args in ([], ["abc", "--all"], ["--all", "--job", "X"]):
        result = run_lichc("dlq", "replay", *args, cwd=tmp_path)
        assert result.code == 2, result.err
        assert "give one of RECORD_ID, --all or --job NAME" in result.err
    result = run_lichc("dlq", "replay", "--all", "--new-deadline", "soon", cwd=tmp_path)
    assert result.code == 2
    assert "--new-deadline" in result.err
    assert "Traceback" not in result.err


# Input fields and handlers named like the generated code's own names (see
# tests/e2e/test_field_names.py), and a handler package named like a helper.
CLASHING_NAMES = """
    version: 1
    project: clash
    jobs:
      Single:
        id: s-{call}
        input: {call: str, self: str, job: str, app: str, start_flow: str}
        run: check.mod:result
        retry: {retry_on: ["check.errors:Oops"]}
      Flow:
        engine: celery
        input: {start_single: str, chain: str, chord: str, send_once: str, new_context: str}
        schedule: {cron: "0 3 * * *", input: {start_single: a, chain: b, chord: c, send_once: d, new_context: e}}
        steps:
          - {name: first, run: tests.e2e.handlers.echo:context}
          - {name: second, run: Handler.x:call}
          - name: both
            parallel:
              - {name: third, run: tests.e2e.handlers.echo:self}
              - {name: fourth, run: builtins:print}
      Run:  # the client's cancel_run is the runtime's name for its cancel
        run: check.mod:result
"""


def bound_names(source: str) -> set[str]:
    """Every name a module binds: imports, definitions, parameters, targets."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names |= {a.asname or a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


def naming_plans() -> list[Plan]:
    specs = [ROOT / "jobs.yaml", *sorted(GOLDEN.glob("*/jobs.yaml"))]
    plans = [plan_of(spec) for spec in specs]
    return [p for p in [*plans, plan_of_text(CLASHING_NAMES)] if p.jobs_on("celery")]


def test_celery_modules_bind_only_reserved_or_allocated_names() -> None:
    """Each template's reserved set is what its output binds by itself: no
    name is missing from it (it could be handed out twice), none is stale."""
    reserved = {
        "celery_tasks": namespaces.TASKS_RESERVED,
        "celery_client": namespaces.CLIENT_RESERVED,
        "celery_handlers": namespaces.HANDLERS_RESERVED,
    }
    own: dict[str, set[str]] = {module: set() for module in reserved}
    for plan in naming_plans():
        jobs = plan.jobs_on("celery")
        context = template_context(plan)
        given = namespaces.fields_and_models(jobs)  # parameters and models
        defined = namespaces.client_functions(jobs)  # start_x, cancel_x: the API
        allocated = {
            "celery_tasks": context["module"].names.taken | given,
            "celery_client": context["client_names"].taken | given | defined,
            "celery_handlers": context["checks"].names.taken,
        }
        files = CeleryBackend().render(plan, environment())
        for module, names in allocated.items():
            bound = bound_names(files[f"{plan.project}/{module}.py"]) - names
            assert bound <= reserved[module], (plan.project, module)
            own[module] |= bound
    assert own == reserved


def test_names_that_clash_with_fields_or_helpers_are_renamed() -> None:
    files = render(plan_of_text(CLASHING_NAMES))
    tasks = files["clash/celery_tasks.py"]
    assert "from .celery_runtime import call as call_2" in tasks
    assert (
        "    self_2: JobTask,\n    /,\n    *,\n    call: str,\n    self: str," in tasks
    )
    assert "    job_2 = SingleInput(" in tasks
    # the launcher of Flow calls its start function, named like a field of Single
    assert "from .celery_client import start_flow as start_flow_2" in tasks
    assert "    return start_flow_2(\n" in tasks
    client = files["clash/celery_client.py"]
    assert "from .celery_app import app as app_2" in client
    assert "from .celery_runtime import cancel_run as cancel_run_2" in client
    assert "def cancel_run(task_id: str | AsyncResult[Any]) -> bool:" in client
    assert "    return cancel_run_2(task_id)" in client
    handlers = files["clash/celery_handlers.py"]
    assert "import check.mod as check_mod" in handlers
    assert "        check_mod.result," in handlers
    assert "import Handler.x as Handler_x" in handlers


def test_the_runtime_is_copied_verbatim_after_the_header() -> None:
    plan = plan_of(ROOT / "jobs.yaml")
    files = CeleryBackend().render(plan, environment())
    copied = sorted(p for p in files if p.startswith("shop/celery_runtime/"))
    modules = runtime_modules()
    assert copied == sorted(
        [f"shop/celery_runtime/{m.name}" for m in modules]
        + ["shop/celery_runtime/spec.py"]
    )
    for module in modules:
        first, rest = files[f"shop/celery_runtime/{module.name}"].split("\n", 1)
        assert first == header("jobs.yaml")
        assert rest == module.read_text(encoding="utf-8")
    # what the other modules import from `.celery_runtime` is its package's API
    package = files["shop/celery_runtime/__init__.py"]
    for name in ("JobTask", "JobRequest", "JobScheduler", "send_once", "zoned_crontab"):
        assert f'    "{name}",\n' in package
