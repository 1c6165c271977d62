"""The JobContext a handler that declares `context` is given (the class is
the project's context.py, which `spec` imports): `JobTask.attempt()` marks
whose attempt is running, and `chain.call` passes the context to a handler
that takes one."""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from celery.utils.log import get_task_logger

from . import spec
from .policy import FIRST_DUE

if TYPE_CHECKING:
    from .spec import JobContext
    from .task import JobTask

# the task whose attempt runs its handler on this thread, if one does
running: contextvars.ContextVar[JobTask | None] = contextvars.ContextVar(
    "lichc_running_task", default=None
)
# (handler, the keywords it is called with) -> whether it takes a context
_decided: dict[tuple[Any, tuple[str, ...]], bool] = {}


def context_for(
    handler: Callable[..., Any], filled: Collection[str]
) -> JobContext | None:
    """The JobContext to pass `handler`, called with `filled`, or None: it
    takes none (context.takes_context), or no attempt is running."""
    task = running.get()
    if task is None:
        return None
    key = (handler, tuple(filled))
    try:
        takes = _decided[key]
    except KeyError:
        takes = _decided[key] = spec.takes_context(handler, filled)
    except TypeError:  # an unhashable callable: decided every call
        takes = spec.takes_context(handler, filled)
    return job_context(task) if takes else None


def job_context(task: JobTask) -> JobContext:
    """The context of `task`'s running attempt."""
    request = task.request
    job, step = spec.HANDLER_TASKS.get(str(task.name), (str(task.name), None))
    return spec.job_context()(
        job=job,
        step=step,
        run_id=task.run_id(),
        attempt=int(request.retries or 0) + 1,
        scheduled_at=scheduled_at(request),
        logger=get_task_logger(str(task.name)),
    )


def scheduled_at(request: Any) -> datetime | None:
    """When this attempt's message was due: its ETA (a retry's countdown, a
    sleep step's), else, for a first attempt, when it was sent (the
    FIRST_DUE header, stamped when it is published); None otherwise."""
    eta = request.eta
    if isinstance(eta, datetime):
        return eta.astimezone(UTC)
    if isinstance(eta, str) and eta:
        parsed = datetime.fromisoformat(eta)
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if request.retries:
        return None
    first_due = getattr(request, FIRST_DUE, None) or (request.headers or {}).get(
        FIRST_DUE
    )
    return datetime.fromtimestamp(float(first_due), UTC) if first_due else None
