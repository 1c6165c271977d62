"""How fast is `lichc validate`?

    python bench/validate.py

1. Validation of generated specs of 1,000 and 10,000 jobs (load with positions,
   Pydantic models, cross-key rules, plan), next to plain `yaml.CSafeLoader`
   parsing of the same bytes. Target: at most 3x the plain parse.
2. Cold start of `lichc validate` on the example spec, next to `python -c pass`.
   Target: at most 150 ms over bare Python. Also shown: `lichc validate` on a
   spec whose build is current (answered from the manifest), `lichc check` on fresh
   output (the pre-commit/CI path, which proves freshness from the manifest
   without importing Pydantic), and the import cost of pydantic alone, which
   bounds what any Pydantic-based validator can reach on this machine.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # harness and bench import from the checkout

from bench.timed import installed_lichc  # noqa: E402
from harness.synthetic_specs import spec_text  # noqa: E402
from lichc.load.loader import parse  # noqa: E402
from lichc.plan.check import checked_plan  # noqa: E402


def best_of(runs: int, func: object) -> float:
    assert callable(func)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def median_run(command: list[str], runs: int = 15, cwd: Path = ROOT) -> float:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def throughput() -> None:
    print("validation vs plain parse (best of 3)")
    print(
        f"{'jobs':>7} {'bytes':>10} {'CSafeLoader':>12} {'lichc':>10} {'ratio':>7}  target <= 3.0x"
    )
    for jobs in (1_000, 10_000):
        raw = spec_text(jobs).encode()
        plain = best_of(3, lambda raw=raw: yaml.load(raw, Loader=yaml.CSafeLoader))
        ours = best_of(3, lambda raw=raw: checked_plan(parse(raw, "bench.yaml")))
        print(
            f"{jobs:>7} {len(raw):>10} {plain * 1000:>10.0f}ms {ours * 1000:>8.0f}ms {ours / plain:>6.2f}x"
        )


def cold_start() -> None:
    lichc = installed_lichc()
    python = sys.executable
    bare = median_run([python, "-c", "pass"])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        shutil.copy(ROOT / "jobs.yaml", folder / "jobs.yaml")
        shutil.copytree(ROOT / "examples", folder / "examples")
        validate_time = median_run([lichc, "validate"], cwd=folder)
        subprocess.run(
            [lichc, "build"], cwd=folder, stdout=subprocess.DEVNULL, check=True
        )
        check = median_run([lichc, "check"], cwd=folder)
        known = median_run([lichc, "validate"], cwd=folder)
    pydantic = median_run(
        [python, "-c", "import pydantic; from pydantic import BaseModel"]
    )
    print("\ncold start, median of 15 runs (pyc caches warm)")
    print(f"  python -c pass                      {bare * 1000:6.0f} ms")
    print(
        f"  lichc validate                      {validate_time * 1000:6.0f} ms  = {(validate_time - bare) * 1000:4.0f} ms over bare Python  target <= 150"
    )
    print(
        f"  lichc validate (spec built as is)   {known * 1000:6.0f} ms  = {(known - bare) * 1000:4.0f} ms over bare Python"
    )
    print(
        f"  lichc check (output fresh)          {check * 1000:6.0f} ms  = {(check - bare) * 1000:4.0f} ms over bare Python"
    )
    print(
        f"  for scale: import pydantic alone    {pydantic * 1000:6.0f} ms  = {(pydantic - bare) * 1000:4.0f} ms over bare Python"
    )


if __name__ == "__main__":
    throughput()
    cold_start()
