"""Killing `lichc build` at any moment leaves the old or the new output.

Each run swaps the spec between two versions, starts a real `lichc build`
process and SIGKILLs it at a random moment of its run. Right after the kill
the output must be exactly the old tree or exactly the new one, or the
build's journal must be committed, in which case the next lichc command
finishes it and the tree is exactly the new one. Never a mix.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.cli import build, run_lichc
from harness.synthetic_specs import spec_text
from lichc.write import writer

KILLS = 16


def tree(out: Path) -> dict[str, bytes]:
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file()
        and not p.name.endswith(writer.TMP_SUFFIX)
        and p.name != writer.JOURNAL
    }


# the specs swap between 120 and 80 jobs: removing jobs is a breaking change
ACCEPT = "--accept-breaking"


def build_tree(project: Path, spec: str) -> dict[str, bytes]:
    return tree(build(project, spec, ACCEPT))


def lichc_process(project: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "lichc", "build", ACCEPT],
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.fixture
def versions(
    tmp_path: Path,
) -> tuple[Path, str, str, dict[str, bytes], dict[str, bytes]]:
    old_spec = spec_text(120)
    new_spec = spec_text(80).replace(
        "timeout: 30s", "timeout: 45s"
    )  # fewer jobs, changed files
    project = tmp_path
    # new, old, new: the version record keeps the jobs the new spec drops, so
    # only from the second build of each on are both trees fixed points
    build_tree(project, new_spec)
    old_tree = build_tree(project, old_spec)
    new_tree = build_tree(project, new_spec)
    assert old_tree != new_tree
    return project, old_spec, new_spec, old_tree, new_tree


def test_killed_builds_leave_old_or_new_output(
    versions: tuple[Path, str, str, dict[str, bytes], dict[str, bytes]],
) -> None:
    project, old_spec, new_spec, old_tree, new_tree = versions
    out = project / "generated"
    (project / "jobs.yaml").write_text(new_spec)
    start = time.monotonic()
    assert lichc_process(project).wait() == 0  # time one real build
    duration = time.monotonic() - start
    build_tree(project, old_spec)
    rng = random.Random(1234)
    seen = {"old": 0, "new": 0, "journal": 0}
    for i in range(KILLS):
        spec, before, after = (
            (new_spec, old_tree, new_tree)
            if i % 2 == 0
            else (old_spec, new_tree, old_tree)
        )
        (project / "jobs.yaml").write_text(spec)
        process = lichc_process(project)
        time.sleep(rng.uniform(0, duration * 1.5))
        process.send_signal(signal.SIGKILL)
        process.wait()
        now = tree(out)
        if (out / writer.JOURNAL).exists():
            seen["journal"] += 1
            writer.finish_interrupted(out)
            assert tree(out) == after
        elif now == after:
            seen["new"] += 1
        else:
            assert now == before, (
                f"kill {i}: output is neither the old nor the new tree"
            )
            seen["old"] += 1
        # bring the tree to a known state for the next round
        assert run_lichc("build", ACCEPT, cwd=project).code == 0
        assert tree(out) == after
    print(f"kills landing before the commit, after it, and during it: {seen}")
    assert seen["old"] + seen["new"] + seen["journal"] == KILLS


def test_concurrent_builds_do_not_corrupt_output(
    versions: tuple[Path, str, str, dict[str, bytes], dict[str, bytes]],
) -> None:
    project, old_spec, new_spec, old_tree, new_tree = versions
    out = project / "generated"
    for spec, expected in ((new_spec, new_tree), (old_spec, old_tree)):
        (project / "jobs.yaml").write_text(spec)
        processes = [lichc_process(project) for _ in range(3)]
        assert [p.wait() for p in processes] == [0, 0, 0]
        assert tree(out) == expected
        assert not any(name.endswith(writer.TMP_SUFFIX) for name in os.listdir(out))
