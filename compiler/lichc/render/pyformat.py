"""The formatting pass: every generated Python file goes through ruff format.

Templates and views write plain, correct code; its layout (line breaks,
wrapping, indentation inside brackets) is ruff's, so it matches what a user's
own `ruff format` would write. The ruff version is pinned in pyproject.toml
and is part of the generator fingerprint: one version, one layout, on every
machine. All files go through one ruff run (a process per file would cost
more than the formatting itself).
"""

from __future__ import annotations

import subprocess
import tempfile
from functools import cache
from importlib import metadata
from pathlib import Path

LINE_LENGTH = 88
TARGET = "py311"


@cache
def ruff_version() -> str:
    return metadata.version("ruff")


def _ruff() -> str:
    from ruff.__main__ import find_ruff_bin

    return str(find_ruff_bin())


def format_python(files: dict[str, str]) -> dict[str, str]:
    """`files` with every `.py` text formatted; the rest unchanged.

    ruff runs isolated (no user configuration can change the output) on a
    private copy of the files.
    """
    python = {path: text for path, text in files.items() if path.endswith(".py")}
    if not python:
        return files
    with tempfile.TemporaryDirectory(prefix="lichc-format-") as tmp:
        root = Path(tmp)
        for path, text in python.items():
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        done = subprocess.run(
            [
                _ruff(),
                "format",
                "--isolated",
                "--no-cache",
                "--quiet",
                f"--line-length={LINE_LENGTH}",
                f"--target-version={TARGET}",
                ".",
            ],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            # generated code that ruff cannot parse is a bug in lichc, not in the spec
            raise RuntimeError(f"ruff format failed on generated code:\n{done.stderr}")
        formatted = {path: (root / path).read_text(encoding="utf-8") for path in python}
    return {**files, **formatted}
