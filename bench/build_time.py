"""How long `lichc build` takes: the bundled example and a spec of 10,000 jobs.

    python bench/build_time.py [--runs 5]

Each build runs from scratch into an empty folder, as a fresh `lichc build`
would; the figure is the median of the runs (and the fastest, in brackets).
Used to show a refactor made neither build slower.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # harness and bench import from the checkout

from bench.timed import installed_lichc, measure  # noqa: E402
from harness.synthetic_specs import spec_text  # noqa: E402


def build_seconds(lichc: str, spec: str, runs: int) -> list[float]:
    """Wall seconds of `runs` builds of `spec`, each into a fresh folder."""
    seconds = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            (folder / "jobs.yaml").write_text(spec)
            shutil.copytree(ROOT / "examples", folder / "examples")
            _, elapsed, _ = measure(
                [lichc, "build"], cwd=folder, check=True, stdout=subprocess.DEVNULL
            )
            seconds.append(elapsed)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    lichc = installed_lichc()
    cases = {
        "example (jobs.yaml)": ((ROOT / "jobs.yaml").read_text(), runs),
        "10,000 jobs": (spec_text(10_000), max(1, runs // 2)),
    }
    for name, (spec, count) in cases.items():
        seconds = build_seconds(lichc, spec, count)
        print(
            f"{name:<20} median {statistics.median(seconds):7.2f}s "
            f"(fastest {min(seconds):.2f}s, {count} runs)"
        )


if __name__ == "__main__":
    main()
