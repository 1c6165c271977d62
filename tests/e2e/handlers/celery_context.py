"""Handlers of tests/e2e/specs/context_celery.yaml: some declare `context`
(a JobContext), some do not. They run in a worker process, so what each saw
is recorded in Redis (celery_jobs.record), by key."""

from __future__ import annotations

import logging
from typing import Any

from tests.e2e.handlers.celery_jobs import record


class Transient(Exception):
    """The first attempt's failure."""


def _record(key: str, context: Any) -> None:
    scheduled = context.scheduled_at
    record(
        key,
        type=type(context).__name__,
        job=context.job,
        step=context.step,
        run_id=context.run_id,
        attempt=context.attempt,
        scheduled_at=scheduled.isoformat() if scheduled is not None else None,
        logs=isinstance(context.logger, logging.Logger | logging.LoggerAdapter),
    )


def fails_once(key: str, context: Any) -> dict[str, Any]:
    """Fails its first attempt, succeeds on the second."""
    _record(key, context)
    context.logger.info("attempt %s of %s", context.attempt, key)
    if context.attempt == 1:
        raise Transient(f"attempt 1 of {key}")
    return {"attempt": context.attempt}


async def fails_once_async(key: str, *, context: Any) -> dict[str, Any]:
    """The same, async, with a keyword-only `context`."""
    return fails_once(key, context)


def named(key: str, context: str) -> str:
    """jobs.yaml passes an argument called `context`: it wins."""
    record(key, named=context)
    return context


def plain(key: str) -> str:
    """No context: called as before."""
    return f"plain {key}"
