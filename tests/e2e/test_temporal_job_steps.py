"""job steps on Temporal (tests/e2e/specs/job_steps_temporal.yaml), on the
session's dev server: the child runs as a child workflow on its own queue
with an id derived from its parent's, its result is the step's result, and
cancelling the parent cancels the child, which compensates."""

from __future__ import annotations

import uuid
from types import ModuleType
from typing import Any

import pytest
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError
from temporalio.exceptions import CancelledError

from tests.e2e.handlers.jobs import CALLS
from tests.support.temporal import Server, until

pytestmark = pytest.mark.e2e

Project = dict[str, ModuleType]


async def child_waiting(client: Any, workflow_id: str) -> bool:
    try:
        status = await client.get_workflow_handle(workflow_id).query("status")
    except Exception:  # not started yet
        return False
    return bool(status["current"] == "hold")


def test_the_child_runs_as_a_child_workflow_and_its_result_is_the_steps(
    temporal: Server, tjobs: Project
) -> None:
    client_mod, worker = tjobs["temporal_client"], tjobs["temporal_worker"]
    key = uuid.uuid4().hex

    async def scenario() -> tuple[Any, Any]:
        async with worker.running(temporal.client):
            handle = await client_mod.start_parent(temporal.client, key=key, n=1)
            child_id = f"{handle.id}.child"
            await until(
                lambda: child_waiting(temporal.client, child_id), "the child to wait"
            )
            await temporal.client.get_workflow_handle(child_id).signal("go", {})
            result = await handle.result()
            child = await temporal.client.get_workflow_handle(child_id).describe()
            return result, child

    result, child = temporal.run(scenario())
    assert result["child"] == {"book": {"booked": 2}, "hold": {}}
    assert result["finish"] == "child booked 2"
    assert child.workflow_type == "Child"
    assert child.task_queue == "tjobs-children"
    assert child.parent_id is not None
    assert CALLS[key] == ["count", "book:2", "finish"]


def test_cancelling_the_parent_cancels_the_child_which_compensates(
    temporal: Server, tjobs: Project
) -> None:
    client_mod, worker = tjobs["temporal_client"], tjobs["temporal_worker"]
    key = uuid.uuid4().hex

    async def scenario() -> tuple[Any, Any]:
        async with worker.running(temporal.client):
            handle = await client_mod.start_parent(temporal.client, key=key, n=5)
            child_id = f"{handle.id}.child"
            await until(
                lambda: child_waiting(temporal.client, child_id), "the child to wait"
            )
            await client_mod.cancel_parent(temporal.client, handle.id)
            with pytest.raises(WorkflowFailureError) as failure:
                await handle.result()
            child = temporal.client.get_workflow_handle(child_id)
            with pytest.raises(WorkflowFailureError):
                await child.result()
            return failure.value, await child.describe()

    failure, child = temporal.run(scenario())
    assert isinstance(failure.cause, CancelledError)
    assert child.status == WorkflowExecutionStatus.CANCELED
    assert CALLS[key] == ["count", "book:6", "unbook"]
