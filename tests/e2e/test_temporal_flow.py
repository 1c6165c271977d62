"""`if` and `end` on Temporal (tests/e2e/specs/flow_temporal.yaml), on the
session's dev server: an early end completes the run with its result, a false
condition skips its step, and an end that fails compensates first."""

from __future__ import annotations

import uuid
from types import ModuleType
from typing import Any

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError, CancelledError

from tests.e2e.handlers.flow import CALLS
from tests.support.temporal import Server, activity_types, history_of, until

pytestmark = pytest.mark.e2e

Flow = dict[str, ModuleType]


def order_run(
    temporal: Server, flow: Flow, approval: dict[str, Any] | None, **inputs: Any
) -> tuple[Any, Any, list[str]]:
    """Run job Order to its end, answering its approval with `approval`
    (none: it ends before it waits): its result or failure, its status, and
    the activities it scheduled."""
    client_mod, worker = flow["temporal_client"], flow["temporal_worker"]

    async def scenario() -> tuple[Any, Any, list[str]]:
        async with worker.running(temporal.client):
            handle = await client_mod.start_order(temporal.client, **inputs)
            if approval is not None:

                async def waiting() -> bool:
                    status = await handle.query("status")
                    return bool(status["current"] == "approval")

                await until(waiting, "the run to wait for its approval")
                await client_mod.signal_order_approve(
                    temporal.client, handle.id, approval
                )
            try:
                outcome: Any = await handle.result()
            except WorkflowFailureError as failure:
                outcome = failure
            status = await handle.query("status")
            return outcome, status, activity_types(await history_of(handle))

    return temporal.run(scenario())


def test_an_invalid_order_ends_early_with_the_end_steps_result(
    temporal: Server, tflow: Flow
) -> None:
    order = uuid.uuid4().hex
    result, status, scheduled = order_run(temporal, tflow, None, order=order, amount=0)
    assert result == {"status": "failed", "reason": "validation", "order": order}
    assert status["state"] == "completed"
    assert status["completed"] == ["validate", "stop_if_invalid"]
    assert scheduled == ["order.validate"]
    assert CALLS[order] == ["validate"]


def test_a_false_condition_skips_its_step_and_later_steps_read_null(
    temporal: Server, tflow: Flow
) -> None:
    order = uuid.uuid4().hex
    result, status, scheduled = order_run(
        temporal, tflow, {"approved": True, "by": "A"}, order=order, amount=50
    )
    assert status["state"] == "completed"
    assert status["skipped"] == ["gift"]
    assert status["received"] == {"approve": {"approved": True, "by": "A"}}
    assert result["gift"] is None
    assert result["ship"] == {"shipped": order, "gift": None}
    assert scheduled == ["order.validate", "order.charge", "order.ship"]
    assert CALLS[order] == ["validate", "charge", "ship:None"]


def test_a_true_condition_runs_its_step(temporal: Server, tflow: Flow) -> None:
    order = uuid.uuid4().hex
    result, status, _ = order_run(
        temporal,
        tflow,
        {"approved": True, "by": "A"},
        order=order,
        amount=150,
        tags=["vip"],
    )
    assert status["skipped"] == []
    assert result["gift"] == {"wrapped": True}
    assert CALLS[order] == ["validate", "charge", "gift", "ship:True"]


def test_a_rejected_approval_compensates_then_fails_with_the_message(
    temporal: Server, tflow: Flow
) -> None:
    order = uuid.uuid4().hex
    failure, status, scheduled = order_run(
        temporal, tflow, {"approved": False, "by": "Bob"}, order=order, amount=150
    )
    assert isinstance(failure, WorkflowFailureError)
    assert isinstance(failure.cause, ApplicationError)
    assert failure.cause.type == "JobFailed"
    assert failure.cause.message == "rejected by Bob"
    assert status["state"] == "failed"
    assert status["compensated"] == ["charge"]
    assert scheduled[-1] == "order.charge.compensate"
    assert CALLS[order] == ["validate", "charge", "refund"]


def test_cancel_compensates_the_completed_steps(temporal: Server, tflow: Flow) -> None:
    client_mod, worker = tflow["temporal_client"], tflow["temporal_worker"]
    order = uuid.uuid4().hex

    async def scenario() -> tuple[BaseException, Any]:
        async with worker.running(temporal.client):
            handle = await client_mod.start_order(
                temporal.client, order=order, amount=20
            )

            async def waiting() -> bool:
                status = await handle.query("status")
                return bool(status["current"] == "approval")

            await until(waiting, "the run to wait for its approval")
            await client_mod.cancel_order(temporal.client, handle.id)
            with pytest.raises(WorkflowFailureError) as failed:
                await handle.result()
            return failed.value, await handle.query("status")

    failure, status = temporal.run(scenario())
    assert isinstance(failure.cause, CancelledError)
    assert status["state"] == "cancelled"
    assert status["compensated"] == ["charge"]
    assert CALLS[order] == ["validate", "charge", "refund"]
