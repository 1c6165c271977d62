"""Conditions written back in their one canonical spelling (the version
record's, error messages', `lichc graph`'s), from the parsed tree
(lichc.fileformat.conditions). The Python the engines generate from the same
tree is written by lichc.render.conditions, with the same precedence."""

from __future__ import annotations

from lichc.fileformat.conditions import (
    Compare,
    Const,
    Items,
    Logic,
    Node,
    Not,
    Ref,
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
OR, AND, NOT, COMPARE, ATOM = range(5)


def level(node: Node) -> int:
    if isinstance(node, Logic):
        return OR if node.op == "or" else AND
    if isinstance(node, Not):
        return NOT
    if isinstance(node, Compare):
        return AND if len(node.pairs) > 1 else COMPARE
    return ATOM


def wrapped(text: str, node: Node, least: int) -> str:
    return text if level(node) >= least else f"({text})"


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
        return "not " + wrapped(canonical(node.operand), node.operand, NOT)
    if isinstance(node, Logic):
        least = AND + 1 if node.op == "and" else AND
        return f" {node.op} ".join(
            wrapped(canonical(o), o, least) for o in node.operands
        )
    return wrapped(canonical(node.left), node.left, ATOM) + "".join(
        f" {op} {wrapped(canonical(right), right, ATOM)}" for op, right in node.pairs
    )
