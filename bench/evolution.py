"""Random edit sequences of a Temporal job with runs in flight at random
positions (issue 12): prints runs stuck, non-determinism errors, runs on a
wrong path and replay failures, all of which must be 0.

    python bench/evolution.py [--edits 30] [--runs 2] [--seed N]

The driver is harness/evolution_drive.py (its docstring says how); the test
suite runs a small version (tests/e2e/test_evolution_drive.py).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # harness, and the handlers in tests/e2e/handlers

from harness.evolution_drive import drive  # noqa: E402
from harness.temporal import time_skipping_server  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--edits", type=int, default=30)
    parser.add_argument("--runs", type=int, default=2, help="runs started per version")
    parser.add_argument("--seed", type=int, default=random.randrange(10**6))
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, time_skipping_server() as server:
        report = drive(
            server,
            Path(tmp),
            edits=args.edits,
            runs_per_version=args.runs,
            seed=args.seed,
        )
    print(f"seed {args.seed}, {time.perf_counter() - started:.1f} s")
    print("\n".join(report.lines()))
    sys.stdout.flush()
    os._exit(0 if report.clean else 1)  # the Temporal runtime can crash teardown


if __name__ == "__main__":
    raise SystemExit(main())
