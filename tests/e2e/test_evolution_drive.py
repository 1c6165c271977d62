"""The small version of bench/evolution.py: random edits of a Temporal job
with runs in flight at each version, on the time-skipping server. Every run
finishes on its own version's path and every history replays on the last
version (harness/evolution_drive.py says how)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.evolution_drive import drive
from tests.support.temporal import Server

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("seed", [7, 2026])
def test_random_edits_strand_no_run(
    skipping: Server, tmp_path: Path, seed: int
) -> None:
    report = drive(skipping, tmp_path, edits=5, runs_per_version=1, seed=seed)
    print("\n".join(report.lines()))
    assert report.versions == 6
    assert report.runs == 6
    assert report.clean, "\n".join(report.lines())
