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


def python(node: Node, read: Callable[[Reference], str], helpers: Helpers) -> str:
    from lichc.render.pysource import py_literal

    if isinstance(node, Ref):
        return read(node.value)
    if isinstance(node, Const):
        return py_literal(node.value)
    if isinstance(node, Items):
        items = [py_literal(i.value) for i in node.items]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(node, Not):
        return "not " + _wrapped(
            python(node.operand, read, helpers), node.operand, _NOT
        )
    if isinstance(node, Logic):
        least = _AND + 1 if node.op == "and" else _AND
        return f" {node.op} ".join(
            _wrapped(python(o, read, helpers), o, least) for o in node.operands
        )
    return _compare(node, read, helpers)


def _compare(node: Compare, read: Callable[[Reference], str], helpers: Helpers) -> str:
    """Each link of a chain of comparisons, joined by `and` (`a < b < c` reads
    b twice, which is harmless: a reference is a plain read)."""
    parts = []
    left = node.left
    for op, right in node.pairs:
        a = _wrapped(python(left, read, helpers), left, _ATOM)
        b = _wrapped(python(right, read, helpers), right, _ATOM)
        helper = helpers.through(left, op, right)
        if op in ("==", "!=") and (_is_word(right) or _is_word(left)):
            word = "is" if op == "==" else "is not"
            parts.append(f"{a} {word} {b}")
        elif helper is None:
            parts.append(f"{a} {op} {b}")
        elif op in ORDERING:
            parts.append(f'{helper}({a}, "{op}", {b})')
        else:
            test = f"{helper}({a}, {b})"
            parts.append(test if op == "in" else f"not {test}")
        left = right
    return " and ".join(parts) if len(parts) > 1 else parts[0]


def _is_word(node: Node) -> bool:
    return isinstance(node, Const) and (
        node.value is None or isinstance(node.value, bool)
    )
