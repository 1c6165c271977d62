"""Generated code passes the repo's ruff (check and format) and mypy --strict.

Each golden spec is rendered into a temporary folder (outside tests/golden,
which the repo's ruff config excludes) and checked as a user's checkout would
check it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from harness.cli import binary, build
from tests.snapshots import golden_cases, render_case_into

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "pyproject.toml"


def run(*command: str, cwd: Path, env: dict[str, str] | None = None) -> None:
    done = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout}{done.stderr}"


@pytest.fixture(params=golden_cases(), ids=lambda p: p.name)
def tree(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    return render_case_into(tmp_path / "generated", request.param)


def ruff_check_and_format(tree: Path) -> None:
    run(binary("ruff"), "check", "--no-cache", "--config", str(CONFIG), ".", cwd=tree)
    run(
        binary("ruff"),
        "format",
        "--check",
        "--no-cache",
        "--config",
        str(CONFIG),
        ".",
        cwd=tree,
    )


def test_ruff_check_and_format(tree: Path) -> None:
    ruff_check_and_format(tree)


def test_mypy_strict(tree: Path) -> None:
    packages = [p.name for p in tree.iterdir() if (p / "__init__.py").exists()]
    env = {**os.environ, "MYPYPATH": str(ROOT)}
    run(
        binary("mypy"),
        "--strict",
        "--config-file",
        str(CONFIG),
        "--cache-dir",
        str(ROOT / ".mypy_cache"),
        *[arg for name in packages for arg in ("-p", name)],
        cwd=tree,
        env=env,
    )


def test_names_sort_the_way_ruff_sorts_them(tmp_path: Path) -> None:
    # case-insensitive (JobStatus before JSONExportWorkflow), digits as
    # numbers (job2 before job10): in imports and in __all__
    tree = build(
        tmp_path,
        "version: 1\n"
        "jobs:\n"
        '  JSONExport: {engine: temporal, run: examples.x:a, schedule: {cron: "0 3 * * *"}}\n'
        "  Job2: {engine: temporal, run: examples.x2:b}\n"
        "  Job10: {engine: temporal, run: examples.x10:c}\n"
        "  Clean2: {engine: celery, run: examples.y2:d}\n"
        "  Clean10: {engine: celery, run: examples.y10:e}\n",
    )
    run(binary("ruff"), "check", "--no-cache", "--config", str(CONFIG), ".", cwd=tree)


LONG = "a_rather_long_descriptive_name_of_40_chr"  # 40 characters


def test_long_names_stay_formatted(tmp_path: Path) -> None:
    # lines that hold names are laid out the way ruff lays them out
    job, queue = "SendTheWelcomeEmailToEveryNewCustomerNow", "q" * 40
    spec = (
        f"version: 1\n"
        f"project: {LONG}\n"
        f"jobs:\n"
        f"  {job}:\n"
        f"    engine: celery\n"
        f"    queue: {queue}\n"
        f"    input: {{{LONG}: str}}\n"
        f"    steps:\n"
        f"      - {{name: {LONG}, run: examples.shop_x.emails:{LONG}}}\n"
        f"      - {{name: {LONG}_p, parallel: [{{name: {LONG}_b, run: examples.x:{LONG}}}]}}\n"
        f"  {job}Later:\n"
        f"    engine: temporal\n"
        f"    input: {{{LONG}: str}}\n"
        f"    steps:\n"
        f"      - {{name: {LONG}, run: examples.x:{LONG}, heartbeat: 5s,\n"
        f"         compensate: examples.x:{LONG}_undo,\n"
        f"         retry: {{non_retryable: [examples.x:{LONG}, examples.x:{LONG}_2],\n"
        f"                 retry_on: [examples.x:{LONG}_3, examples.x:{LONG}_4]}}}}\n"
        f"      - {{name: {LONG}_wait, wait_for: {{signal: {LONG}}}}}\n"
        f'      - {{name: {LONG}_last, run: examples.x:last, args: {{x: "${{steps.{LONG}_wait.{LONG}}}"}}}}\n'
    )
    ruff_check_and_format(build(tmp_path, spec))
