"""for_each throughput on both engines, next to the same fan-out written by
hand, and the largest list a Temporal for_each runs.

    python bench/for_each.py [--elements 1000] [--rounds 2] [--skip-limit]

Each engine runs `--elements` elements of a trivial handler (bench/handlers.py)
through lichc's for_each (max_parallel 10) and through a hand-written fan-out
(bench/seed_each.py: `asyncio.gather` of activities under a semaphore of 10
on Temporal, a Celery `group`), on one server and worker each; the best of
`--rounds` is printed as elements per second, with the ratio.

The limit check then runs a Temporal for_each over MAX_ELEMENTS elements
(temporal_runtime.MAX_ELEMENTS), prints its history's length and size
against Temporal's limits (51,200 events, 50 MB), and shows what a list one
element longer gets: the run fails before any element runs.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from celery import group  # noqa: E402
from temporalio.client import Client, WorkflowFailureError  # noqa: E402
from temporalio.worker import Worker  # noqa: E402

from harness import celery_project as cs  # noqa: E402
from harness.cli import build  # noqa: E402
from harness.temporal import import_project, start_dev_server  # noqa: E402
from lichc.engines.celery.servers import redis_server  # noqa: E402

MAX_PARALLEL = 10
HAND_QUEUE = "each-hand"
SPEC = f"""\
version: 1
project: bench_jobs
jobs:
  TemporalEach:
    engine: temporal
    queue: each
    input: {{items: "list[int]"}}
    steps:
      - name: touch
        for_each: "${{input.items}}"
        max_parallel: {MAX_PARALLEL}
        run: bench.handlers:touch
        args: {{n: "${{item}}"}}
        timeout: 30s
  CeleryEach:
    engine: celery
    input: {{items: "list[int]"}}
    steps:
      - name: touch
        for_each: "${{input.items}}"
        max_parallel: {MAX_PARALLEL}
        run: bench.handlers:touch
        args: {{n: "${{item}}"}}
        timeout: 30s
"""


def rate(elements: int, seconds: float) -> str:
    return f"{elements / seconds:8.0f} elements/s ({seconds:.2f} s)"


def best_of(rounds: int, label: str, run: Any) -> float:
    best = float("inf")
    for number in range(rounds):
        seconds = run()
        best = min(best, seconds)
        print(f"  round {number + 1}  {label:<13} {seconds:.2f} s")
    return best


# -- Celery ---------------------------------------------------------------------------


def celery_round(proj: cs.Project, elements: int, hand: bool) -> float:
    items = list(range(elements))
    handwritten = importlib.import_module("bench.handwritten").handwritten
    started = time.perf_counter()
    if hand:
        result: Any = group(handwritten.s({"n": n}) for n in items).apply_async()
        values = result.get(timeout=600)
    else:
        values = proj.celery_client.start_celery_each(items=items).get(timeout=600)
    seconds = time.perf_counter() - started
    assert values == [{"n": n} for n in items], "a wrong result"
    return seconds


def celery(out: Path, elements: int, rounds: int) -> None:
    print(f"Celery: {elements} elements, one worker (-c 2, prefork), Redis")
    with (
        redis_server() as redis,
        cs.project(out, SPEC, "bench_jobs", redis) as proj,
        cs.worker(proj, "bench-each", module="bench.handwritten", loglevel="WARNING"),
    ):
        celery_round(proj, 50, False)  # warm
        lichc = best_of(rounds, "for_each", lambda: celery_round(proj, elements, False))
        hand = best_of(rounds, "group", lambda: celery_round(proj, elements, True))
    print(f"  lichc for_each {rate(elements, lichc)}")
    print(f"  hand group     {rate(elements, hand)}")
    print(f"  ratio for_each / group: {hand / lichc:.2f}x")


# -- Temporal -------------------------------------------------------------------------


async def temporal(out: Path, elements: int, rounds: int, limit: bool) -> None:
    from seed_each import HandWrittenEachWorkflow, touch_activity

    print(f"Temporal: {elements} elements, dev server, one worker each")
    modules = import_project(build(out / "temporal", SPEC), "bench_jobs")
    client_mod, worker = modules["temporal_client"], modules["temporal_worker"]
    async with await start_dev_server(dev_server_log_level="error") as env:
        target = env.client.service_client.config.target_host
        from temporalio.contrib.pydantic import pydantic_data_converter

        client = await Client.connect(target, data_converter=pydantic_data_converter)
        hand_worker = Worker(
            env.client,
            task_queue=HAND_QUEUE,
            workflows=[HandWrittenEachWorkflow],
            activities=[touch_activity],
        )
        async with worker.running(client), hand_worker:

            async def lichc_run(n: int) -> float:
                started = time.perf_counter()
                handle = await client_mod.start_temporal_each(
                    client, items=list(range(n))
                )
                result = await handle.result()
                assert result["touch"] == [{"n": i} for i in range(n)]
                return time.perf_counter() - started

            async def hand_run(n: int) -> float:
                started = time.perf_counter()
                result = await env.client.execute_workflow(
                    HandWrittenEachWorkflow.run,
                    args=[list(range(n)), MAX_PARALLEL],
                    id=f"hand-each-{time.time_ns()}",
                    task_queue=HAND_QUEUE,
                )
                assert result == [{"n": i} for i in range(n)]
                return time.perf_counter() - started

            await lichc_run(50)  # warm
            await hand_run(50)
            lichc_best = hand_best = float("inf")
            for number in range(rounds):
                lichc_s, hand_s = await lichc_run(elements), await hand_run(elements)
                lichc_best, hand_best = min(lichc_best, lichc_s), min(hand_best, hand_s)
                print(
                    f"  round {number + 1}  for_each {lichc_s:.2f} s, gather {hand_s:.2f} s"
                )
            print(f"  lichc for_each {rate(elements, lichc_best)}")
            print(f"  hand gather    {rate(elements, hand_best)}")
            print(f"  ratio for_each / gather: {hand_best / lichc_best:.2f}x")
            if limit:
                await history_limit(client, client_mod)


async def history_limit(client: Client, client_mod: Any) -> None:
    runtime = importlib.import_module("bench_jobs.temporal_runtime")
    most = runtime.MAX_ELEMENTS
    print(f"Temporal history at the limit: a for_each over {most} elements")
    started = time.perf_counter()
    handle = await client_mod.start_temporal_each(client, items=list(range(most)))
    await handle.result()
    seconds = time.perf_counter() - started
    info = (await handle.describe()).raw_description.workflow_execution_info
    print(
        f"  completed in {seconds:.1f} s: {info.history_length} history events "
        f"({info.history_length / 51_200:.0%} of Temporal's 51,200), "
        f"{info.history_size_bytes / 1e6:.2f} MB ({info.history_size_bytes / 50e6:.1%} "
        "of its 50 MB)"
    )
    handle = await client_mod.start_temporal_each(client, items=list(range(most + 1)))
    try:
        await handle.result()
    except WorkflowFailureError as failure:
        print(f"  {most + 1} elements: the run fails at once: {failure.cause}")
    else:
        raise AssertionError("a list over the limit ran")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--elements", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--skip-limit", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        celery(out / "celery", args.elements, args.rounds)
        asyncio.run(temporal(out, args.elements, args.rounds, not args.skip_limit))


if __name__ == "__main__":
    main()
