"""10,000 Celery jobs through generated code while the worker is SIGKILLed.

    python -m bench.soak_celery [--jobs 10000] [--kills 2] [--wait-visibility]

A real redis-server and real `celery worker` processes (prefork, 2 pool
processes) run the jobs of harness/soak.py: half of them with an `id`,
each recording its runs in Redis. The worker, pool included, is SIGKILLed
each time another third of the jobs has finished and started again at once
(with --wait-visibility: once the visibility timeout has passed). Prints
throughput, counts, at-least-once re-runs and the verdict: every job
completes, and no job with an id starts again after it completed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness import celery_project as cs  # noqa: E402
from harness.soak import CELERY_SPEC, celery_soak  # noqa: E402
from lichc.engines.celery.servers import redis_server  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--kills", type=int, default=2)
    parser.add_argument("--wait-visibility", action="store_true")
    args = parser.parse_args()
    with redis_server() as redis, tempfile.TemporaryDirectory() as tmp:
        spec = CELERY_SPEC.format(project="soak_celery")
        with cs.project(Path(tmp), spec, "soak_celery", redis) as proj:
            report = celery_soak(
                proj,
                args.jobs,
                kills=args.kills,
                restart_after_visibility=args.wait_visibility,
                deadline=900,
            )
    print("\n".join(report.lines()))
    sys.exit(0 if report.ok else 1)


if __name__ == "__main__":
    main()
