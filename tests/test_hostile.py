"""Hostile inputs end in a clear error (exit 1), never a crash or a hang.

The small version of bench/hostile.py, which also measures time and memory.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from harness import hostile_inputs as hostile
from harness.cli import run_lichc

CASES: list[tuple[Callable[[], bytes], str]] = [
    (hostile.alias_bomb, "YAML aliases expand to more than 10000 values"),
    (hostile.huge_file, "file is larger than the 8 MiB limit"),
    (hostile.deep_flow, "nesting deeper than 64 levels"),
    (hostile.deep_block, "nesting deeper than 64 levels"),
    (hostile.huge_integer, "number is too large"),
    (hostile.binary_junk, "the file is not valid UTF-8"),
    (lambda: hostile.long_line(1024 * 1024), "unknown key 'x'"),
    (lambda: b"version: 1\njobs: {}\n\x00\n", "invalid YAML"),
]


@pytest.mark.parametrize(("make", "message"), CASES, ids=[m for _, m in CASES])
def test_hostile_input_is_a_clear_error(
    tmp_path: Path, make: Callable[[], bytes], message: str
) -> None:
    (tmp_path / "jobs.yaml").write_bytes(make())
    result = run_lichc("validate", cwd=tmp_path)
    assert result.code == 1
    assert result.err.startswith("jobs.yaml:")
    assert message in result.err
    assert "Traceback" not in result.err


def test_output_path_tricks_are_refused(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "outside").mkdir()
    (project / "escape").symlink_to(tmp_path / "outside")
    for output, message in [
        ("/etc", "output '/etc' is absolute"),
        ("../outside", "goes outside the project"),
        ("generated/../../outside", "goes outside the project"),
        ("escape", "outside the project"),
    ]:
        (project / "jobs.yaml").write_text(
            f"version: 1\noutput: {output}\njobs:\n  Job: {{run: a.b:c}}\n"
        )
        result = run_lichc("build", cwd=project)
        assert result.code == 1, output
        assert message in result.err, result.err
    assert list((tmp_path / "outside").iterdir()) == []


@pytest.mark.parametrize(
    "handler",
    [
        "../../etc/passwd:x",
        "os.system('x'):y",
        "a/b:c",
        "a.b:c;import os",
        "__import__('os'):x",
        "a.b:c\nimport os",
        "a..b:c",
        "a.b:",
    ],
)
def test_handler_path_tricks_are_refused(tmp_path: Path, handler: str) -> None:
    # a JSON string is a valid YAML double-quoted scalar: the handler arrives verbatim
    (tmp_path / "jobs.yaml").write_text(
        f"version: 1\njobs:\n  Job:\n    run: {json.dumps(handler)}\n"
    )
    result = run_lichc("validate", cwd=tmp_path)
    assert result.code == 1, handler
    assert "jobs.Job.run:" in result.err


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("__import__('os').system('x')", "a call is not allowed"),
        ("${input.a}.__class__", "an attribute is not allowed"),
        ("().__class__.__bases__", "an attribute is not allowed"),
        ("lambda: 1", "a lambda is not allowed"),
        ("__builtins__", "unknown name '__builtins__'"),
        # quotes escaped inside a text stay in the text: compared, never run
        ("${input.a} == '\\' or 1 == 1 #'", "they are never equal"),
        ('${input.a} == "x" or "y"', "invalid YAML"),  # YAML ends the string early
        ("(" * 300 + "${input.a}" + ")" * 300, "longer than 500"),
        ("(" * 240 + "${input.a}" + ")" * 240, "this is not a condition"),
        ("9" * 400, "larger than"),
        ("1e999 < ${input.a}", "too large"),
        ("${input.a} == 1) or (True", "closes nothing"),
        ("${input.a} or \uff54\uff52\uff55\uff45", "may only stand in a quoted text"),
        ("f'{x}' == ${input.a}", "without a prefix"),
    ],
)
def test_hostile_conditions_are_clear_errors(
    tmp_path: Path, condition: str, message: str
) -> None:
    # a JSON string is a valid YAML double-quoted scalar: the condition arrives
    # verbatim (but for the case that closes the YAML string itself)
    quoted = json.dumps(condition) if '"' not in condition else f'"{condition}"'
    (tmp_path / "jobs.yaml").write_text(
        "version: 1\njobs:\n  Job:\n    input: {a: int}\n    steps:\n"
        f"      - {{name: one, run: a.b:c, if: {quoted}}}\n"
        "      - {name: two, run: a.b:d}\n",
        encoding="utf-8",
    )
    result = run_lichc("validate", cwd=tmp_path)
    assert result.code == 1, condition
    assert result.err.startswith("jobs.yaml:6:"), result.err
    assert message in result.err, result.err
    assert "Traceback" not in result.err
