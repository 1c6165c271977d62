"""Handlers of tests/e2e/specs/context_temporal.yaml: some declare `context`
(a JobContext), some do not. The Temporal worker runs in the test's process,
so what each saw is kept here, by key."""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

SEEN: dict[str, list[dict[str, Any]]] = defaultdict(list)


class Transient(Exception):
    """The first attempt's failure."""


def seen(context: Any) -> dict[str, Any]:
    """What a test asserts on of a JobContext."""
    return {
        "type": type(context).__name__,
        "job": context.job,
        "step": context.step,
        "run_id": context.run_id,
        "attempt": context.attempt,
        "scheduled_at": context.scheduled_at,
        "logs": isinstance(context.logger, logging.Logger | logging.LoggerAdapter),
    }


def fails_once(key: str, context: Any) -> dict[str, Any]:
    """Fails its first attempt, succeeds on the second."""
    SEEN[key].append(seen(context))
    context.logger.info("attempt %s of %s", context.attempt, key)
    if context.attempt == 1:
        raise Transient(f"attempt 1 of {key}")
    return {"attempt": context.attempt}


def plain(key: str) -> str:
    """No context: called as before."""
    return f"plain {key}"


def named(key: str, context: str) -> str:
    """jobs.yaml passes an argument called `context`: it wins."""
    return context


def fails(key: str) -> None:
    raise RuntimeError(f"{key} fails for good")


async def undo(key: str, *, context: Any) -> None:
    """An async compensation that takes a context (keyword-only)."""
    SEEN[key].append(seen(context))
