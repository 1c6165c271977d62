"""Conditions as the Python the engines generate (`if` statements of a
workflow or a chain task), written from the parsed tree
(lichc.fileformat.conditions) with the canonical text's precedence
(lichc.fileformat.condition_text), in the forms ruff's checks ask for."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lichc.fileformat.condition_text import AND, ATOM, NOT, wrapped
from lichc.fileformat.conditions import (
    ORDERING,
    Compare,
    Condition,
    Const,
    Items,
    Logic,
    Node,
    Not,
    Op,
    Ref,
    compares,
)
from lichc.fileformat.values import InputRef, ItemRef, Reference
from lichc.plan import conditions as kinds
from lichc.plan.ir import Job
from lichc.render.pysource import py_call, py_literal, py_str

# the element of a for_each step, as the generated element function names it
ITEM = "item"


@dataclass(frozen=True, slots=True)
class Helpers:
    """The runtime functions the generated expression calls, by local name,
    and whether an operand is known to be comparable without them."""

    ordered: str
    contains: str
    plain: Callable[[Node, Op, Node], bool]

    def through(self, left: Node, op: Op, right: Node) -> str | None:
        """The helper a comparison goes through, None when written plainly."""
        if op in ("==", "!=") or self.plain(left, op, right):
            return None
        return self.ordered if op in ORDERING else self.contains


def written(
    condition: Condition, read: Callable[[Reference], str], helpers: Helpers
) -> str:
    """The condition as a Python expression; `read` gives each reference's."""
    return _python(condition.tree, read, helpers)


def calls(condition: Condition, helpers: Helpers) -> set[str]:
    """The helpers `written` calls (to import only those)."""
    names = set()
    for node in compares(condition.tree):
        left = node.left
        for op, right in node.pairs:
            names.add(helpers.through(left, op, right))
            left = right
    return {n for n in names if n is not None}


_INVERSE: dict[Op, Op] = {"==": "!=", "!=": "==", "in": "not in", "not in": "in"}
_MIRRORED: dict[Op, Op] = {
    "==": "==",
    "!=": "!=",
    "<": ">",
    "<=": ">=",
    ">": "<",
    ">=": "<=",
}


def negated(node: Node) -> Node:
    """`not node`, written the way a linter expects: `a != b` rather than
    `not a == b`, `x` rather than `not not x`."""
    if isinstance(node, Not):
        return node.operand
    if isinstance(node, Compare) and len(node.pairs) == 1:
        op, right = node.pairs[0]
        if op in _INVERSE:
            return Compare(node.left, ((_INVERSE[op], right),))
    return Not(node)


def _python(
    node: Node,
    read: Callable[[Reference], str],
    helpers: Helpers,
    value: bool = False,
) -> str:
    """The condition as Python, in the forms ruff's checks ask for (the
    generated code is linted): no `not a == b`, no literal on the left of a
    comparison, `and` inside `or` in parentheses. `value`: the node is
    compared, not only tested for truth (then `not not x` is bool(x), not x)."""
    if isinstance(node, Ref):
        return read(node.value)
    if isinstance(node, Const):
        return py_literal(node.value)
    if isinstance(node, Items):
        items = [py_literal(i.value) for i in node.items]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(node, Not):
        simpler = negated(node.operand)
        if not isinstance(simpler, Not) and not (
            value and isinstance(node.operand, Not)
        ):
            return _python(simpler, read, helpers, value)
        inner = _python(node.operand, read, helpers, value)
        return "not " + wrapped(inner, node.operand, NOT)
    if isinstance(node, Logic):
        # `a and b or c` reads as it runs, but ruff (RUF021) wants `(a and b) or c`
        return f" {node.op} ".join(
            wrapped(_python(o, read, helpers, value), o, AND + 1) for o in node.operands
        )
    return _compare(node, read, helpers)


def _compare(node: Compare, read: Callable[[Reference], str], helpers: Helpers) -> str:
    """Each link of a chain of comparisons, joined by `and` (`a < b < c` reads
    b twice, which is harmless: a reference is a plain read)."""
    parts = []
    left = node.left
    for op, right in node.pairs:
        parts.append(_link(left, op, right, read, helpers))
        left = right
    return " and ".join(parts) if len(parts) > 1 else parts[0]


def _link(
    left: Node,
    op: Op,
    right: Node,
    read: Callable[[Reference], str],
    helpers: Helpers,
) -> str:
    helper = helpers.through(left, op, right)
    yoda = isinstance(left, Const) and not isinstance(right, Const)
    if helper is None and yoda and op in _MIRRORED:  # `x == 1`, not `1 == x`
        left, op, right = right, _MIRRORED[op], left
    a = wrapped(_python(left, read, helpers, True), left, ATOM)
    b = wrapped(_python(right, read, helpers, True), right, ATOM)
    if op in ("==", "!=") and (_is_word(right) or _is_word(left)):
        return f"{a} {'is' if op == '==' else 'is not'} {b}"
    if helper is None:
        return f"{a} {op} {b}"
    if op in ORDERING:
        return f'{helper}({a}, "{op}", {b})'
    test = f"{helper}({a}, {b})"
    return test if op == "in" else f"not {test}"


def _is_word(node: Node) -> bool:
    return isinstance(node, Const) and (
        node.value is None or isinstance(node.value, bool)
    )


def compiled(
    job: Job,
    condition: Condition,
    read_input: Callable[[str], str],
    results: tuple[str, str],
    used: set[str],
) -> str:
    """A condition as an engine's Python: `read_input` gives an input field's
    expression; `results` is the step results' mapping and what the runtime's
    `field_or_none` reads them from (both null-safe); `used` collects the
    runtime helpers it calls (to import them)."""
    mapping, holder = results

    def read(ref: Reference) -> str:
        if isinstance(ref, InputRef):
            return read_input(ref.field)
        if isinstance(ref, ItemRef):  # the element function's parameter
            if ref.field is None:
                return ITEM
            used.add("item_field_or_none")
            return py_call("item_field_or_none", [ITEM, py_str(ref.field)])
        if ref.field is None:
            return f"{mapping}.get({py_str(ref.step)})"
        used.add("field_or_none")
        parts = [holder, py_str(ref.step), py_str(ref.field)]
        return py_call("field_or_none", parts)

    helpers = Helpers(
        "ordered", "contains", lambda a, op, b: kinds.plain(job, a, op, b)
    )
    used.update(calls(condition, helpers))
    return written(condition, read, helpers)
