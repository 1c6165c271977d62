"""`mypy --strict` over a user's modules that call generated clients: what
the typing tests of the clients (start options, results, named types) share.
A module's lines marked `# wrong` must be exactly the lines mypy reports."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from harness.cli import binary

ROOT = Path(__file__).resolve().parents[2]


def mypy_errors(folder: Path, mypypath: list[Path]) -> tuple[dict[str, set[int]], str]:
    """The lines with errors of each module in `folder`, and mypy's report."""
    modules = sorted(p.name for p in folder.glob("*.py"))
    done = subprocess.run(
        [
            binary("mypy"),
            "--strict",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            *modules,
        ],
        cwd=folder,
        env={**os.environ, "MYPYPATH": os.pathsep.join(map(str, [*mypypath, ROOT]))},
        capture_output=True,
        text=True,
        check=False,
    )
    report = done.stdout + done.stderr
    errors: dict[str, set[int]] = {}
    for match in re.finditer(r"^(\w+)\.py:(\d+): error:", report, re.MULTILINE):
        errors.setdefault(match[1], set()).add(int(match[2]))
    return errors, report


def marked_wrong(source: str) -> set[int]:
    """The lines of `source` that end with `# wrong`."""
    return {
        i for i, line in enumerate(source.splitlines(), 1) if line.endswith("# wrong")
    }
