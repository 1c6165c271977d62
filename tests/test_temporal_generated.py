"""The generated Temporal code as a Python user meets it: formatted, typed,
loadable in Temporal's workflow sandbox, and lichc itself free of temporalio."""

from __future__ import annotations

import ast
import builtins
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import build, run_lichc
from lichc.build import Source, compile_plan, evolved, render_files
from tests.snapshots import GOLDEN, golden_cases, render_case, render_case_into

ROOT = Path(__file__).resolve().parent.parent
CONFIG = str(ROOT / "pyproject.toml")


def temporal_cases() -> list[tuple[Path, str]]:
    """(spec folder, project) of the example and each golden spec whose output
    has Temporal code."""
    return [
        (case, path.split("/")[0])
        for case in [ROOT, *golden_cases()]
        for path in sorted(render_case(case))
        if path.endswith("/temporal_workflows.py")
    ]


def case_id(case: Path) -> str:
    return "example" if case == ROOT else case.name


@pytest.fixture(scope="module")
def temporal_trees(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, str]]:
    """(output folder, project) of each, rendered now into a temporary folder."""
    return [
        (render_case_into(tmp_path_factory.mktemp(case_id(case)), case), project)
        for case, project in temporal_cases()
    ]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_every_temporal_feature_has_a_golden_case() -> None:
    names = {case.name for case in golden_cases()}
    assert {"temporal-saga", "temporal-single"} <= names
    assert len(temporal_cases()) >= 3


def test_generated_temporal_code_passes_ruff(
    temporal_trees: list[tuple[Path, str]],
) -> None:
    folders = [str(folder) for folder, _ in temporal_trees]
    check = run("-m", "ruff", "check", "--config", CONFIG, *folders)
    assert check.returncode == 0, check.stdout + check.stderr
    fmt = run("-m", "ruff", "format", "--check", "--config", CONFIG, *folders)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_generated_temporal_code_passes_mypy_strict(
    temporal_trees: list[tuple[Path, str]],
) -> None:
    # client.py also re-exports Celery functions, which another backend renders
    files = [
        str(path)
        for folder, project in temporal_trees
        for path in sorted((folder / project).glob("*.py"))
        if path.name != "client.py"
    ]
    result = run("-m", "mypy", "--strict", "--config-file", CONFIG, *files)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("case", "project"),
    temporal_cases(),
    ids=lambda v: case_id(v) if isinstance(v, Path) else v,
)
def test_workflows_load_in_the_sandbox_without_warnings(
    case: Path, project: str, tmp_path: Path
) -> None:
    folder = render_case_into(tmp_path, case)
    result = run("-m", "tests.support.sandbox_check", str(folder), project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "warning" not in result.stdout


def test_building_does_not_import_temporalio() -> None:
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from lichc.build import Source, compile_plan, evolved, render_files\n"
        f"files = render_files(compile_plan(Source.read(Path({str(GOLDEN / 'temporal-saga' / 'jobs.yaml')!r}))))\n"
        "assert any(name.endswith('temporal_workflows.py') for name in files)\n"
        "leaked = sorted(m for m in sys.modules if m.split('.')[0] in ('temporalio', 'celery'))\n"
        "assert not leaked, leaked\n"
    )
    result = run("-c", script)
    assert result.returncode == 0, result.stdout + result.stderr


