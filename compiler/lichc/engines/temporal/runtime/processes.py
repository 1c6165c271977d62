"""The part of the Temporal worker and schedules modules that does not vary
with the spec: running workers until SIGINT or SIGTERM, the process's exit
code and exit, and creating or updating schedules.

Copied into the generated package as temporal_process_runtime.py and imported
by temporal_worker.py and temporal_schedules.py, outside the workflow sandbox.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import traceback
from collections.abc import AsyncIterator, Callable, Coroutine
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager
from typing import Any, NoReturn

from temporalio.client import (
    Client,
    Schedule,
    ScheduleAlreadyRunningError,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.worker import Worker

# the workers of a project, each given its thread pool for sync activities
Workers = Callable[[Client, Callable[[], Executor]], list[Worker]]


@asynccontextmanager
async def running(
    client: Client, workers: Workers, threads: int
) -> AsyncIterator[list[Worker]]:
    """Every worker, polling until the block ends; then each shuts down gracefully."""
    with ExitStack() as pools:

        def thread_pool() -> Executor:
            return pools.enter_context(ThreadPoolExecutor(threads))

        async with AsyncExitStack() as stack:
            started = workers(client, thread_pool)
            for worker in started:
                await stack.enter_async_context(worker)
            yield started


async def poll_until_stopped(client: Client, workers: Workers, threads: int) -> None:
    """Run every worker until SIGINT or SIGTERM, then shut them down."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with running(client, workers, threads) as started:
        logging.info(
            "worker polling task queues %s",
            ", ".join(worker.task_queue for worker in started),
        )
        await stop.wait()
        logging.info("shutting down")


def exit_code(main: Callable[[], Coroutine[Any, Any, None]]) -> int:
    """Run `main` to its end; the exit code (a refusal's message printed)."""
    try:
        asyncio.run(main())
    except SystemExit as exit_:  # HandlerMismatch, or sys.exit in a handler
        if isinstance(exit_.code, int) or exit_.code is None:
            return exit_.code or 0
        print(exit_.code, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BaseException:
        traceback.print_exc()
        return 1
    return 0


def exit_now(code: int) -> NoReturn:
    """End the process once the logs are flushed, skipping the interpreter's
    teardown: the Temporal client has no close, and its core's threads can
    abort an interpreter that is finalizing (SIGABRT in PyGILState_Release,
    temporalio/sdk-python#300)."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _replace_with(
    schedule: Schedule,
) -> Callable[[ScheduleUpdateInput], ScheduleUpdate]:
    return lambda _: ScheduleUpdate(schedule=schedule)


async def sync_schedules(client: Client, wanted: dict[str, Schedule]) -> list[str]:
    """Create each schedule, or update the existing one; returns their ids."""
    for schedule_id, schedule in wanted.items():
        try:
            await client.create_schedule(schedule_id, schedule)
        except ScheduleAlreadyRunningError:
            await client.get_schedule_handle(schedule_id).update(
                _replace_with(schedule)
            )
    return list(wanted)
