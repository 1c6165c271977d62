"""Steps of the job-step specs, recording what ran per key."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

CALLS: dict[str, list[str]] = defaultdict(list)


def count(key: str, n: int) -> dict[str, Any]:
    CALLS[key].append("count")
    return {"n": n + 1}


def book(key: str, n: int) -> dict[str, Any]:
    CALLS[key].append(f"book:{n}")
    return {"booked": n}


def unbook(key: str) -> None:
    CALLS[key].append("unbook")


def finish(key: str, child: dict[str, Any]) -> str:
    CALLS[key].append("finish")
    return f"child booked {child['book']['booked']}"
