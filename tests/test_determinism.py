"""The same spec gives the same bytes, whatever the process's hash seed.

Set and dict order of strings changes with PYTHONHASHSEED from one process to
the next; a generator that iterates a set while rendering passes every test
in one process and still writes a different file in the next. So the example
jobs.yaml (built as `lichc build --force` does, manifest included) and every
golden spec (rendered as its golden is, tests/snapshots.py) are made in
separate processes with different seeds, and the trees compared.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from harness import ROOT
from harness.trees import read_tree
from tests.snapshots import EXAMPLE_SPEC, golden_cases

SEEDS = ["0", "1", "12345", "random"]

# Run from ROOT, so that the example's handler check finds `examples`; prints
# hash("lichc") to show the seed took effect.
BUILD = """
import sys
from pathlib import Path
from harness.trees import write_tree
from lichc.build import Source, build, compile_plan, render_files
example, *goldens = map(Path, sys.argv[1:])
build(Source.read(example / "jobs.yaml", "jobs.yaml"), force=True)
for case in goldens:
    source = Source.read(case / "jobs.yaml", "jobs.yaml")
    write_tree(case / "expected", render_files(compile_plan(source)))
print(hash("lichc"))
"""


def specs() -> dict[str, Path]:
    found = {"example": EXAMPLE_SPEC}
    found.update({case.name: case / "jobs.yaml" for case in golden_cases()})
    return found


def build_all(folder: Path, seed: str) -> subprocess.Popen[str]:
    """Start one process, hash seed `seed`, building every spec under `folder`."""
    cases = []
    for name, spec in specs().items():
        case = folder / name
        case.mkdir(parents=True)
        shutil.copyfile(spec, case / "jobs.yaml")
        cases.append(str(case))
    env = {**os.environ, "PYTHONHASHSEED": seed}
    return subprocess.Popen(
        [sys.executable, "-c", BUILD, *cases],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_output_is_byte_identical_across_hash_seeds(tmp_path: Path) -> None:
    running = {seed: build_all(tmp_path / f"seed-{seed}", seed) for seed in SEEDS}
    hashes = {}
    for seed, process in running.items():
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, f"PYTHONHASHSEED={seed}:\n{err}"
        hashes[seed] = out.strip()
    # the seeds did take effect: str hashes differ between the fixed ones
    assert len({hashes["0"], hashes["1"], hashes["12345"]}) == 3, hashes
    trees = {seed: read_tree(tmp_path / f"seed-{seed}") for seed in SEEDS}
    first = trees[SEEDS[0]]
    assert len({path.split("/", 1)[0] for path in first}) == len(specs())
    for seed in SEEDS[1:]:
        assert trees[seed].keys() == first.keys(), f"files differ, seed {seed}"
        differing = [p for p in first if trees[seed][p] != first[p]]
        assert not differing, f"PYTHONHASHSEED={seed} changes {differing}"
