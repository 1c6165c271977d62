"""tests/ and bench/ never import each other; what both need is in harness/,
which imports neither (so a benchmark runs without the test suite's modules)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from harness import ROOT

FORBIDDEN = {"tests": {"bench"}, "bench": {"tests"}, "harness": {"tests", "bench"}}


def imported_packages(path: Path) -> set[str]:
    """The top-level packages a module imports (absolute imports only)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_bytes(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_no_import_crosses_between_tests_and_bench(folder: str) -> None:
    crossing = {
        path.relative_to(ROOT).as_posix(): sorted(wrong)
        for path in sorted((ROOT / folder).rglob("*.py"))
        if "golden" not in path.parts
        and (wrong := imported_packages(path) & FORBIDDEN[folder])
    }
    assert not crossing, f"move what both use to harness/: {crossing}"
