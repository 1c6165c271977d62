"""What a handler is told about where it runs: `JobContext`, the same on
every engine.

A handler that declares a parameter named `context`, which none of the
arguments its step passes fills, is called with `context=JobContext(...)`;
every other handler is called exactly as before. Annotate it with
`from <project>.context import JobContext`.

Copied into the generated package as context.py; the engines' runtimes build
the object (Celery from the task's request, Temporal from `activity.info()`).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["JobContext", "takes_context"]

PARAMETER = "context"  # the name a handler declares to be given one


@dataclass(frozen=True, kw_only=True, slots=True)
class JobContext:
    """Where one attempt of a handler runs."""

    job: str  # the job's name in jobs.yaml, e.g. "ProcessOrder"
    step: str | None  # the step's name; None for a single-step job's handler
    # the run's id: Temporal's workflow id; Celery's task id for a
    # single-step job, the chain's run id (what start_x returns) for a
    # multi-step one. Every step of one run sees the same id.
    run_id: str
    attempt: int  # 1 for the first attempt, 2 for the first retry, ...
    scheduled_at: datetime | None  # when this attempt was due, in UTC
    logger: logging.Logger | logging.LoggerAdapter[logging.Logger]


def takes_context(handler: Callable[..., Any], filled: Collection[str]) -> bool:
    """Whether `handler` is to be given a JobContext: it declares a parameter
    named `context` that can be passed by keyword, and `filled` (the names
    its step passes) does not name it: an argument called `context` in
    jobs.yaml wins. A handler whose signature cannot be read gets none."""
    if PARAMETER in filled:
        return False
    try:
        parameters = inspect.signature(handler).parameters
    except (TypeError, ValueError):  # some C callables: nothing to read
        return False
    parameter = parameters.get(PARAMETER)
    return parameter is not None and parameter.kind in (
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        inspect.Parameter.KEYWORD_ONLY,
    )
