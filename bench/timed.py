"""Wall time and peak memory of a command, and the lichc it runs, for the benchmarks."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any


def installed_lichc() -> str:
    """The `lichc` console script; exits when lichc is not installed."""
    return shutil.which("lichc") or sys.exit(
        "lichc is not installed (pip install -e .)"
    )


def measure(
    command: list[str], **run: Any
) -> tuple[subprocess.CompletedProcess[Any], float, float]:
    """The finished run of `command` (`run`: subprocess.run's options), its wall
    seconds and its peak RSS in MB.

    Peak memory is read by GNU time from a small parent: a child forked from
    this (large) process would report this process's peak as its own.
    """
    gnu_time = shutil.which("time") or "/usr/bin/time"
    with tempfile.NamedTemporaryFile("r") as rss_file:
        start = time.perf_counter()
        done = subprocess.run(
            [gnu_time, "-q", "-f", "%M", "-o", rss_file.name, *command], **run
        )
        elapsed = time.perf_counter() - start
        return done, elapsed, int(rss_file.read().split()[-1]) / 1024
