"""Stage 2: loaded data -> the validated spec, and every error found in it.

The top-level settings and each job are validated separately, so one broken
job does not hide the errors of the others; the plan stage (lichc.plan.check)
then checks the cross-key rules on the plan of every job that passed.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter, ValidationError

from lichc.diagnostics import Diagnostic
from lichc.fileformat import names
from lichc.fileformat.errors import from_validation_error
from lichc.fileformat.models import Job, Spec, SpecHead
from lichc.fileformat.values import SpecValueError
from lichc.load.loader import Document

_JOB = TypeAdapter(Job)


def validate(document: Document) -> tuple[Spec | None, list[Diagnostic]]:
    """The spec of every job that passed (None when the top level is too
    broken to check further) and every problem found, not yet located."""
    data = document.data
    found: list[Diagnostic] = list(document.problems)
    head_data = {k: v for k, v in data.items() if k != "jobs"}
    head: SpecHead | None = None
    try:
        head = SpecHead.model_validate(head_data)
    except ValidationError as error:
        found.extend(from_validation_error(error, head_data, Spec))
        head = _head_without_errors(head_data, error)
    jobs = _jobs(data, found)
    if head is None:
        return None, found
    return Spec.model_construct(**dict(head), jobs=jobs), found


def _head_without_errors(
    head_data: dict[str, Any], error: ValidationError
) -> SpecHead | None:
    """The top level minus its broken keys, so the jobs can still be checked.

    Broken `defaults` change what every job inherits, so then nothing is checked
    further: errors derived from a guess would mislead.
    """
    broken = {e["loc"][0] for e in error.errors() if e["loc"]}
    if "defaults" in broken or "version" in broken:
        return None
    kept = {k: v for k, v in head_data.items() if k not in broken}
    if "types" in broken and isinstance(head_data["types"], dict):
        kept["types"] = _types_without_errors(head_data["types"], error)
    try:
        return SpecHead.model_validate(kept)
    except ValidationError:
        return None


def _types_without_errors(
    types: dict[Any, Any], error: ValidationError
) -> dict[Any, Any]:
    """`types:` with each broken type left as an empty object type, so a job
    using it is not also told the type is unknown; a broken name is dropped."""
    at = {
        e["loc"][1]
        for e in error.errors()
        if len(e["loc"]) > 1 and e["loc"][0] == "types"
    }
    kept: dict[Any, Any] = {}
    for name, value in types.items():
        try:
            names.type_name(name)
        except SpecValueError:
            continue
        kept[name] = {} if name in at else value
    return kept


def _jobs(data: dict[str, Any], found: list[Diagnostic]) -> dict[str, Job]:
    if "jobs" not in data:
        found.append(
            Diagnostic(
                "missing required key 'jobs'",
                (),
                "add a `jobs:` mapping of job names to jobs",
            )
        )
        return {}
    jobs_data = data["jobs"]
    if jobs_data is None:
        return {}
    if not isinstance(jobs_data, dict):
        found.append(Diagnostic("expected a mapping of job names to jobs", ("jobs",)))
        return {}
    jobs: dict[str, Job] = {}
    for name, job_data in jobs_data.items():
        path = ("jobs", name)
        try:
            names.job_name(name)
        except SpecValueError as error:
            found.append(Diagnostic(error.message, path, error.hint, on_key=True))
            continue
        try:
            job = _JOB.validate_python(job_data)
        except ValidationError as error:
            found.extend(from_validation_error(error, job_data, Job, path))
            continue
        if job.run is None and job.steps is None:
            found.append(
                Diagnostic(
                    "a job needs `run` (a single step) or `steps`",
                    path,
                    "e.g. run: examples.shop.emails:send_welcome",
                    on_key=True,
                )
            )
        elif job.run is not None and job.steps is not None:
            found.append(
                Diagnostic(
                    "a job has `run` or `steps`, not both",
                    (*path, "steps"),
                    on_key=True,
                )
            )
        elif job.args is not None and job.steps is not None:
            found.append(
                Diagnostic(
                    "`args` on a job are its `run` handler's arguments, and this "
                    "job has `steps`",
                    (*path, "args"),
                    "give each step its own `args:`",
                    on_key=True,
                )
            )
        else:
            jobs[name] = job
    return jobs
