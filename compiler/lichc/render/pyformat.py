"""The formatting pass: every generated Python file goes through ruff format.

Templates and views write plain, correct code; its layout (line breaks,
wrapping, indentation inside brackets) is ruff's, so it matches what a user's
own `ruff format` would write. The ruff version is pinned in pyproject.toml
and is part of the generator fingerprint: one version, one layout, on every
machine. Small files go through one ruff run at the end (a process per file would cost
more than the formatting itself); a large one starts its own ruff process as
soon as it is rendered, so that it is formatted while the next renders.
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


# A file this large is formatted at once, by its own ruff process, while the
# next files render (on the second core); smaller ones go together at the end.
ALONE = 256 * 1024


class FormattingPass:
    """Formats generated files as they are rendered: `add` each, then
    `finish` for all of them, every `.py` text formatted, the rest unchanged.

    ruff runs isolated (no user configuration can change the output) on a
    private copy of the files.
    """

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="lichc-format-")
        self._root = Path(self._tmp.name)
        self._files: dict[str, str] = {}
        self._waiting: list[str] = []  # small .py files, formatted at the end
        self._running: list[subprocess.Popen[str]] = []

    def add(self, path: str, text: str) -> None:
        self._files[path] = text
        if not path.endswith(".py"):
            return
        target = self._root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        if len(text) >= ALONE:
            self._start([path])
        else:
            self._waiting.append(path)

    def _start(self, paths: list[str]) -> None:
        command = [_ruff(), "format", "--isolated", "--no-cache"]
        command += [f"--line-length={LINE_LENGTH}", f"--target-version={TARGET}"]
        self._running.append(
            subprocess.Popen(
                [*command, "--", *paths],
                cwd=self._root,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )

    def finish(self) -> dict[str, str]:
        try:
            if self._waiting:
                self._start(self._waiting)
            failures = []
            for process in self._running:
                stdout, stderr = process.communicate()
                if process.returncode != 0:
                    failures.append(stdout + stderr)
            if failures:
                # generated code ruff cannot parse is a bug in lichc, not in the spec
                raise RuntimeError(
                    "ruff format failed on generated code:\n" + "\n".join(failures)
                )
            return {
                path: (self._root / path).read_text(encoding="utf-8")
                if path.endswith(".py")
                else text
                for path, text in self._files.items()
            }
        finally:
            for process in self._running:
                if process.poll() is None:
                    process.kill()
                    process.wait()
            self._tmp.cleanup()


def format_python(files: dict[str, str]) -> dict[str, str]:
    """`files` with every `.py` text formatted; the rest unchanged."""
    formatting = FormattingPass()
    for path, text in files.items():
        formatting.add(path, text)
    return formatting.finish()
