"""`result:` on Temporal (tests/e2e/specs/results_temporal.yaml), on the
session's dev server: `run_x` returns the declared type, a single-step job's
handler result and a multi-step job's value of references alike (an end
step's result too), and a result that does not fit fails the run with a
non-retryable ApplicationError of type ResultInvalid (the old behaviour
without `result:` is what the other Temporal tests check)."""

from __future__ import annotations

import typing
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError

from harness.cli import build
from harness.temporal import import_project
from tests.support.temporal import Server

pytestmark = pytest.mark.e2e

SPEC = Path(__file__).parent / "specs" / "results_temporal.yaml"

Results = dict[str, ModuleType]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Results:
    output = build(tmp_path_factory.mktemp("e2e_tresults"), SPEC)
    return import_project(output, "e2e_tresults")


def test_results_come_back_as_their_types(temporal: Server, results: Results) -> None:
    client_mod, worker = results["temporal_client"], results["temporal_worker"]
    # the client's types are the declared ones (what mypy and the converter see)
    hints = typing.get_type_hints(client_mod.run_words)
    assert hints["return"] == list[str]
    assert typing.get_type_hints(client_mod.run_tally)["return"] == dict[str, int]

    async def scenario() -> tuple[Any, ...]:
        async with worker.running(temporal.client):
            words = await client_mod.run_words(temporal.client, text="a bb ccc")
            tally = await client_mod.run_tally(temporal.client, text="a bb ccc")
            empty = await client_mod.run_tally(temporal.client, text="")
            return words, tally, empty

    words, tally, empty = temporal.run(scenario())
    assert words == ["a", "bb", "ccc"]
    assert tally == {"length": 8, "words": 3}
    assert empty == {"length": 0, "words": 0}  # an end step's result


def test_a_result_that_does_not_fit_its_type_fails_the_run(
    temporal: Server, results: Results
) -> None:
    client_mod, worker = results["temporal_client"], results["temporal_worker"]

    async def failure(start: Any) -> ApplicationError:
        with pytest.raises(WorkflowFailureError) as failed:
            await start
        cause = failed.value.cause
        assert isinstance(cause, ApplicationError)
        return cause

    async def scenario() -> tuple[ApplicationError, ApplicationError]:
        async with worker.running(temporal.client):
            numbers = await failure(client_mod.run_numbers(temporal.client, text="a b"))
            tally = await failure(
                client_mod.run_tally(temporal.client, text="a bb", strict=False)
            )
            return numbers, tally

    numbers, tally = temporal.run(scenario())
    assert numbers.type == "ResultInvalid"
    assert numbers.non_retryable
    assert "job Numbers: its result does not fit its type: 0: Input" in numbers.message
    assert tally.type == "ResultInvalid"
    assert "words: Input should be a valid integer" in tally.message
