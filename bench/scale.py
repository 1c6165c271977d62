"""Does lichc scale linearly? Builds specs of 1,000, 5,000 and 10,000 jobs.

    python bench/scale.py

For each size: wall time and peak memory of `lichc build` from scratch, then
of a no-op `lichc check` on the fresh output. Targets: time and memory grow
linearly with the number of jobs; the no-op check of 10,000 jobs stays under
1 s (it proves freshness from the manifest's fingerprints without rendering).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # harness and bench import from the checkout

from bench.timed import installed_lichc, measure  # noqa: E402
from harness.synthetic_specs import spec_text  # noqa: E402


def main() -> None:
    lichc = installed_lichc()
    print(
        f"{'jobs':>6} {'spec':>8} {'output':>8} {'build':>8} {'per 1k':>7} {'peak':>7} {'no-op check':>12} {'peak':>7}"
    )
    for jobs in (1_000, 5_000, 10_000):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            (folder / "jobs.yaml").write_text(spec_text(jobs))
            _, build_s, build_mb = measure(
                [lichc, "build"], cwd=folder, check=True, stdout=subprocess.DEVNULL
            )
            _, check_s, check_mb = measure(
                [lichc, "check"], cwd=folder, check=True, stdout=subprocess.DEVNULL
            )
            out_mb = (
                sum(
                    p.stat().st_size
                    for p in (folder / "generated").rglob("*")
                    if p.is_file()
                )
                / 2**20
            )
            spec_mb = (folder / "jobs.yaml").stat().st_size / 2**20
            print(
                f"{jobs:>6} {spec_mb:>6.1f}MB {out_mb:>6.1f}MB {build_s:>7.1f}s {build_s / jobs * 1000:>6.2f}s "
                f"{build_mb:>5.0f}MB {check_s:>11.2f}s {check_mb:>5.0f}MB"
            )


if __name__ == "__main__":
    main()
