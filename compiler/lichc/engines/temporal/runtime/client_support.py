"""The part of the Temporal client module that does not vary with the spec:
answering a `wait_for` signal as a workflow Update, and the errors a run
that refuses the answer raises; checking an explicit id against the job's
`id` template; the synchronous wrappers' fresh event loop.

Copied into the generated package as temporal_client_runtime.py and imported
by temporal_client.py, outside the workflow sandbox. The workflow side
(temporal_runtime.JobRun.check_answer) fails the Update with an
ApplicationError whose type is one of these classes' names.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

T = TypeVar("T")


class AnswerRefused(Exception):
    """The run did not take the answer: nothing of it was recorded, and the
    run goes on as before (a step that waits for the signal still waits)."""

    def __init__(self, message: str, details: tuple[Any, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.details = details  # PayloadInvalid: each problem, one string


class PayloadInvalid(AnswerRefused):
    """The payload does not fit the signal's `payload` type (on the run's
    version of the job); `details` lists each problem, `field: message`."""


class NotWaiting(AnswerRefused):
    """The run is not waiting for this signal: its step has not started yet,
    has given up (`on_timeout: continue`), or the run has ended."""


class AlreadyAnswered(AnswerRefused):
    """The run already received this signal: the first answer counts."""


_REFUSALS: dict[str, type[AnswerRefused]] = {
    cls.__name__: cls for cls in (PayloadInvalid, NotWaiting, AlreadyAnswered)
}


async def answer(
    handle: WorkflowHandle[Any, Any], update: Any, payload: dict[str, Any]
) -> None:
    """Send `payload` as the Update `update` and return once the run took it;
    raise PayloadInvalid, NotWaiting or AlreadyAnswered when it refused."""
    try:
        await handle.execute_update(update, payload)
    except WorkflowUpdateFailedError as error:
        cause = error.cause
        if isinstance(cause, ApplicationError) and cause.type in _REFUSALS:
            refusal = _REFUSALS[cause.type]
            raise refusal(cause.message, tuple(cause.details)) from error
        raise
    except RPCError as error:
        # the server refuses an Update to a closed run as NOT_FOUND, like one
        # to an id it does not know: only the closed run is "not waiting"
        if error.status == RPCStatusCode.NOT_FOUND and await _closed(handle):
            message = f"workflow {handle.id} has ended: it waits for no signal"
            raise NotWaiting(message) from error
        raise


async def _closed(handle: WorkflowHandle[Any, Any]) -> bool:
    try:
        described = await handle.describe()
    except RPCError:
        return False
    return described.status not in (None, WorkflowExecutionStatus.RUNNING)


def checked_id(given: str | None, expected: str, template: str) -> str:
    """The workflow id of a job with an `id` template: `expected`, its
    rendering for the input; an explicit id must be the same."""
    if given is None or given == expected:
        return expected
    raise ValueError(
        f"id {given!r} does not match the job's id template {template!r}, "
        f"which gives {expected!r} for this input: leave id out, or pass that"
    )


@dataclass(frozen=True)
class Started:
    """What `start_x_sync` returns: the started (or already running) run,
    by id, usable once the event loop that started it has closed. Follow it
    with `client.get_workflow_handle(workflow_id, run_id=run_id)`."""

    workflow_id: str
    run_id: str | None  # None: a run with the id had finished (not run again)


async def started(handle: Awaitable[WorkflowHandle[Any, Any]]) -> Started:
    """The ids of the run `handle` points at."""
    h = await handle
    return Started(h.id, h.first_execution_run_id or h.result_run_id or h.run_id)


def in_new_loop(
    connect: Callable[[], Awaitable[Client]],
    call: Callable[[Client], Awaitable[T]],
) -> T:
    """Await `call(client)` in a fresh event loop, with a client from
    `connect()`, for a caller that has no event loop; refused inside a
    running loop, where asyncio.run cannot start another."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise RuntimeError(
            "a *_sync client function was called inside a running event loop: "
            "await the async function (start_x, run_x) there instead"
        )

    async def main() -> T:
        return await call(await connect())

    return asyncio.run(main())
