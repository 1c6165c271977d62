"""What the plan knows of a condition's values: the kind of each operand
(from the input fields' types and the literals; a step's result is unknown
until it runs), the comparisons that can never hold or never run, and which
ones the generated code may write plainly (`a < b`) rather than through the
runtime's null-safe helpers."""

from __future__ import annotations

from collections.abc import Iterator

from lichc.diagnostics import Diagnostic, KeyPath
from lichc.fileformat.conditions import (
    ORDERING,
    Condition,
    Const,
    Items,
    Node,
    Op,
    Ref,
    compares,
)
from lichc.fileformat.values import InputRef, StepRef, TypeExpr
from lichc.plan.ir import Job

# "null" "bool" "number" "str" "dict" "list", or None: not known before it runs
Kind = str | None

_KIND_OF_BASE = {
    "str": "str",
    "int": "number",
    "float": "number",
    "bool": "bool",
    "dict": "dict",
    "list": "list",
}


def _const_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    return "str" if isinstance(value, str) else "number"


def _type(job: Job, node: Node) -> TypeExpr | None:
    """The declared type of a reference: an input field's, or a field of a
    typed signal payload's (which reads null when the wait gave up or was
    skipped: see _never_null)."""
    if not isinstance(node, Ref):
        return None
    ref = node.value
    if isinstance(ref, InputRef):
        field = next((f for f in job.inputs if f.name == ref.field), None)
        return field.type if field is not None else None
    if not isinstance(ref, StepRef) or ref.field is None:
        return None  # a whole result, or a for_each element: not known
    wait = next((w for w in job.signals if w.name == ref.step), None)
    field = wait.payload_field(ref.field) if wait is not None else None
    return field.type if field is not None else None


def kind(job: Job, node: Node) -> Kind:
    if isinstance(node, Const):
        return _const_kind(node.value)
    if isinstance(node, Items):
        return "list"
    typed = _type(job, node)
    return _KIND_OF_BASE[typed.base] if typed is not None else None


def _never_null(job: Job, node: Node) -> bool:
    """Only literals and required input fields: a payload may be missing (a
    wait that gave up, a skipped step, a run on a version that had no type)."""
    if isinstance(node, Const):
        return node.value is not None
    if not (isinstance(node, Ref) and isinstance(node.value, InputRef)):
        return False
    typed = _type(job, node)
    return typed is not None and not typed.optional


def plain(job: Job, left: Node, op: Op, right: Node) -> bool:
    """Whether `left op right` can be written as is: both operands known,
    never null and comparable, so Python's operator cannot raise."""
    if not (_never_null(job, left) and _never_null(job, right)):
        return False
    a, b = kind(job, left), kind(job, right)
    if op in ORDERING:
        return a == b and a in ("number", "str")
    if isinstance(right, Items):
        return a in ("number", "str") and all(
            _const_kind(i.value) == a for i in right.items
        )
    typed = _type(job, right)
    if typed is not None and typed.base == "list" and typed.item is not None:
        return not typed.item.optional and _KIND_OF_BASE[typed.item.base] == a
    return a == "str" and b in ("str", "dict")


def problems(job: Job, condition: Condition, path: KeyPath) -> Iterator[Diagnostic]:
    """Comparisons whose operands' kinds say they can never hold, or would
    fail the job when they run."""
    for node in compares(condition.tree):
        left = node.left
        for op, right in node.pairs:
            problem = _problem(job, left, op, right)
            if problem is not None:
                column = _column(left) or _column(right)
                where = f" (column {column} of the condition)" if column else ""
                yield Diagnostic(
                    f"condition '{condition.text}': {problem}{where}",
                    path,
                    "compare values of the same kind; an input field's type is "
                    "in the job's `input`, a signal's in its `payload`",
                )
            left = right


def _problem(job: Job, left: Node, op: Op, right: Node) -> str | None:
    a, b = kind(job, left), kind(job, right)
    if op in ("==", "!="):
        if a and b and a != b and "null" not in (a, b):
            return f"{_show(left)} is {_article(a)}, {_show(right)} is {_article(b)}: they are never equal"
        return None
    if op in ORDERING:
        for node, k in ((left, a), (right, b)):
            if k is not None and k not in ("number", "str"):
                return f"{_show(node)} is {_article(k)}, which has no order"
        if a and b and a != b:
            return f"{_show(left)} is {_article(a)} and {_show(right)} is {_article(b)}: they cannot be ordered"
        return None
    # in, not in
    if b is not None and b not in ("list", "str", "dict"):
        return f"`{op}` needs a list or a text on its right; {_show(right)} is {_article(b)}"
    if b == "str" and a is not None and a != "str":
        return f"{_show(left)} is {_article(a)} and cannot be part of a text"
    if isinstance(right, Items) and a is not None and right.items:
        kinds = {_const_kind(i.value) for i in right.items}
        if a not in kinds and a != "null":
            return f"{_show(left)} is {_article(a)}; the list holds none"
    typed = _type(job, right)
    if typed is not None and typed.base == "list" and typed.item is not None:
        item = _KIND_OF_BASE[typed.item.base]
        if a is not None and a != "null" and a != item:
            return (
                f"{_show(left)} is {_article(a)}; {_show(right)} is a list of {item}s"
            )
    return None


def _article(kind: str) -> str:
    return {
        "null": "null",
        "bool": "a boolean",
        "number": "a number",
        "str": "a text",
        "dict": "a mapping",
        "list": "a list",
    }[kind]


def _show(node: Node) -> str:
    if isinstance(node, Ref):
        return str(node.value)
    if isinstance(node, Const):
        return repr(node.value) if isinstance(node.value, str) else str(node.value)
    return "the list" if isinstance(node, Items) else "the comparison"


def _column(node: Node) -> int | None:
    return node.column if isinstance(node, Ref) else None
