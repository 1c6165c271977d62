"""Steps of the Celery job-step spec, each call recorded in Redis with the
worker queue it ran from."""

from __future__ import annotations

from typing import Any

from tests.e2e.handlers.celery_jobs import record


def count(key: str, n: int) -> dict[str, Any]:
    record(key, step="count")
    return {"n": n + 1}


def book(key: str, n: int) -> dict[str, Any]:
    record(key, step="book")
    return {"booked": n}


def confirm(key: str, booked: int) -> str:
    record(key, step="confirm")
    return f"confirmed {booked}"


def single(key: str) -> str:
    record(key, step="single")
    return "single done"


def finish(key: str, child: str, single: str) -> str:
    record(key, step="finish")
    return f"{child}; {single}"
