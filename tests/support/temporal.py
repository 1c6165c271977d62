"""Temporal helpers only the end-to-end tests use: polling, and reading a
workflow's history.

The dev and time-skipping servers and the loop thread their client belongs
to are shared with the benchmarks (harness/temporal.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from temporalio import activity, client, worker
from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter

from harness import ROOT
from harness.temporal import (
    Server,
    dev_server,
    import_project,
    time_skipping_server,
)

# ROOT, Server, the servers and import_project come from harness/: re-exported
__all__ = [
    "ROOT",
    "ActivityOutcomes",
    "Server",
    "activity_types",
    "cancel_requested",
    "client_with",
    "dev_server",
    "history_of",
    "import_project",
    "started_attempts",
    "time_skipping_server",
    "until",
    "wait_for",
    "wait_for_step",
]


async def wait_for_step(
    status: Callable[[Client, str], Awaitable[Any]],
    client: Client,
    workflow_id: str,
    step: str,
) -> Any:
    """Poll a generated `status_x` until the job is at `step`; return the status."""
    for _ in range(600):
        current = await status(client, workflow_id)
        if current.current == step:
            return current
        await asyncio.sleep(0.05)
    raise AssertionError(f"{workflow_id} never reached step {step}")


async def until(
    condition: Callable[[], Awaitable[bool]], what: str, deadline: float = 60.0
) -> None:
    """Poll `condition` until it holds; fail after `deadline` seconds."""
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    while not await condition():
        if loop.time() > end:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.05)


async def cancel_requested(handle: WorkflowHandle[Any, Any], activity: str) -> bool:
    """Whether the workflow has asked to cancel its activity of that type."""
    events = await history_of(handle)
    scheduled = {
        e.event_id: e.activity_task_scheduled_event_attributes.activity_type.name
        for e in events
        if e.HasField("activity_task_scheduled_event_attributes")
    }
    return any(
        scheduled.get(
            e.activity_task_cancel_requested_event_attributes.scheduled_event_id
        )
        == activity
        for e in events
        if e.HasField("activity_task_cancel_requested_event_attributes")
    )


async def history_of(handle: WorkflowHandle[Any, Any]) -> list[Any]:
    history = await handle.fetch_history()
    return list(history.events)


def activity_types(events: list[Any]) -> list[str]:
    """Activity types in the order they were scheduled."""
    return [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in events
        if e.HasField("activity_task_scheduled_event_attributes")
    ]


def started_attempts(events: list[Any]) -> list[int]:
    """The attempt number of each activity's last start, in history order."""
    return [
        e.activity_task_started_event_attributes.attempt
        for e in events
        if e.HasField("activity_task_started_event_attributes")
    ]


class ActivityOutcomes(client.Interceptor, worker.Interceptor):
    """What each activity run raised to the worker, by activity type: what the
    worker then reports to the server (a CancelledError as cancelled)."""

    def __init__(self) -> None:
        self.raised: dict[str, list[BaseException]] = {}

    def intercept_activity(
        self, next: worker.ActivityInboundInterceptor
    ) -> worker.ActivityInboundInterceptor:
        outcomes = self

        class Recording(worker.ActivityInboundInterceptor):
            async def execute_activity(self, input: worker.ExecuteActivityInput) -> Any:
                try:
                    return await super().execute_activity(input)
                except BaseException as error:
                    kind = activity.info().activity_type
                    outcomes.raised.setdefault(kind, []).append(error)
                    raise

        return Recording(next)


def client_with(server: Server, *interceptors: client.Interceptor) -> Client:
    """A client of `server` whose workers also run `interceptors`."""
    return Client(
        server.client.service_client,
        namespace=server.client.namespace,
        data_converter=pydantic_data_converter,
        interceptors=list(interceptors),
    )


async def wait_for(
    condition: Callable[[], bool], what: str, within: float = 60
) -> None:
    """Return once `condition()` holds, checking every 50ms; fail after `within`s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {what}")
        await asyncio.sleep(0.05)
