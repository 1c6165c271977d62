"""for_each on Temporal (tests/e2e/specs/for_each_temporal.yaml), on the
session's dev server: elements run at most max_parallel at a time with
results in list order, an `if` reading ${item} skips single elements, a
failed element fails the step and stops the rest, and a list over the limit
fails the run before any element runs."""

from __future__ import annotations

import importlib
import uuid
from types import ModuleType
from typing import Any

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ActivityError, ApplicationError

from tests.e2e.handlers.elements import CALLS, MOST_AT_ONCE
from tests.support.temporal import Server, activity_types, history_of

pytestmark = pytest.mark.e2e

Project = dict[str, ModuleType]


def finished(
    temporal: Server, project: Project, start: str, **inputs: Any
) -> tuple[Any, list[str]]:
    """Run a job to its end: its result (or failure) and the activities it scheduled."""
    client_mod, worker = project["temporal_client"], project["temporal_worker"]

    async def scenario() -> tuple[Any, list[str]]:
        async with worker.running(temporal.client):
            handle = await getattr(client_mod, start)(temporal.client, **inputs)
            try:
                outcome: Any = await handle.result()
            except WorkflowFailureError as failure:
                outcome = failure
            return outcome, activity_types(await history_of(handle))

    return temporal.run(scenario())


def test_elements_run_at_most_max_parallel_at_once_and_results_keep_list_order(
    temporal: Server, teach: Project
) -> None:
    batch = uuid.uuid4().hex
    images = ["a.png", "skip.png", "c.png", "d.png", "e.png"]
    result, scheduled = finished(
        temporal, teach, "start_batch", batch=batch, images=images, size=64
    )
    assert result["thumbnails"] == [{"path": p, "thumb": f"{p}@64"} for p in images]
    assert MOST_AT_ONCE[batch] == 2  # max_parallel: 2
    # the `if` reads ${item}: the skipped element's place holds None
    assert result["stamps"] == [
        None if p == "skip.png" else f"stamped {p}@64" for p in images
    ]
    assert scheduled.count("batch.thumbnails") == 5
    assert scheduled.count("batch.stamps") == 4
    assert "stamp:skip.png@64" not in CALLS[batch]


def test_a_failed_element_fails_the_step_and_no_later_element_runs(
    temporal: Server, teach: Project
) -> None:
    batch = uuid.uuid4().hex
    images = ["ok1.png", "bad.png", "ok2.png", "ok3.png"]
    failure, scheduled = finished(
        temporal, teach, "start_fragile", batch=batch, images=images
    )
    assert isinstance(failure, WorkflowFailureError)
    assert isinstance(failure.cause, ActivityError)
    assert isinstance(failure.cause.cause, ApplicationError)
    assert failure.cause.cause.type == "Broken"
    # one at a time (max_parallel: 1): the elements after the failed one never start
    assert CALLS[batch] == ["ok1.png", "bad.png", "bad.png"]  # two attempts
    assert scheduled == ["fragile.thumbnails", "fragile.thumbnails"]


def test_a_list_over_the_limit_fails_the_run_before_any_element_runs(
    temporal: Server, teach: Project
) -> None:
    runtime = importlib.import_module("e2e_teach.temporal_runtime")
    batch = uuid.uuid4().hex
    images = [f"{i}.png" for i in range(runtime.MAX_ELEMENTS + 1)]
    failure, scheduled = finished(
        temporal, teach, "start_fragile", batch=batch, images=images
    )
    assert isinstance(failure, WorkflowFailureError)
    assert isinstance(failure.cause, ApplicationError)
    assert failure.cause.type == "ForEachTooLong"
    assert f"over {runtime.MAX_ELEMENTS + 1} elements" in failure.cause.message
    assert scheduled == []
    assert CALLS[batch] == []
