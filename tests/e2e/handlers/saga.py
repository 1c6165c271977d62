"""Steps that succeed, fail or undo on demand, recording what ran (per order)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

CALLS: dict[str, list[str]] = defaultdict(list)


class Broken(Exception):
    """A failure the retry policy declares non-retryable."""


def book(order: str, fail_at: str) -> dict[str, Any]:
    CALLS[order].append("book")
    if fail_at == "book":
        raise Broken("booking refused")
    return {"booking": f"bk_{order}"}


def unbook(booking: str, order: str) -> dict[str, Any]:
    CALLS[order].append("unbook")
    return {"unbooked": booking}


def pay(order: str, fail_at: str) -> dict[str, Any]:
    CALLS[order].append("pay")
    return {"payment": f"pm_{order}"}


def refund(order: str, fail_at: str) -> dict[str, Any]:
    CALLS[order].append("refund")
    if fail_at == "refund":
        raise Broken("refund refused")
    return {"refunded": order}


async def notify(order: str, channel: str) -> dict[str, Any]:
    await asyncio.sleep(0)
    CALLS[order].append(f"notify:{channel}")
    return {"channel": channel}


async def unnotify(order: str, channel: str) -> dict[str, Any]:
    CALLS[order].append(f"unnotify:{channel}")
    return {"channel": channel}


def ship(
    order: str, fail_at: str, booking: dict[str, Any], note: Any
) -> dict[str, Any]:
    CALLS[order].append("ship")
    if fail_at in ("ship", "refund"):
        raise Broken("carrier refused")
    return {"shipped": booking["booking"], "note": note}
