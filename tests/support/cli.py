"""Run the lichc CLI in-process, the way a user runs it, and capture the result."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

from lichc.cli import main


@dataclass
class Result:
    code: int
    out: str
    err: str


@contextmanager
def working_dir(path: Path) -> Iterator[None]:
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def run_lichc(*args: str, cwd: Path | None = None) -> Result:
    """`lichc ARGS` in `cwd`; never raises for a failing command."""
    out, err = StringIO(), StringIO()
    code = 0
    with working_dir(cwd or Path.cwd()), redirect_stdout(out), redirect_stderr(err):
        try:
            main(list(args))
        except SystemExit as done:
            code = (
                done.code
                if isinstance(done.code, int)
                else (0 if done.code is None else 1)
            )
    return Result(code, out.getvalue(), err.getvalue())
