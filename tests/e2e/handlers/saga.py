"""Steps that succeed, fail or undo on demand, recording what ran (per order)."""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict
from typing import Any

CALLS: dict[str, list[str]] = defaultdict(list)
# per order: set by the test to let `hold` return
RELEASE: dict[str, threading.Event] = defaultdict(threading.Event)
# per order: set once a `notify` ran, which `refuse` waits for
NOTIFIED: dict[str, threading.Event] = defaultdict(threading.Event)


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
    NOTIFIED[order].set()
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


def refuse(order: str) -> dict[str, Any]:
    """Fails for good, once a sibling branch has run (so that it has to be undone)."""
    NOTIFIED[order].wait(timeout=60)
    CALLS[order].append("refuse")
    raise Broken("refused at once")


def unrefuse(order: str) -> dict[str, Any]:
    CALLS[order].append("unrefuse")
    return {}


def keep_failing(order: str) -> dict[str, Any]:
    CALLS[order].append("keep_failing")
    raise RuntimeError("not yet")


def hold(order: str) -> dict[str, Any]:
    """Runs until the test releases it (a bound keeps a broken test finite)."""
    CALLS[order].append("hold")
    released = RELEASE[order].wait(timeout=60)
    return {"released": released}


def unhold(order: str) -> dict[str, Any]:
    CALLS[order].append("unhold")
    return {}


async def beat(order: str) -> dict[str, Any]:
    """Runs until cancelled: it heartbeats (on its own), so it hears of it."""
    CALLS[order].append("beat")
    try:
        await asyncio.sleep(60)
    except asyncio.CancelledError:
        CALLS[order].append("beat cancelled")
        raise
    return {}


def book_held(order: str) -> dict[str, Any]:
    """`book` that returns once the test releases it (bounded like `hold`)."""
    CALLS[order].append("book")
    RELEASE[order].wait(timeout=60)
    return {"booking": f"bk_{order}"}


def unbook_held(order: str) -> dict[str, Any]:
    """`unbook` that returns once the test releases it (bounded like `hold`)."""
    CALLS[order].append("unbook")
    RELEASE[order].wait(timeout=60)
    CALLS[order].append("unbooked")
    return {}
