"""Throughput of a generated Celery task against a hand-written one.

    python -m bench.celery_throughput [--jobs 2000] [--rounds 2]

Both run the same trivial handler (bench/handlers.py) on the same Redis with
the same worker (`-c 2`, prefork, the generated app's settings). Each round
queues all jobs first, then starts a worker and measures from the first task
finished to the last (the `date_done` of their results), so sending and
worker start-up are not counted. Prints jobs/s of each and their ratio
(target: generated >= 0.95x hand-written).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness import celery_project as cs  # noqa: E402
from lichc.devstack.servers import wait_until  # noqa: E402
from lichc.engines.celery.servers import redis_server  # noqa: E402

SPEC = """\
version: 1
project: bench_jobs
jobs:
  Touch:
    engine: celery
    run: bench.handlers:touch
    input: {n: int}
    retry: {attempts: 4}
    timeout: 30s
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with (
        redis_server() as redis,
        tempfile.TemporaryDirectory() as tmp,
        cs.project(Path(tmp), SPEC, "bench_jobs", redis) as proj,
    ):
        handwritten = importlib.import_module("bench.handwritten").handwritten
        senders = {
            "generated": lambda n: proj.celery_client.start_touch(n=n),
            "hand-written": lambda n: handwritten.delay({"n": n}),
        }
        best: dict[str, float] = {}
        for round_number in range(args.rounds):
            for label, send in senders.items():
                name = f"bench-{round_number + 1}-{label}"
                rate = measure(proj, send, args.jobs, name)
                best[label] = max(rate, best.get(label, 0.0))
                print(f"round {round_number + 1}  {label:<13} {rate:8.0f} jobs/s")
        ratio = best["generated"] / best["hand-written"]
        print(
            f"best: generated {best['generated']:.0f} jobs/s, hand-written "
            f"{best['hand-written']:.0f} jobs/s, ratio {ratio:.2f}x (target >= 0.95x)"
        )


def measure(proj: cs.Project, send: Any, jobs: int, name: str) -> float:
    """Jobs/s of one round: queue `jobs` jobs, then start a worker (`-A
    bench.handwritten`, which loads both tasks) and wait for every result."""
    results = [send(n) for n in range(jobs)]
    metas: list[dict[str, Any]] = []

    def finished() -> bool:
        while len(metas) < len(results):
            meta = proj.app.backend.get_task_meta(results[len(metas)].id, cache=False)
            if meta["status"] != "SUCCESS":
                return False
            metas.append(meta)
        return True

    with cs.worker(proj, name, module="bench.handwritten", loglevel="WARNING"):
        wait_until(finished, f"{jobs} results of {name}", 600)
    done = sorted(cs.done_at(m) for m in metas)
    return (len(done) - 1) / (done[-1] - done[0])


if __name__ == "__main__":
    main()
