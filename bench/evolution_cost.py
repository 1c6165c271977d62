"""What 50 edits of a Temporal job cost its build (issue 12's budget: at most
1.2x the same job never edited), and how large its workflow module grows.

The job waits for a signal and has five steps; each edit inserts a step or
removes the oldest one, so every build appends a version and the record of
the last one keeps 51 live versions. The same final spec is then built with
a fresh record (`new_baseline`). In process, median of 7 full builds each.

    python bench/evolution_cost.py
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

from lichc.build import Source, build

EDITS = 50
RUNS = 7


def spec(steps: list[str]) -> str:
    body = "".join(f"      - {{name: {s}, run: m.x:{s}}}\n" for s in steps)
    return (
        "version: 1\nproject: cost\njobs:\n  Job:\n    engine: temporal\n"
        "    steps:\n      - {name: wait, wait_for: {signal: go}}\n" + body
    )


def build_seconds(folder: Path, text: str, *, new_baseline: bool = False) -> float:
    (folder / "jobs.yaml").write_text(text, encoding="utf-8")
    start = time.perf_counter()
    build(
        Source.read(folder / "jobs.yaml", "jobs.yaml"),
        force=True,
        new_baseline=new_baseline,
    )
    return time.perf_counter() - start


def main() -> None:
    steps = [f"s{i}" for i in range(5)]
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        edited, fresh = Path(a), Path(b)
        build_seconds(edited, spec(steps))
        for k in range(EDITS):
            steps = [*steps[1:], f"n{k}"] if k % 2 else [*steps, f"n{k}"]
            build_seconds(edited, spec(steps))
        final = spec(steps)
        # a comment changes the spec's bytes: each build is a full one
        slow = statistics.median(
            build_seconds(edited, final + f"# {i}\n") for i in range(RUNS)
        )
        quick = statistics.median(
            build_seconds(fresh, final + f"# {i}\n", new_baseline=True)
            for i in range(RUNS)
        )
        record = json.loads((edited / "generated/lichc.versions.json").read_text())
        module = edited / "generated/cost/temporal_workflows.py"
        print(f"versions kept         {len(record['jobs']['Job']['versions'])}")
        print(f"workflows module      {len(module.read_text().splitlines())} lines")
        print(f"edited {EDITS} times       {slow:.3f}s (median of {RUNS})")
        print(f"never edited          {quick:.3f}s")
        print(f"ratio                 {slow / quick:.2f} (budget 1.2)")


if __name__ == "__main__":
    main()
