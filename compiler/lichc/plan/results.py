"""Stage 3: a job's `result:` (docs/workflow.md#results): which value a
multi-step job returns, and literals that cannot fit its type."""

from __future__ import annotations

from collections.abc import Iterator

from lichc.diagnostics import Diagnostic, KeyPath
from lichc.fileformat.values import Literal_, ResultObject, ResultValue, TypeExpr
from lichc.plan.ir import EndStep, Job, Step, Types
from lichc.plan.references import check_reference
from lichc.plan.types import unknown_names


def result_problems(job: Job, types: Types) -> Iterator[Diagnostic]:
    result = job.result
    if result is None:
        return
    if result.type is not None:
        yield from unknown_names(result.type, (*result.path, "type"), types)
    if job.single and result.value is not None:
        yield Diagnostic(
            "a single-step job returns its handler's result: `value` is for "
            "multi-step jobs",
            (*result.path, "value"),
            "write `result: TYPE`, the type the handler returns",
        )
        return
    if not job.single and result.value is None:
        yield Diagnostic(
            "the result of a multi-step job needs `value`: what the job returns",
            result.path,
            'e.g. result: {type: dict[str, int], value: "${steps.NAME}"}, or a '
            "mapping of references; without result: the job returns as before",
        )
        return
    if result.value is not None:
        yield from _values(job, result.value, (*result.path, "value"))
        yield from _fits(result.type, result.value, (*result.path, "value"), types)
    for step in job.steps:
        if isinstance(step, EndStep) and step.result is not None:
            where = (*step.path, "end", "result")
            yield from _fits(result.type, step.result, where, types)


def _values(job: Job, value: ResultValue, path: KeyPath) -> Iterator[Diagnostic]:
    """The references of `value`, read after the last step: any step may be
    named."""
    everything: dict[str, Step] = {s.name: s for s in job.named_steps()}
    items = value.items if isinstance(value, ResultObject) else ((None, value),)
    for key, item in items:
        where = path if key is None else (*path, key)
        yield from check_reference(job, item, where, everything, everything)


def _fits(
    kind: TypeExpr | None, value: ResultValue, path: KeyPath, types: Types
) -> Iterator[Diagnostic]:
    """A literal that cannot be of the result's type (references are checked
    when the job runs)."""
    if kind is None:
        return
    hint = "make the value match the job's result type, or change the type"
    if isinstance(value, Literal_):
        if not kind.accepts(value.value, types):
            yield Diagnostic(
                f"{value.value!r} does not fit the job's result type {kind}", path, hint
            )
        return
    if not isinstance(value, ResultObject):
        return
    if kind.base not in ("dict", "named"):
        yield Diagnostic(
            f"a mapping does not fit the job's result type {kind}", path, hint
        )
        return
    if kind.base == "named" or kind.item is None:
        return
    for key, item in value.items:
        if isinstance(item, Literal_) and not kind.item.accepts(item.value, types):
            yield Diagnostic(
                f"{item.value!r} does not fit {kind.item} (the job's result type "
                f"is {kind})",
                (*path, key),
                hint,
            )
