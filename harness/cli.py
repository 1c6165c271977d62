"""Run the lichc CLI in-process, the way a user runs it, and capture the result;
find the other command-line tools of this venv."""

from __future__ import annotations

import os
import shutil
import sys
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


def binary(name: str) -> str:
    """A console script of this venv (beside the interpreter), else from PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else name


def write_spec(folder: Path, spec: Path | str) -> Path:
    """`folder` (made if missing) holding `spec`, a file or YAML text, as jobs.yaml."""
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(spec, Path):
        shutil.copyfile(spec, folder / "jobs.yaml")
    else:
        (folder / "jobs.yaml").write_text(spec, encoding="utf-8")
    return folder


def build(folder: Path, spec: Path | str, *flags: str) -> Path:
    """`lichc build` of `spec` written into `folder`; returns the output folder."""
    result = run_lichc("build", *flags, cwd=write_spec(folder, spec))
    assert result.code == 0, result.out + result.err
    return folder / "generated"
