"""What 50 edits of a Temporal job cost its build (issue 12's budget: at most
1.2x the same job never edited), and how large its workflow module grows.

The job waits for a signal and has five steps; each edit inserts a step or
removes the oldest one, so every build appends a version and the record of
the last one keeps 51 live versions. The same final spec is then built with
a fresh record (`new_baseline`), median of 9 full builds each, taken in turns: in process
(the compiler's own work, where the record's cost shows most) and as the
`lichc build` command a user runs (interpreter start and imports included).

    python bench/evolution_cost.py
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lichc.build import Source, build

EDITS = 50
RUNS = 9


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


def command_seconds(folder: Path, text: str, *flags: str) -> float:
    (folder / "jobs.yaml").write_text(text, encoding="utf-8")
    command = [sys.executable, "-m", "lichc", "build", "--force", *flags]
    start = time.perf_counter()
    subprocess.run(command, cwd=folder, check=True, capture_output=True)
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
        # a comment changes the spec's bytes: each build is a full one; the
        # two folders take turns, so a machine that slows down slows both
        times: dict[str, list[float]] = {
            k: [] for k in ("slow", "quick", "cli", "cli0")
        }
        for i in range(RUNS):
            text = final + f"# {i}\n"
            times["slow"].append(build_seconds(edited, text))
            times["quick"].append(build_seconds(fresh, text, new_baseline=True))
            times["cli"].append(command_seconds(edited, text))
            times["cli0"].append(command_seconds(fresh, text, "--new-baseline"))
        slow, quick, slow_cli, quick_cli = (
            statistics.median(times[k]) for k in ("slow", "quick", "cli", "cli0")
        )
        record = json.loads((edited / "generated/lichc.versions.json").read_text())
        module = edited / "generated/cost/temporal_workflows.py"
        print(f"versions kept         {len(record['jobs']['Job']['versions'])}")
        print(f"workflows module      {len(module.read_text().splitlines())} lines")
        print(f"{'':22}{'in process':>12}{'lichc build':>13}")
        print(f"{f'edited {EDITS} times':22}{slow:>11.3f}s{slow_cli:>12.3f}s")
        print(f"{'never edited':22}{quick:>11.3f}s{quick_cli:>12.3f}s")
        ratios = f"{slow / quick:>12.2f}{slow_cli / quick_cli:>13.2f}"
        print(f"{'ratio (budget 1.2)':22}{ratios}")


if __name__ == "__main__":
    main()
