"""Golden outputs and invalid-spec snapshots: how they are made and read.

Golden case: tests/golden/<case>/jobs.yaml beside expected/, the output tree
(the manifest aside, as it fingerprints lichc itself). Invalid case:
tests/cases/invalid/<case>/jobs.yaml beside expected.txt, what `lichc validate`
prints. Regenerate both with `python -m tests.regen`, then review the diff.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from harness.cli import run_lichc
from harness.trees import read_tree, write_tree
from lichc.build import Source, compile_plan, output_files

__all__ = ["read_tree"]  # re-exported for tests/test_snapshots.py

TESTS = Path(__file__).resolve().parent
GOLDEN = TESTS / "golden"
INVALID = TESTS / "cases" / "invalid"
GRAPH = TESTS / "cases" / "graph"
EXAMPLE_SPEC = TESTS.parent / "jobs.yaml"


def golden_cases() -> list[Path]:
    return sorted(p.parent for p in GOLDEN.glob("*/jobs.yaml"))


def invalid_cases() -> list[Path]:
    return sorted(p.parent for p in INVALID.glob("*/jobs.yaml"))


def render_case(case: Path) -> dict[str, bytes]:
    """The case's output, the version record included: a case that holds a
    lichc.versions.json was built before, and that record is read."""
    source = Source.read(case / "jobs.yaml", "jobs.yaml")
    files, _ = output_files(compile_plan(source), case)
    return files


def render_case_into(folder: Path, case: Path) -> Path:
    """`case`'s output as lichc renders it now, written into `folder` (returned),
    for tests that import or lint a golden tree rather than compare it."""
    write_tree(folder, render_case(case))
    return folder


def write_golden(case: Path) -> None:
    files = render_case(case)  # first: a lichc that cannot render keeps the old golden
    expected = case / "expected"
    shutil.rmtree(expected, ignore_errors=True)
    write_tree(expected, files)


def validate_output(case: Path) -> tuple[int, str]:
    result = run_lichc("validate", cwd=case)
    return result.code, result.out + result.err


def write_invalid(case: Path) -> None:
    code, text = validate_output(case)
    if code != 1:
        raise SystemExit(
            f"{case.name}: expected exit 1 from `lichc validate`, got {code}:\n{text}"
        )
    (case / "expected.txt").write_text(text, encoding="utf-8")


def graph_cases() -> list[Path]:
    return sorted(p.parent for p in GRAPH.glob("*/expected.mmd"))


def graph_spec(case: Path) -> Path:
    own = case / "jobs.yaml"
    return own if own.exists() else EXAMPLE_SPEC


def graph_output(case: Path) -> tuple[int, str]:
    result = run_lichc("graph", "-f", str(graph_spec(case)))
    return result.code, result.out + result.err


def write_graph(case: Path) -> None:
    code, text = graph_output(case)
    if code != 0:
        raise SystemExit(f"{case.name}: `lichc graph` failed ({code}):\n{text}")
    (case / "expected.mmd").write_text(text, encoding="utf-8")
