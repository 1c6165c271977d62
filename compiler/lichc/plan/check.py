"""Stages 2 and 3 together: a loaded document -> its checked plan, or
SpecError with every problem of the file at once."""

from __future__ import annotations

from pathlib import Path

from lichc.diagnostics import SpecError
from lichc.fileformat.validate import validate
from lichc.load.loader import Document
from lichc.plan import rules
from lichc.plan.ir import Plan
from lichc.plan.make import make_plan


def checked_plan(document: Document, handlers_from: Path | None = None) -> Plan:
    """The plan of a valid spec, else SpecError with every problem. With
    `handlers_from` (the spec's folder) handler signatures are checked too."""
    spec, found = validate(document)
    plan = None
    if spec is not None:
        plan = make_plan(spec, _source_name(document.filename))
        found.extend(rules.check(plan))
        if handlers_from is not None:
            from lichc.plan import handlers

            found.extend(handlers.check(plan, handlers_from))
    if found or plan is None:
        # an inherited setting can break several steps at one place: say it once
        unique = list(dict.fromkeys(document.locate(d) for d in found))
        raise SpecError(document.filename, unique)
    return plan


def _source_name(filename: str) -> str:
    return filename.replace("\\", "/").rsplit("/", 1)[-1]
