"""A job's `result:` (docs/workflow.md#results): the task that produces the
job's result checks it against its type and returns it as JSON."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter, ValidationError

from .policy import ResultInvalid


def checked_result(job: str, kind: TypeAdapter[Any], value: Any) -> Any:
    """`value` as the job's result type reads it, dumped as JSON (a model
    becomes its JSON object); ResultInvalid, never retried, when it does not
    fit: the handler's work is done, running it again would not change it."""
    try:
        checked = kind.validate_python(value)
    except ValidationError as error:
        problems = [
            ".".join(str(part) for part in e["loc"]) + ": " + e["msg"]
            if e["loc"]
            else e["msg"]
            for e in error.errors(include_url=False)
        ]
        raise ResultInvalid(
            f"job {job}: its result does not fit its type: " + "; ".join(problems)
        ) from None
    return kind.dump_python(checked, mode="json")
