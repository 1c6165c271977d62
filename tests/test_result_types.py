"""A user module that calls the generated clients of the `result:` goldens
passes mypy --strict, and one that takes a result for another type fails:
the declared result types reach the caller (docs/workflow.md#results-result)."""

from __future__ import annotations

from pathlib import Path

from tests.snapshots import golden_cases, render_case_into
from tests.support.user_typing import mypy_errors

USES = """\
from temporalio.client import Client, WorkflowHandle

from cresults.client import result_tally, run_length, run_words, start_tally
from tresults.client import run_tally, start_words
from tresults.temporal_workflows import WordsWorkflow


def words() -> list[str]:
    return run_words(text="a b", timeout=10.0)


def tally() -> dict[str, int]:
    return result_tally(start_tally(text="a b"), timeout=None)


def length() -> int | None:
    return run_length(text="a b")


async def temporal_tally(client: Client) -> dict[str, int]:
    return await run_tally(client, text="a b")


async def handle(client: Client) -> WorkflowHandle[WordsWorkflow, list[str]]:
    return await start_words(client, text="a b")
"""

WRONG = """\
from temporalio.client import Client

from cresults.client import run_words
from tresults.client import run_tally


def words() -> int:
    return run_words(text="a b")


async def temporal_tally(client: Client) -> list[str]:
    return await run_tally(client, text="a b")
"""


def test_the_clients_return_the_declared_result_types(tmp_path: Path) -> None:
    tree = tmp_path / "generated"
    for case in golden_cases():
        if case.name in ("celery-results", "temporal-results"):
            render_case_into(tree, case)
    (tree / "uses.py").write_text(USES)
    (tree / "wrong.py").write_text(WRONG)
    errors, report = mypy_errors(tree, [tree])
    assert "uses" not in errors, report
    assert "wrong" in errors, report
    assert 'Incompatible return value type (got "list[str]", expected "int")' in report
    assert (
        'Incompatible return value type (got "dict[str, int]", expected "list[str]")'
        in report
    )
