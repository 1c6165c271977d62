"""A for_each written by hand on each engine, the way a Celery or Temporal
user would: `asyncio.gather` of activities (bounded by a semaphore, like
max_parallel) and a Celery `group`. bench/for_each.py compares lichc's
for_each with them."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from bench.handlers import touch


@activity.defn
async def touch_activity(n: int) -> dict[str, Any]:
    return touch(n)


@workflow.defn
class HandWrittenEachWorkflow:
    @workflow.run
    async def run(self, items: list[int], max_parallel: int) -> list[Any]:
        gate = asyncio.Semaphore(max_parallel)

        async def one(n: int) -> Any:
            async with gate:
                return await workflow.execute_activity(
                    touch_activity, n, start_to_close_timeout=timedelta(seconds=30)
                )

        return list(await asyncio.gather(*(one(n) for n in items)))
