"""The control-flow steps on Celery workers: as tests/e2e/handlers/flow.py,
recording each call in Redis (celery_jobs.record), which the test reads."""

from __future__ import annotations

from typing import Any

from tests.e2e.handlers.celery_jobs import record


def validate(order: str, amount: float) -> dict[str, Any]:
    record(order, step="validate")
    return {"valid": amount > 0}


def gift(order: str) -> dict[str, Any]:
    record(order, step="gift")
    return {"wrapped": True}


def ship(order: str, gift: bool | None) -> dict[str, Any]:
    record(order, step=f"ship:{gift}")
    return {"shipped": order, "gift": gift}
