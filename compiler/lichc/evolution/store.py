"""Where the version record lives, and reading it without losing history."""

from __future__ import annotations

from pathlib import Path

from lichc.diagnostics import Diagnostic, SpecError
from lichc.evolution.record import BASELINE_HINT, RECORD, Record, parse
from lichc.write import writer


def read_record(out_dir: Path, *, new_baseline: bool = False) -> Record:
    """The record in out_dir. None there: a first build, or one by a lichc
    that kept none, starts the baseline; a record the manifest lists but that
    is gone is an error, so history is never dropped without being asked."""
    path = out_dir / RECORD
    display = _display(path)
    if new_baseline:
        return Record()
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        try:
            manifest = writer.Manifest.read(out_dir)
        except writer.WriteError:
            manifest = None
        if manifest is not None and RECORD in manifest.files:
            raise SpecError(
                display,
                [
                    Diagnostic(
                        "the version record is missing: lichc wrote it in its last "
                        "build, and runs in flight may need the versions it keeps",
                        hint=BASELINE_HINT.format(path=display),
                    )
                ],
            ) from None
        return Record()
    except OSError as error:
        raise SpecError(
            display, [Diagnostic(f"cannot read the version record: {error.strerror}")]
        ) from None
    return parse(text, display)


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
