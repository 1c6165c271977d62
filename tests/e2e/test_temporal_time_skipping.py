"""Days-long timers on Temporal's time-skipping test server: the approval
timeout of ProcessOrder and the week of UserOnboarding finish in seconds."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from types import ModuleType
from typing import Any

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError

from tests.support.temporal import (
    Server,
    activity_types,
    history_of,
    wait_for_step,
)

pytestmark = pytest.mark.e2e


def test_approval_timeout_compensates_in_reverse(
    skipping: Server, shop: dict[str, ModuleType]
) -> None:
    client_mod, worker = shop["temporal_client"], shop["temporal_worker"]

    async def scenario() -> tuple[BaseException, Any, list[Any]]:
        async with worker.running(skipping.client):
            handle = await client_mod.start_process_order(
                skipping.client,
                order_id=uuid.uuid4().hex,
                amount=12.5,
                email="late@example.com",
            )
            with pytest.raises(WorkflowFailureError) as failed:
                await handle.result()  # skips the 3 days of the approval wait
            status = await client_mod.status_process_order(skipping.client, handle.id)
            return failed.value, status, await history_of(handle)

    started = time.monotonic()
    error, status, events = skipping.run(scenario())
    assert time.monotonic() - started < 60
    assert isinstance(error.cause, ApplicationError)
    assert error.cause.type == "SignalTimeout"
    assert activity_types(events) == [
        "process_order.validate_order",
        "process_order.charge_payment",
        "process_order.reserve_inventory",
        "process_order.reserve_inventory.compensate",
        "process_order.charge_payment.compensate",
    ]
    assert status.state == "failed"
    assert status.compensated == ["reserve_inventory", "charge_payment"]


def test_week_long_onboarding_finishes_in_seconds_with_progress(
    skipping: Server, shop: dict[str, ModuleType], tmp_path: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv("SHOP_OUTBOX", str(tmp_path))
    client_mod, worker = shop["temporal_client"], shop["temporal_worker"]
    user = f"u{uuid.uuid4().hex[:8]}"

    async def scenario() -> tuple[Any, Any, Any, Any]:
        async with worker.running(skipping.client):
            handle = await client_mod.start_user_onboarding(
                skipping.client, user_id=user, email="new@example.com"
            )
            status = client_mod.status_user_onboarding
            day_0 = await wait_for_step(status, skipping.client, handle.id, "wait_1d")
            await skipping.env.sleep(timedelta(days=1, hours=1))
            day_1 = await wait_for_step(status, skipping.client, handle.id, "wait_6d")
            result = await handle.result()
            return day_0, day_1, result, await status(skipping.client, handle.id)

    started = time.monotonic()
    day_0, day_1, result, final = skipping.run(scenario())
    assert time.monotonic() - started < 60
    assert day_0.completed == ["create_profile", "send_day_0"]
    assert day_1.completed == ["create_profile", "send_day_0", "wait_1d", "send_day_1"]
    assert final.state == "completed"
    assert final.current is None
    assert final.completed[-2:] == ["check_activity", "send_summary"]
    assert result["check_activity"]["user_id"] == user
    kinds = sorted(p.name.rsplit("-", 1)[0] for p in tmp_path.glob("*.json"))
    assert kinds == ["onboarding", "onboarding", "onboarding-summary"]