def test_two_handler_modules_never_share_a_name(tmp_path: Path) -> None:
    # `examples.inj.orders` takes the name `orders`; the top-level module
    # `orders` must then be imported under another one, not rebind it.
    (tmp_path / "jobs.yaml").write_text(
        "version: 1\n"
        "jobs:\n"
        "  Pay:\n"
        "    engine: temporal\n"
        "    steps:\n"
        "      - {name: charge, run: examples.inj.orders:charge}\n"
        "      - {name: refund, run: orders:refund}\n"
        "      - {name: audit, run: activity.log:audit}\n"
    )
    files = render_files(compile_plan(Source.read(tmp_path / "jobs.yaml")))
    tree = ast.parse(files["jobs/temporal_activities.py"])
    bound = [
        alias.asname or alias.name.split(".")[0]
        for node in tree.body
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    ]
    assert len(bound) == len(set(bound)), bound
    # the handlers as given_context(...) and the start-up check name them
    named = {ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    assert {"orders.charge", "orders_2.refund", "log.audit"} <= named


def test_a_job_whose_snake_case_name_is_a_keyword(tmp_path: Path) -> None:
    # `Import` is `import` in snake_case: a task or activity function cannot be
    (tmp_path / "jobs.yaml").write_text(
        "version: 1\n"
        "jobs:\n"
        "  Import: {engine: celery, run: a.b:c}\n"
        "  Return: {engine: temporal, run: a.b:c}\n"
    )
    files = render_files(compile_plan(Source.read(tmp_path / "jobs.yaml")))
    for path, data in files.items():
        if path.endswith(".py"):
            ast.parse(data, filename=path)
    assert (
        b'@app.task(\n    bind=True,\n    base=JobTask,\n    name="jobs.import",'
        in (files["jobs/celery_tasks.py"])
    )
    assert b'@activity.defn(name="return")' in files["jobs/temporal_activities.py"]


def test_job_and_module_names_never_hide_builtins(tmp_path: Path) -> None:
    # a job `Str` would be `def str()`, a module `app.str` `from app import str`:
    # either hides the `str(error)` non_retryable() calls (likewise `type`)
    (tmp_path / "jobs.yaml").write_text(
        "version: 1\n"
        "jobs:\n"
        "  Str:\n"
        "    engine: temporal\n"
        "    run: app.str:handle\n"
        "    retry: {non_retryable: [ValueError]}\n"
        "  Type: {engine: temporal, run: app.type:handle}\n"
    )
    files = render_files(compile_plan(Source.read(tmp_path / "jobs.yaml")))
    for path, data in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(data)
    tree = ast.parse(files["jobs/temporal_activities.py"])
    bound = {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    bound |= {
        alias.asname or alias.name.split(".")[0]
        for node in tree.body
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert not bound & set(dir(builtins)), sorted(bound & set(dir(builtins)))
    (tmp_path / "app").mkdir()
    for module in ("__init__", "str", "type"):
        (tmp_path / "app" / f"{module}.py").write_text("def handle() -> None: ...\n")
    script = (
        "from jobs.temporal_activities import non_retryable\n"
        "error = non_retryable(ValueError('bad'))\n"
        "assert (error.message, error.type) == ('bad', 'ValueError'), error\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_output_depends_on_the_spec_alone_not_on_handler_code_or_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    (project / "app_x").mkdir(parents=True)
    elsewhere.mkdir()
    (project / "jobs.yaml").write_text(
        "version: 1\njobs:\n  Pay: {engine: temporal, run: app_x.pay:charge}\n"
    )
    handler = project / "app_x" / "pay.py"
    outputs = []
    for number, (source, cwd) in enumerate(
        (
            ("def charge(): ...\n", project),  # the handler module is found here
            ("def charge(): ...\n", elsewhere),  # and not from here
            ("async def charge(): ...\n", project),
        )
    ):
        handler.write_text(source)
        os.utime(handler, ns=(number, number))  # a new mtime, however fast
        monkeypatch.chdir(cwd)
        monkeypatch.syspath_prepend(str(cwd))
        outputs.append(render_files(compile_plan(Source.read(project / "jobs.yaml"))))
    assert outputs[0] == outputs[1] == outputs[2]
    activities = outputs[0]["jobs/temporal_activities.py"]
    assert b"\ndef pay_sync(args: PayArgs) -> Any:" in activities
    assert b"\nasync def pay_async(args: PayArgs) -> Any:" in activities


def test_generated_class_names_do_not_repeat_their_suffix(tmp_path: Path) -> None:
    (tmp_path / "jobs.yaml").write_text(
        "version: 1\nproject: jobs\njobs:\n"
        "  YourSchedulesWorkflow: {engine: temporal, run: a.b:c}\n"
        "  BillingInput: {engine: temporal, run: a.b:d}\n"
    )
    files = render_files(compile_plan(Source.read(tmp_path / "jobs.yaml")))
    classes = {
        node.name
        for path in ("jobs/temporal_workflows.py", "jobs/inputs.py")
        for node in ast.walk(ast.parse(files[path]))
        if isinstance(node, ast.ClassDef)
    }
    assert {"YourSchedulesWorkflow", "BillingInput", "BillingInputWorkflow"} <= classes
    assert {"YourSchedulesWorkflowInput"} <= classes
    assert not [c for c in classes if "WorkflowWorkflow" in c or "InputInput" in c]


def test_a_handler_mismatch_fails_the_build_but_not_check(
    tmp_path: Path,
) -> None:
    (tmp_path / "app_y.py").write_text("def pay(amount: float) -> None: ...\n")
    build(
        tmp_path,
        "version: 1\njobs:\n  Pay:\n    input: {amount: float}\n    run: app_y:pay\n",
    )
    (tmp_path / "app_y.py").write_text("def pay(amount: float, to: str) -> None: ...\n")
    # the output depends on jobs.yaml alone: still fresh, and truly so
    assert run_lichc("check", cwd=tmp_path).code == 0
    result = run_lichc("build", "--force", cwd=tmp_path)
    assert result.code == 1, result.out + result.err
    located = "jobs.yaml:5:5: error: jobs.Pay.run: app_y:pay needs argument 'to'"
    assert located in result.err, result.err


# -- names each generated module binds ------------------------------------------------

NAMED_SPECS = [
    ROOT / "jobs.yaml",
    *(case / "jobs.yaml" for case in golden_cases()),
    *sorted((ROOT / "tests" / "e2e" / "specs").glob("*.yaml")),
]


def top_level_names(source: str) -> set[str]:
    """What a module binds at its top level, in `with` and `if` blocks too."""
    names: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                for alias in node.names:
                    names.add(alias.asname or alias.name.split(".")[0])
            elif isinstance(
                node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
            ):
                names.add(node.name)
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = (
                    node.targets if isinstance(node, ast.Assign) else [node.target]
                )
                names.update(
                    n.id
                    for t in targets
                    for n in ast.walk(t)
                    if isinstance(n, ast.Name)
                )
            elif isinstance(node, ast.With | ast.If | ast.Try):
                visit(node.body)
                visit(getattr(node, "orelse", []))

    visit(ast.parse(source).body)
    return names


# handler modules named like the template's own names, inputs named like the
# client's modules and locals, activities named like handler modules
COLLIDING_SPEC = """\
version: 1
jobs:
  Shaped:
    engine: temporal
    input: {client: str, uuid: str, timedelta: int, fields: "list[str]"}
    steps:
      - {name: one, run: "app.shaped:run", args: {error: "${input.client}"}}
      - {name: two, run: "app.activity:run"}
      - {name: three, run: "shaped_one:run"}
    retry: {non_retryable: ["app.Heartbeat:Error"]}
  Check: {engine: temporal, run: "other.check_handlers:handle"}
"""


def test_every_generated_name_is_the_templates_own_or_handed_out_by_names(
    tmp_path: Path,
) -> None:
    from lichc.engines.temporal import view as temporal_view

    (tmp_path / "jobs.yaml").write_text(COLLIDING_SPEC)
    bound_anywhere: dict[str, set[str]] = {m: set() for m in temporal_view.RESERVED}
    for spec in [*NAMED_SPECS, tmp_path / "jobs.yaml"]:
        plan, _ = evolved(compile_plan(Source.read(spec)), spec.parent)
        if not plan.jobs_on("temporal"):
            continue
        view = temporal_view.build(plan)
        files = render_files(plan)
        for module, reserved in temporal_view.RESERVED.items():
            path = f"{plan.project}/{module}.py"
            if path not in files:
                continue
            bound = top_level_names(files[path].decode())
            stray = bound - reserved - view.allocated[module]
            assert not stray, f"{spec}: {module} binds {sorted(stray)}"
            bound_anywhere[module] |= bound
    # the other way round: each reserved name is one a template really binds
    for module, reserved in temporal_view.RESERVED.items():
        unused = reserved - bound_anywhere[module]
        assert not unused, f"{module} never binds {sorted(unused)}"
