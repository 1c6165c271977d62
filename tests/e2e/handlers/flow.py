"""Steps of the control-flow specs (if, end), recording what ran per order."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

CALLS: dict[str, list[str]] = defaultdict(list)


def validate(order: str, amount: float) -> dict[str, Any]:
    CALLS[order].append("validate")
    return {"valid": amount > 0}


def charge(order: str, amount: float) -> dict[str, Any]:
    CALLS[order].append("charge")
    return {"charged": amount}


def refund(order: str) -> None:
    CALLS[order].append("refund")


def gift(order: str) -> dict[str, Any]:
    CALLS[order].append("gift")
    return {"wrapped": True}


def ship(order: str, gift: bool | None) -> dict[str, Any]:
    CALLS[order].append(f"ship:{gift}")
    return {"shipped": order, "gift": gift}
