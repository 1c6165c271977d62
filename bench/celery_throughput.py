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
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.cli import build  # noqa: E402
from tests.support.servers import redis_server  # noqa: E402

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
    with redis_server() as redis, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        out = build(folder, SPEC)
        env = {
            **os.environ,
            "REDIS_URL": redis.url(0),
            "REDIS_RESULT_URL": redis.url(1),
            "PYTHONPATH": os.pathsep.join([str(out), str(ROOT)]),
        }
        os.environ.update({k: env[k] for k in ("REDIS_URL", "REDIS_RESULT_URL")})
        sys.path.insert(0, str(out))
        client = importlib.import_module("bench_jobs.celery_client")
        handwritten = importlib.import_module("bench.handwritten").handwritten
        app = importlib.import_module("bench_jobs.celery_app").app
        senders = {
            "generated": lambda n: client.start_touch(n=n),
            "hand-written": lambda n: handwritten.delay({"n": n}),
        }
        best: dict[str, float] = {}
        for round_number in range(args.rounds):
            for label, send in senders.items():
                rate = measure(app, send, args.jobs, env, folder)
                best[label] = max(rate, best.get(label, 0.0))
                print(f"round {round_number + 1}  {label:<13} {rate:8.0f} jobs/s")
        ratio = best["generated"] / best["hand-written"]
        print(
            f"best: generated {best['generated']:.0f} jobs/s, hand-written "
            f"{best['hand-written']:.0f} jobs/s, ratio {ratio:.2f}x (target >= 0.95x)"
        )


def measure(app: Any, send: Any, jobs: int, env: dict[str, str], folder: Path) -> float:
    results = [send(n) for n in range(jobs)]
    worker = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "celery"),
            "-A",
            "bench.handwritten",
            "worker",
            "--concurrency=2",
            "--pool=prefork",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        env=env,
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 600
        metas = []
        for result in results:
            while True:
                meta = app.backend.get_task_meta(result.id, cache=False)
                if meta["status"] == "SUCCESS":
                    metas.append(meta)
                    break
                if time.monotonic() > deadline:
                    raise SystemExit(f"{result.id} is {meta['status']}")
                time.sleep(0.05)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    done = sorted(_when(m["date_done"]) for m in metas)
    return (len(done) - 1) / (done[-1] - done[0])


def _when(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    return datetime.fromisoformat(str(value)).timestamp()


if __name__ == "__main__":
    main()
