"""Order handlers (scenario 2). Each step is idempotent on the order id, and
each step that changes the world has an undo that the saga runs on failure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class OrderItem(Protocol):
    """What the handlers read of an order line: the generated
    `shop.inputs.OrderItem` model (jobs.yaml's `types:`) is one."""

    @property
    def sku(self) -> str: ...
    @property
    def quantity(self) -> int: ...
    @property
    def unit_price(self) -> float: ...


class CardDeclined(Exception):
    """The payment provider refused the card: retrying will not help."""


DECLINE_ABOVE = 10_000.0  # the example's stand-in for a payment provider's rule


def validate_order(
    order_id: str, amount: float, email: str, items: Sequence[OrderItem] = ()
) -> dict[str, Any]:
    """Whether the order can go ahead; jobs.yaml ends the job when it cannot
    (the seed's `if not validation["valid"]: return {...}`). `items` arrive as
    OrderItem models (jobs.yaml's `types:`); when given, they must add up."""
    if amount <= 0:
        return {"valid": False, "reason": "amount must be positive"}
    if "@" not in email:
        return {"valid": False, "reason": f"bad email {email!r}"}
    total = sum(item.quantity * item.unit_price for item in items)
    if items and abs(total - amount) > 0.005:
        return {
            "valid": False,
            "reason": f"items add up to {total:.2f}, not {amount:.2f}",
        }
    return {"valid": True, "order_id": order_id}


def charge_payment(
    order_id: str, amount: float, email: str, items: Sequence[OrderItem] = ()
) -> dict[str, Any]:
    if amount > DECLINE_ABOVE:
        raise CardDeclined(f"order {order_id}: card declined for {amount:.2f}")
    # The charge id is derived from the order id: charging twice is a no-op upstream.
    return {"charge_id": f"ch_{order_id}", "amount": amount}


def refund_payment(charge_id: str) -> dict[str, Any]:
    return {"refunded": charge_id}


def reserve_inventory(
    order_id: str, amount: float, email: str, items: Sequence[OrderItem] = ()
) -> dict[str, Any]:
    reserved = {item.sku: item.quantity for item in items}
    return {"reservation_id": f"res_{order_id}", "reserved": reserved}


def release_inventory(
    order_id: str, amount: float, email: str, items: Sequence[OrderItem] = ()
) -> dict[str, Any]:
    return {"released": f"res_{order_id}"}
