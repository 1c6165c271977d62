"""The formatting pass: generated Python goes through the pinned ruff."""

from __future__ import annotations

import ast
import random
import subprocess
import sys
from pathlib import Path

import pytest

from lichc.fileformat.templated import parse_env_string
from lichc.render.imports import Imports
from lichc.render.pyformat import format_python
from lichc.render.pysource import py_call, py_env


def test_long_lines_are_wrapped_as_ruff_wraps_them() -> None:
    call = py_call("app.signature", ["x" * 40, "y" * 40, "z" * 40])
    source = f"def f() -> None:\n    s = {call}\n"
    formatted = format_python({"m.py": source})["m.py"]
    assert formatted == (
        "def f() -> None:\n"
        "    s = app.signature(\n"
        f"        {'x' * 40},\n"
        f"        {'y' * 40},\n"
        f"        {'z' * 40},\n"
        "    )\n"
    )


ENV_SETTINGS = [
    "${REDIS_URL:-redis://localhost:6379/0}",
    "redis://${REDIS_HOST:-localhost}:${REDIS_PORT:-6379}/2",
    "${A_VERY_LONG_VARIABLE_NAME_FOR_TESTING:-redis://a-very-long-host-name.example.internal:6379/0}",
    "rediss://${USER}:${A_VERY_LONG_PASSWORD_VARIABLE_NAME:-a-very-long-default-password-value-here}@h/0",
    "plain",
    "${X}",
]


@pytest.mark.parametrize("setting", ENV_SETTINGS)
def test_formatting_changes_layout_only(setting: str) -> None:
    source = f"def url() -> str:\n    return {py_env(parse_env_string(setting))}\n"
    formatted = format_python({"settings.py": source})["settings.py"]
    assert ast.dump(ast.parse(formatted)) == ast.dump(ast.parse(source))
    # a line stays long only where one string literal is longer than the line
    for line in formatted.splitlines():
        assert len(line) <= 88 or line.strip().count('"') == 2, line


def test_only_python_files_are_formatted() -> None:
    files = {"docker-compose.yml": "services:   {}\n", "pkg/a.py": "x=1\n"}
    assert format_python(files) == {
        "docker-compose.yml": "services:   {}\n",
        "pkg/a.py": "x = 1\n",
    }


def test_a_users_ruff_configuration_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a project configured for single quotes and 40 columns
    (tmp_path / "pyproject.toml").write_text(
        "[tool.ruff]\nline-length = 40\n[tool.ruff.format]\nquote-style = 'single'\n"
    )
    monkeypatch.chdir(tmp_path)
    source = 'x = "a string that is longer than forty columns, surely"\n'
    assert format_python({"a.py": source})["a.py"] == source


def test_code_ruff_cannot_parse_is_an_internal_error() -> None:
    with pytest.raises(RuntimeError, match="ruff format failed"):
        format_python({"broken.py": "def f(:\n"})


def test_long_from_imports_are_wrapped_as_isort_wants_them(tmp_path: Path) -> None:
    """A from-import too long for one line, after the pass: one name a line,
    as ruff's isort (I001) wants it."""
    imports = Imports()
    names = ["alpha_handler", "beta_handler", "gamma_handler", "delta_handler"]
    for name in names:
        imports.add("examples.inj.a_rather_long_module_name", name)
    source = "\n".join(imports.lines()) + f"\n\nprint({', '.join(names)})\n"
    assert isort_problems(format_python({"m.py": source})["m.py"], tmp_path) == ""


def test_import_order_is_ruffs_natural_order(tmp_path: Path) -> None:
    """Names and modules with digit runs, leading zeros and dots, sorted by
    Imports and by ruff's isort: the same order (a0s000 before a0000...)."""
    rng = random.Random(7)
    names = {"a0s000", "a0000000000000000", "job2", "job10", "x_1", "x1_"}
    while len(names) < 200:
        names.add(
            "x" + "".join(rng.choice("a0s19_B") for _ in range(rng.randint(1, 7)))
        )
    imports = Imports()
    for name in names:
        imports.add("somepkg", name)
    for module in ("x.a0s", "x.a00", "x1.b", "x_1", "x.b", "xa"):
        imports.add_module(module)
    source = "\n".join(imports.lines()) + "\n"
    assert isort_problems(format_python({"m.py": source})["m.py"], tmp_path) == ""


def isort_problems(source: str, folder: Path) -> str:
    """What ruff's isort (I001) says of `source`, isolated: "" when it agrees."""
    (folder / "m.py").write_text(source)
    linted = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--select", "I", "m.py"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )
    return "" if linted.returncode == 0 else linted.stdout
