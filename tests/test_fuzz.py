"""Fuzzing: whatever the input, lichc answers with success or a clean error.

Random bytes, random YAML documents and random mutations of the example spec
go through the real pipeline. The only acceptable outcomes are a plan (which
must then render into Python that parses) or a SpecError (exit 1 in the CLI);
anything else would reach the user as a traceback.
"""

from __future__ import annotations

import ast
import copy
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.cli import run_lichc
from lichc.build import render_files
from lichc.diagnostics import SpecError
from lichc.load.loader import parse
from lichc.plan.check import checked_plan

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = yaml.safe_load((ROOT / "jobs.yaml").read_text(encoding="utf-8"))
FUZZ = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**6), max_value=10**6)
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.sampled_from(
        [
            "30s",
            "1h30m",
            "0",
            "5q",
            "unlimited",
            "a.b:c",
            "m.x:Err",
            "${input.email}",
            "${steps.charge_payment.charge_id}",
            "${steps.nope}",
            "order-{order_id}",
            "celery",
            "temporal",
            "auto",
            "10/s",
            "0 3 * * *",
            "str",
            "int?",
            "list[str]",
            "fixed",
            "exponential",
            "fail",
            "compensate",
            "continue",
            "approve",
            "yes",
            "on",
        ]
    )
)
json_like = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(max_size=12)
            | st.sampled_from(
                [
                    "run",
                    "steps",
                    "retry",
                    "timeout",
                    "name",
                    "sleep",
                    "wait_for",
                    "parallel",
                    "input",
                    "args",
                    "queue",
                    "engine",
                    "compensate",
                    "attempts",
                    "delay",
                    "signal",
                    "type",
                    "default",
                    "cron",
                    "dead_letter",
                    "id",
                    "heartbeat",
                ]
            ),
            children,
            max_size=4,
        )
    ),
    max_leaves=10,
)


def outcome(raw: bytes) -> str:
    """Run the pipeline on raw bytes; return 'ok' or 'error', or fail the test."""
    plan = None
    try:
        plan = checked_plan(parse(raw))
    except SpecError as error:
        problems = error.diagnostics
    else:
        problems = []
    if problems or plan is None:
        assert problems, "a SpecError must carry at least one diagnostic"
        assert all(d.line >= 1 for d in problems), problems
        return "error"
    for path, data in render_files(plan).items():
        if path.endswith(".py"):
            ast.parse(data.decode("utf-8"), filename=path)
    return "ok"


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes(raw: bytes) -> None:
    outcome(raw)


@FUZZ
@given(
    st.text(
        alphabet=st.sampled_from(list("abc:{}[]-,&*!|>'\"#%@`?\t\n 01.\\$~")),
        max_size=200,
    )
)
def test_random_yaml_text(text: str) -> None:
    outcome(text.encode())


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "version",
                "project",
                "output",
                "defaults",
                "celery",
                "temporal",
                "jobs",
                "x",
            ]
        ),
        json_like,
        max_size=6,
    )
)
def test_random_documents(document: dict[str, Any]) -> None:
    outcome(yaml.safe_dump(document).encode())


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _paths(value, (*prefix, i))
    return found


ALL_PATHS = _paths(EXAMPLE)[1:]


@FUZZ
@given(
    st.lists(
        st.tuples(
            st.sampled_from(ALL_PATHS),
            st.sampled_from(["delete", "replace", "add"]),
            json_like,
        ),
        min_size=1,
        max_size=4,
    )
)
def test_mutated_example(mutations: list[tuple[tuple[Any, ...], str, Any]]) -> None:
    spec = copy.deepcopy(EXAMPLE)
    for path, action, value in mutations:
        parent: Any = spec
        try:
            for part in path[:-1]:
                parent = parent[part]
            last = path[-1]
            if action == "delete":
                del parent[last]
            elif action == "replace":
                parent[last] = value
            elif isinstance(parent, dict):
                parent[f"{last}_x" if isinstance(last, str) else "extra"] = value
            else:
                parent.append(value)
        except (KeyError, IndexError, TypeError, AttributeError):
            continue  # an earlier mutation removed or moved this path
    outcome(yaml.safe_dump(spec, sort_keys=False).encode())


def test_unmutated_example_is_valid() -> None:
    assert outcome(yaml.safe_dump(EXAMPLE, sort_keys=False).encode()) == "ok"


@settings(max_examples=25, deadline=None)
@given(st.binary(max_size=200))
def test_cli_never_shows_a_traceback(tmp_path_factory: Any, raw: bytes) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "jobs.yaml").write_bytes(raw)
    result = run_lichc("validate", cwd=folder)
    assert result.code in (0, 1), result.err
    assert "Traceback" not in result.err
    assert "internal error" not in result.err
