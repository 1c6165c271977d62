"""Conditions written back as text: in their one canonical spelling (the
version record's, `lichc graph`'s) and as the Python the engines generate,
both from the parsed tree (lichc.fileformat.conditions), never the text."""

from __future__ import annotations

from collections.abc import Callable

from lichc.fileformat.conditions import (
    ORDERING,
    Compare,
    Const,
    Helpers,
    Items,
    Logic,
    Node,
    Not,
    Op,
    Ref,
    Reference,
)


def _literal(value: bool | int | float | str | None) -> str:
    if value is None or isinstance(value, bool):
        return {True: "true", False: "false", None: "null"}[value]
    if isinstance(value, str):
        # what is not printable escaped: the text reads back the same
        body = "".join(_escaped(ch) for ch in value)
        return f"'{body}'"
    return repr(value)


# operator precedence, lowest first: an operand binding less tightly than its
# operator needs parentheses (`not (a or b)`, `(a or b) and c`)
_OR, _AND, _NOT, _COMPARE, _ATOM = range(5)


def _level(node: Node) -> int:
    if isinstance(node, Logic):
        return _OR if node.op == "or" else _AND
    if isinstance(node, Not):
        return _NOT
    if isinstance(node, Compare):
        return _AND if len(node.pairs) > 1 else _COMPARE
    return _ATOM


def _wrapped(text: str, node: Node, least: int) -> str:
    return text if _level(node) >= least else f"({text})"


def _escaped(ch: str) -> str:
    if ch in "\\'":
        return "\\" + ch
    return ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii")


def canonical(node: Node) -> str:
    if isinstance(node, Ref):
        return str(node.value)
    if isinstance(node, Const):
        return _literal(node.value)
    if isinstance(node, Items):
        return "[" + ", ".join(_literal(i.value) for i in node.items) + "]"
    if isinstance(node, Not):
        return "not " + _wrapped(canonical(node.operand), node.operand, _NOT)
    if isinstance(node, Logic):
        least = _AND + 1 if node.op == "and" else _AND
        return f" {node.op} ".join(
            _wrapped(canonical(o), o, least) for o in node.operands
        )
    return _wrapped(canonical(node.left), node.left, _ATOM) + "".join(
        f" {op} {_wrapped(canonical(right), right, _ATOM)}" for op, right in node.pairs
    )


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


def python(node: Node, read: Callable[[Reference], str], helpers: Helpers) -> str:
    """The condition as Python, in the forms ruff's checks ask for (the
    generated code is linted): no `not a == b`, no literal on the left of a
    comparison, `and` inside `or` in parentheses."""
    from lichc.render.pysource import py_literal

    if isinstance(node, Ref):
        return read(node.value)
    if isinstance(node, Const):
        return py_literal(node.value)
    if isinstance(node, Items):
        items = [py_literal(i.value) for i in node.items]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(node, Not):
        simpler = negated(node.operand)
        if not isinstance(simpler, Not):
            return python(simpler, read, helpers)
        return "not " + _wrapped(
            python(node.operand, read, helpers), node.operand, _NOT
        )
    if isinstance(node, Logic):
        # `a and b or c` reads as it runs, but ruff (RUF021) wants `(a and b) or c`
        return f" {node.op} ".join(
            _wrapped(python(o, read, helpers), o, _AND + 1) for o in node.operands
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
    a = _wrapped(python(left, read, helpers), left, _ATOM)
    b = _wrapped(python(right, read, helpers), right, _ATOM)
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
