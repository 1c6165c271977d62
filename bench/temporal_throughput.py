"""Throughput of the generated ProcessOrder workflow against a hand-written one.

    python bench/temporal_throughput.py [--workflows 300] [--concurrency 50]

Both run the same five steps with the example shop's handlers (approval
signal included) on one Temporal dev server, each with its own task queue and
worker. The hand-written one is written the way the seed document does it:
async activities, `start_to_close_timeout` only, the default data converter.
Prints workflows per second for each and the ratio generated / hand-written.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "generated"), str(ROOT), str(ROOT / "bench")]

from seed_order import (  # noqa: E402
    HandWrittenOrderWorkflow,
    charge_payment_activity,
    reserve_inventory_activity,
    send_confirmation_activity,
    validate_order_activity,
)
from temporalio.client import Client  # noqa: E402
from temporalio.contrib.pydantic import pydantic_data_converter  # noqa: E402
from temporalio.worker import Worker  # noqa: E402

from harness.temporal import start_dev_server  # noqa: E402

HAND_QUEUE = "orders-hand"


# -- measuring --------------------------------------------------------------------------


async def measure(
    count: int, concurrency: int, one: Callable[[int], Awaitable[None]]
) -> float:
    """Workflows per second for `count` runs of `one`, `concurrency` at a time."""
    gate = asyncio.Semaphore(concurrency)

    async def bounded(n: int) -> None:
        async with gate:
            await one(n)

    started = time.perf_counter()
    await asyncio.gather(*(bounded(n) for n in range(count)))
    return count / (time.perf_counter() - started)


async def generated_round(
    client: Client, tag: str, count: int, concurrency: int
) -> float:
    from shop import temporal_client

    async def one(n: int) -> None:
        handle = await temporal_client.start_process_order(
            client, order_id=f"{tag}-{n}", amount=10.0, email="bench@example.com"
        )
        await temporal_client.signal_process_order_approve(
            client, handle.id, {"by": "bench"}
        )
        await handle.result()

    return await measure(count, concurrency, one)


async def hand_round(client: Client, tag: str, count: int, concurrency: int) -> float:
    async def one(n: int) -> None:
        handle = await client.start_workflow(
            HandWrittenOrderWorkflow.run,
            args=[f"{tag}-{n}", 10.0, "bench@example.com"],
            id=f"hand-{tag}-{n}",
            task_queue=HAND_QUEUE,
        )
        await handle.signal(HandWrittenOrderWorkflow.approve, {"by": "bench"})
        await handle.result()

    return await measure(count, concurrency, one)


async def main(count: int, concurrency: int, rounds: int) -> None:
    from shop import temporal_worker

    async with await start_dev_server() as env:
        target = env.client.service_client.config.target_host
        generated_client = await Client.connect(
            target, data_converter=pydantic_data_converter
        )
        hand_client = env.client  # the default converter, as in the seed
        hand_worker = Worker(
            hand_client,
            task_queue=HAND_QUEUE,
            workflows=[HandWrittenOrderWorkflow],
            activities=[
                validate_order_activity,
                charge_payment_activity,
                reserve_inventory_activity,
                send_confirmation_activity,
            ],
        )
        async with temporal_worker.running(generated_client), hand_worker:
            await generated_round(generated_client, "warm", 20, concurrency)
            await hand_round(hand_client, "warm", 20, concurrency)
            best_generated = best_hand = 0.0
            for r in range(rounds):  # alternate, keep the best of each
                best_generated = max(
                    best_generated,
                    await generated_round(
                        generated_client, f"r{r}", count, concurrency
                    ),
                )
                best_hand = max(
                    best_hand,
                    await hand_round(hand_client, f"r{r}", count, concurrency),
                )
    print(f"workflows:    {count} per round, {concurrency} in flight, best of {rounds}")
    print(f"generated:    {best_generated:7.1f} workflows/s")
    print(f"hand-written: {best_hand:7.1f} workflows/s")
    print(f"ratio:        {best_generated / best_hand:.2f}x (target >= 0.95x)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workflows", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as outbox:
        os.environ["SHOP_OUTBOX"] = outbox
        asyncio.run(main(options.workflows, options.concurrency, options.rounds))
