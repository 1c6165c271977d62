"""Hostile YAML: each case must end in a clear error, fast, in bounded memory.

    python bench/hostile.py

Runs `lichc validate` on each file in its own process and prints the exit
code, wall time and peak memory (max RSS). Targets: exit 1, under a second,
memory bounded (not growing with the hostile payload).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # harness and bench import from the checkout

from bench.timed import installed_lichc, measure  # noqa: E402
from harness.hostile_inputs import CASES  # noqa: E402


def run(lichc: str, path: Path) -> tuple[int, float, float, str]:
    """Exit code, seconds, peak RSS in MB and the first error line of one run."""
    result, elapsed, rss_mb = measure(
        [lichc, "validate", "-f", str(path)],
        capture_output=True,
        text=True,
        errors="replace",
    )
    first = result.stderr.replace(str(path.parent) + os.sep, "").splitlines()
    return result.returncode, elapsed, rss_mb, (first[0] if first else "")[:90]


def main() -> None:
    lichc = installed_lichc()
    with tempfile.TemporaryDirectory() as tmp:
        baseline = Path(tmp) / "ok.yaml"
        baseline.write_text("version: 1\njobs: {}\n")
        code, seconds, rss, _ = run(lichc, baseline)
        print(
            f"{'case':<30} {'exit':>4} {'time':>8} {'max RSS':>9}  first line of the error"
        )
        print(f"{'(valid empty spec)':<30} {code:>4} {seconds:>7.2f}s {rss:>7.0f}MB")
        for name, make in CASES.items():
            path = Path(tmp) / "jobs.yaml"
            path.write_bytes(make())
            code, seconds, rss, message = run(lichc, path)
            print(f"{name:<30} {code:>4} {seconds:>7.2f}s {rss:>7.0f}MB  {message}")


if __name__ == "__main__":
    main()
