"""ProcessOrder from the root jobs.yaml, with the example shop's handlers, on a
real Temporal dev server and the generated worker, client and workflows."""

from __future__ import annotations

import uuid
from types import ModuleType
from typing import Any

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError

from tests.support.temporal import (
    Server,
    activity_types,
    history_of,
    started_attempts,
    wait_for_step,
)

pytestmark = pytest.mark.e2e

Shop = dict[str, ModuleType]


def order_id() -> str:
    return f"o{uuid.uuid4().hex[:10]}"


def test_order_happy_path_with_approval_answered(
    temporal: Server, shop: Shop, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOP_OUTBOX", str(tmp_path))
    client_mod, worker = shop["temporal_client"], shop["temporal_worker"]
    order = order_id()

    async def scenario() -> tuple[Any, Any, list[Any]]:
        async with worker.running(temporal.client):
            handle = await client_mod.start_process_order(
                temporal.client, order_id=order, amount=25.0, email="ann@example.com"
            )
            assert handle.id == f"order-{order}"
            waiting = await wait_for_step(
                client_mod.status_process_order, temporal.client, handle.id, "approval"
            )
            # answered as an Update: it returns once the run has taken it
            await client_mod.answer_process_order_approve(
                temporal.client, handle.id, by="bob"
            )
            result = await handle.result()
            final = await client_mod.status_process_order(temporal.client, handle.id)
            return waiting, result, await history_of(handle), final

    waiting, result, events, final = temporal.run(scenario())
    assert waiting.completed == [
        "validate_order",
        "charge_payment",
        "reserve_inventory",
    ]
    assert result["charge_payment"] == {"charge_id": f"ch_{order}", "amount": 25.0}
    # typed: `approved` defaults to yes, `note` is optional
    assert result["approval"] == {"approved": True, "by": "bob", "note": None}
    assert result["send_confirmation"]["status"] == "sent"
    assert final.state == "completed"
    assert final.completed[-1] == "send_confirmation"
    assert activity_types(events) == [
        "process_order.validate_order",
        "process_order.charge_payment",
        "process_order.reserve_inventory",
        "process_order.send_confirmation",
    ]
    mails = [p.read_text() for p in tmp_path.glob("order-confirmation-*.json")]
    assert len(mails) == 1
    assert '"approved_by": "bob"' in mails[0]


def failed_order(
    temporal: Server, shop: Shop, amount: float, approval: dict[str, Any] | None = None
) -> tuple[WorkflowFailureError, list[Any], Any]:
    """A ProcessOrder run that fails (answered `approval` once it waits for
    it, when given): its failure, history and final status."""
    client_mod, worker = shop["temporal_client"], shop["temporal_worker"]

    async def scenario() -> tuple[WorkflowFailureError, list[Any], Any]:
        async with worker.running(temporal.client):
            handle = await client_mod.start_process_order(
                temporal.client, order_id=order_id(), amount=amount, email="a@b.c"
            )
            if approval is not None:
                await wait_for_step(
                    client_mod.status_process_order,
                    temporal.client,
                    handle.id,
                    "approval",
                )
                await client_mod.signal_process_order_approve(
                    temporal.client, handle.id, approval
                )
            with pytest.raises(WorkflowFailureError) as failed:
                await handle.result()
            status = await client_mod.status_process_order(temporal.client, handle.id)
            return failed.value, await history_of(handle), status

    return temporal.run(scenario())


def test_declined_payment_fails_at_once_without_retries(
    temporal: Server, shop: Shop
) -> None:
    error, events, status = failed_order(temporal, shop, 99_999.0)
    cause = error.cause.cause  # workflow failure <- activity error <- handler error
    assert isinstance(cause, ApplicationError)
    assert cause.type == "CardDeclined"
    assert cause.non_retryable
    # attempts: 5 in the spec, but CardDeclined is non_retryable: one attempt only
    assert started_attempts(events) == [1, 1]
    # nothing completed that has a compensation: no undo ran
    assert activity_types(events) == [
        "process_order.validate_order",
        "process_order.charge_payment",
    ]
    assert status.state == "failed"
    assert status.current == "charge_payment"
    assert status.compensated == []


def test_signal_before_its_step_and_duplicate_start(
    temporal: Server, shop: Shop
) -> None:
    client_mod, worker = shop["temporal_client"], shop["temporal_worker"]
    order = order_id()
    kwargs = {"order_id": order, "amount": 5.0, "email": "c@d.e"}

    async def scenario() -> tuple[str, str, Any, Any, list[Any]]:
        first = await client_mod.start_process_order(temporal.client, **kwargs)
        # the worker is not running yet: the signal waits in the workflow
        await client_mod.signal_process_order_approve(
            temporal.client, first.id, {"by": "dora"}
        )
        again = await client_mod.start_process_order(temporal.client, **kwargs)
        async with worker.running(temporal.client):
            result = await client_mod.run_process_order(temporal.client, **kwargs)
        after = await client_mod.start_process_order(temporal.client, **kwargs)
        return (
            first.result_run_id,
            again.result_run_id,
            result,
            after,
            await history_of(first),
        )

    first_run, again_run, result, after, events = temporal.run(scenario())
    assert first_run == again_run  # USE_EXISTING: the running one, not a new run
    assert result["approval"] == {"approved": True, "by": "dora", "note": None}
    assert after.id == f"order-{order}"  # REJECT_DUPLICATE: the finished one
    assert sum(1 for t in activity_types(events) if t.endswith("charge_payment")) == 1


def test_cancelled_order_is_compensated(temporal: Server, shop: Shop) -> None:
    client_mod, worker = shop["temporal_client"], shop["temporal_worker"]

    async def scenario() -> tuple[Any, list[Any]]:
        async with worker.running(temporal.client):
            handle = await client_mod.start_process_order(
                temporal.client, order_id=order_id(), amount=7.0, email="f@g.h"
            )
            await wait_for_step(
                client_mod.status_process_order, temporal.client, handle.id, "approval"
            )
            await handle.cancel()
            with pytest.raises(WorkflowFailureError):
                await handle.result()
            status = await client_mod.status_process_order(temporal.client, handle.id)
            return status, await history_of(handle)

    status, events = temporal.run(scenario())
    assert activity_types(events)[-2:] == [
        "process_order.reserve_inventory.compensate",
        "process_order.charge_payment.compensate",
    ]
    assert status.state == "cancelled"
    assert status.compensated == ["reserve_inventory", "charge_payment"]


def test_an_invalid_order_completes_with_the_seeds_reason(
    temporal: Server, shop: Shop
) -> None:
    """The seed's `if not validation["valid"]: return {"status": "failed",
    "reason": "validation"}`: a completed run, nothing charged."""
    client_mod, worker = shop["temporal_client"], shop["temporal_worker"]

    async def scenario() -> tuple[Any, list[Any]]:
        async with worker.running(temporal.client):
            handle = await client_mod.start_process_order(
                temporal.client, order_id=order_id(), amount=0.0, email="a@b.c"
            )
            return await handle.result(), await history_of(handle)

    result, events = temporal.run(scenario())
    assert result == {"status": "failed", "reason": "validation"}
    assert activity_types(events) == ["process_order.validate_order"]


def test_a_rejected_approval_undoes_the_order_and_names_the_approver(
    temporal: Server, shop: Shop
) -> None:
    answer = {"approved": False, "by": "carol"}
    error, events, status = failed_order(temporal, shop, 5.0, answer)
    assert isinstance(error.cause, ApplicationError)
    assert error.cause.type == "JobFailed"
    assert error.cause.message == "order rejected by carol"
    assert activity_types(events)[-2:] == [
        "process_order.reserve_inventory.compensate",
        "process_order.charge_payment.compensate",
    ]
    assert status.state == "failed"
    assert status.compensated == ["reserve_inventory", "charge_payment"]
