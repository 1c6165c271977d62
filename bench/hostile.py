"""Hostile YAML: each case must end in a clear error, fast, in bounded memory.

    python bench/hostile.py

Runs `lichc validate` on each file in its own process and prints the exit
code, wall time and peak memory (max RSS). Targets: exit 1, under a second,
memory bounded (not growing with the hostile payload).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hostile_inputs import CASES  # bench/ is on sys.path when run as a script


def run(path: Path) -> tuple[int, float, float, str]:
    """Exit code, seconds, peak RSS in MB and the first error line of one run.

    Peak memory is read by GNU time from a small parent: a child forked from
    this (large) process would report this process's peak as its own.
    """
    lichc = shutil.which("lichc") or sys.exit(
        "lichc is not installed (pip install -e .)"
    )
    gnu_time = shutil.which("time") or "/usr/bin/time"
    with tempfile.NamedTemporaryFile("r") as rss_file:
        start = time.perf_counter()
        result = subprocess.run(
            [
                gnu_time,
                "-q",
                "-f",
                "%M",
                "-o",
                rss_file.name,
                lichc,
                "validate",
                "-f",
                str(path),
            ],
            capture_output=True,
            text=True,
            errors="replace",
        )
        elapsed = time.perf_counter() - start
        rss_mb = int(rss_file.read().split()[-1]) / 1024
    first = result.stderr.replace(str(path.parent) + os.sep, "").splitlines()
    return result.returncode, elapsed, rss_mb, (first[0] if first else "")[:90]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        baseline = Path(tmp) / "ok.yaml"
        baseline.write_text("version: 1\njobs: {}\n")
        code, seconds, rss, _ = run(baseline)
        print(
            f"{'case':<30} {'exit':>4} {'time':>8} {'max RSS':>9}  first line of the error"
        )
        print(f"{'(valid empty spec)':<30} {code:>4} {seconds:>7.2f}s {rss:>7.0f}MB")
        for name, make in CASES.items():
            path = Path(tmp) / "jobs.yaml"
            path.write_bytes(make())
            code, seconds, rss, message = run(path)
            print(f"{name:<30} {code:>4} {seconds:>7.2f}s {rss:>7.0f}MB  {message}")


if __name__ == "__main__":
    main()
