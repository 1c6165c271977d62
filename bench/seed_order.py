"""ProcessOrder written by hand the way the seed document does it: async
activities, `start_to_close_timeout` only, positional arguments, the default
data converter. bench/temporal_throughput.py compares lichc's output with it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from examples.shop import emails, orders


@activity.defn
async def validate_order_activity(
    order_id: str, amount: float, email: str
) -> dict[str, Any]:
    return orders.validate_order(order_id, amount, email)


@activity.defn
async def charge_payment_activity(
    order_id: str, amount: float, email: str
) -> dict[str, Any]:
    return orders.charge_payment(order_id, amount, email)


@activity.defn
async def reserve_inventory_activity(
    order_id: str, amount: float, email: str
) -> dict[str, Any]:
    return orders.reserve_inventory(order_id, amount, email)


@activity.defn
async def send_confirmation_activity(
    email: str, approved_by: str | None
) -> dict[str, Any]:
    return emails.send_confirmation(email, approved_by)


@workflow.defn
class HandWrittenOrderWorkflow:
    def __init__(self) -> None:
        self.approval: dict[str, Any] | None = None

    @workflow.signal
    def approve(self, payload: dict[str, Any]) -> None:
        self.approval = payload

    @workflow.run
    async def run(self, order_id: str, amount: float, email: str) -> dict[str, Any]:
        args = [order_id, amount, email]
        await workflow.execute_activity(
            validate_order_activity,
            args=args,
            start_to_close_timeout=timedelta(seconds=30),
        )
        await workflow.execute_activity(
            charge_payment_activity,
            args=args,
            start_to_close_timeout=timedelta(minutes=5),
        )
        await workflow.execute_activity(
            reserve_inventory_activity,
            args=args,
            start_to_close_timeout=timedelta(minutes=5),
        )
        await workflow.wait_condition(lambda: self.approval is not None)
        assert self.approval is not None
        await workflow.execute_activity(
            send_confirmation_activity,
            args=[email, self.approval.get("by")],
            start_to_close_timeout=timedelta(minutes=5),
        )
        return {"status": "completed", "order_id": order_id}
