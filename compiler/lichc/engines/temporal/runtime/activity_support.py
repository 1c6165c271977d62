"""The part of Temporal activities that does not vary with the spec: picking
an activity's shape, marking errors non-retryable, heartbeats, and the
JobContext a handler that declares `context` is given.

Copied into the generated package as temporal_activity_runtime.py and imported
by temporal_activities.py. It runs in the worker, outside the workflow sandbox.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import importlib
import inspect
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeVar

from temporalio import activity
from temporalio.exceptions import ApplicationError

from .context import PARAMETER, JobContext, takes_context

T = TypeVar("T")


def non_retryable(error: Exception) -> ApplicationError:
    """The handler's error, marked so that Temporal does not retry it."""
    return ApplicationError(str(error), type=type(error).__name__, non_retryable=True)


def shaped(handler: Callable[..., Any], sync: T, async_: T) -> T:
    """The activity shaped like its handler: `async_` for an `async def`, or
    an object whose `__call__` is one (Temporal's own test)."""
    call = type(handler).__call__ if callable(handler) else None
    is_async = inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(call)
    return async_ if is_async else sync


def as_async(handler: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """The handler, typed as the `async def` an async shape is used for."""
    return handler


class Heartbeat:
    """Heartbeats of one activity run: sent on their own every `every` seconds
    while the handler runs, and whenever the handler reports progress."""

    def __init__(self, every: float) -> None:
        self.every = every
        self.details: tuple[Any, ...] = ()

    def __call__(self, *details: Any) -> None:
        """The callback a handler's `heartbeat` parameter receives."""
        self.details = details
        activity.heartbeat(*details)

    @contextmanager
    def in_thread(self) -> Iterator[Heartbeat]:
        """Beat from a side thread while a sync handler blocks this one."""
        stop = threading.Event()
        context = contextvars.copy_context()  # the activity's, for heartbeat()

        def beat() -> None:
            while not stop.wait(self.every):
                context.run(activity.heartbeat, *self.details)

        thread = threading.Thread(target=beat, name="heartbeat", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join()

    @asynccontextmanager
    async def in_task(self) -> AsyncIterator[Heartbeat]:
        """Beat from a task while an async handler runs."""

        async def beat() -> None:
            while True:
                await asyncio.sleep(self.every)
                activity.heartbeat(*self.details)

        task = asyncio.create_task(beat())
        try:
            yield self
        finally:
            task.cancel()


def with_heartbeat(handler: Callable[..., T], heartbeat: Heartbeat) -> Callable[..., T]:
    """The handler, given the heartbeat callback if it declares a `heartbeat` parameter."""
    if "heartbeat" in inspect.signature(handler).parameters:
        return functools.partial(handler, heartbeat=heartbeat)
    return handler


def given_context(
    handler: Callable[..., T], filled: tuple[str, ...]
) -> Callable[..., T]:
    """The handler as its activity calls it, decided when the activities
    module is imported: itself, or, when it declares a `context` parameter
    that none of `filled` (its step's arguments) fills, a function that also
    passes it the current attempt's JobContext."""
    if not takes_context(handler, filled):
        return handler

    @functools.wraps(handler)
    def with_context(*args: Any, **kwargs: Any) -> T:
        return handler(*args, **kwargs, **{PARAMETER: job_context()})

    return with_context


def job_context() -> JobContext:
    """The running activity's JobContext: its workflow's type (the job) and
    id (the run), the step its type names (`<job>.<step>[.compensate]`),
    the attempt and when it was scheduled, and Temporal's activity logger."""
    info = activity.info()
    parts = info.activity_type.split(".")
    return JobContext(
        job=info.workflow_type or "",
        step=parts[1] if len(parts) > 1 else None,
        run_id=info.workflow_id or "",
        attempt=info.attempt,
        scheduled_at=info.current_attempt_scheduled_time,
        logger=activity.logger,
    )


def removed_step(type_name: str, handler: str, params: tuple[str, ...]) -> Any:
    """The activity of a step gone from jobs.yaml, registered under its old
    type name for runs started on a version that still has it. Its handler is
    imported when it runs: if the handler is gone too, that step fails at
    once (not retried) and the run compensates, instead of waiting forever
    on an activity no worker knows."""

    async def run(args: dict[str, Any]) -> Any:
        module, _, function = handler.partition(":")
        try:
            target = getattr(importlib.import_module(module), function)
        except (ImportError, AttributeError) as error:
            raise ApplicationError(
                f"activity {type_name}: its step was removed from jobs.yaml and "
                f"its handler {handler} no longer exists; keep the handler until "
                "no run started on an older version is open",
                type="RemovedStepHandlerMissing",
                non_retryable=True,
            ) from error
        # its handler's keywords when it was last built; the workflow sends them
        kwargs = {name: args[name] for name in params if name in args}
        target = given_context(target, tuple(kwargs))
        if inspect.iscoroutinefunction(target):
            return await target(**kwargs)
        return await asyncio.to_thread(functools.partial(target, **kwargs))

    return activity.defn(name=type_name)(run)
