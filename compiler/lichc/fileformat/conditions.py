"""`if:` conditions, a small expression language parsed at build time.

A condition is parsed once, here, into a tree of the few nodes the language
has (references, literals, comparisons, `not`, `and`, `or`); the generated code
is written from that tree by each engine, never from the text, and nothing is
evaluated from a string at run time. A small scan first swaps each `${...}`
outside quoted texts for a placeholder name padded to the same length (so
columns stay true) and refuses what only quoted texts may hold (non-ASCII,
string prefixes); Python's own parser then reads the text, with warnings as
errors, and every node is checked against a short whitelist.

Comparisons with `true`, `false` and `null` test identity (`is`): `1 == true`
is false, a missing value is not `false`. Other comparisons are Python's
(`1 == 1.0`; a JSON `true` equals `1` when compared with the number). An
ordering comparison (`<`...) or `in` whose operands are not both known to fit
reads null as false and fails the job, unretried, on values that cannot be
compared (the engines' runtime helpers `ordered` and `contains`). Comparing
two literals is refused: its answer never changes.
"""

from __future__ import annotations

import ast
import itertools
import math
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from lichc.fileformat.values import (
    InputRef,
    ItemRef,
    Reference,
    SpecValueError,
    StepRef,
    match_ref,
    show_value,
)

MAX_LENGTH = 500  # characters of a condition
MAX_DEPTH = 20  # nested operators and parentheses
MAX_INT = 2**53  # exact in JSON (and in JavaScript clients)

HINT = (
    "a condition compares references (${input.X}, ${steps.Y}, ${steps.Y.F}) and "
    "literals (numbers, 'text', true, false, null) with == != < <= > >= in, "
    "joined by not, and, or and parentheses"
)

Op = Literal["==", "!=", "<", "<=", ">", ">=", "in", "not in"]
ORDERING: frozenset[str] = frozenset({"<", "<=", ">", ">="})
_OPS: dict[type[ast.cmpop], Op] = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
}
_WORDS = {"true": True, "false": False, "null": None}
_FORBIDDEN = {
    ast.Call: "a call",
    ast.Attribute: "an attribute",
    ast.Subscript: "indexing",
    ast.Lambda: "a lambda",
    ast.IfExp: "an inline if",
    ast.NamedExpr: "an assignment",
    ast.BinOp: "arithmetic",
    ast.JoinedStr: "an f-string",
    ast.Dict: "a mapping",
    ast.Set: "a set",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a comprehension",
    ast.Await: "await",
    ast.Starred: "unpacking",
    ast.Slice: "a slice",
    ast.Tuple: "a tuple",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}


@dataclass(frozen=True, slots=True)
class Ref:
    value: Reference
    column: int  # 1-based, in the condition's text


@dataclass(frozen=True, slots=True)
class Const:
    value: bool | int | float | str | None


@dataclass(frozen=True, slots=True)
class Items:
    """A list literal, the right side of `in`."""

    items: tuple[Const, ...]


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node


@dataclass(frozen=True, slots=True)
class Logic:
    op: Literal["and", "or"]
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Compare:
    left: Node
    pairs: tuple[tuple[Op, Node], ...]  # a < b <= c: (("<", b), ("<=", c))


Node = Ref | Const | Items | Not | Logic | Compare


class ConditionError(SpecValueError):
    """A condition that does not parse, located at a column of its text."""

    def __init__(self, message: str, column: int, hint: str | None = HINT) -> None:
        super().__init__(f"{message} (column {column} of the condition)", hint)
        self.column = column


@dataclass(frozen=True, slots=True)
class Condition:
    text: str  # as written in jobs.yaml
    tree: Node

    def refs(self) -> Iterator[Ref]:
        return _refs(self.tree)

    def __str__(self) -> str:
        """The condition in one canonical spelling (the version record's)."""
        from lichc.fileformat.condition_text import canonical

        return canonical(self.tree)


def parse_condition(value: Any) -> Condition:
    if isinstance(value, Condition):
        return value
    if not isinstance(value, str):
        raise SpecValueError(
            f"expected a condition (a string), got {show_value(value)}", HINT
        )
    return _parse(value)


@cache
def _parse(text: str) -> Condition:
    if len(text) > MAX_LENGTH:
        raise ConditionError(
            f"the condition is {len(text)} characters long, longer than {MAX_LENGTH}",
            MAX_LENGTH + 1,
            "split it: a step can end the job early, and conditions can be kept short",
        )
    if not text.strip():
        raise ConditionError("the condition is empty", 1)
    for i, ch in enumerate(text):
        if not ch.isprintable() and ch not in "\n\t":
            raise ConditionError("the condition holds a control character", i + 1, None)
    # a condition folded over lines in YAML is one line; columns stay true
    source, refs = _substitute(text)
    wrapped = f"({source})"  # leading spaces are not an indent
    try:
        with warnings.catch_warnings():
            # `1and x`, `'\\d'`: Python only warns; here they are errors
            warnings.simplefilter("error")
            tree = ast.parse(wrapped, mode="eval")
    except (SyntaxError, MemoryError, RecursionError, ValueError, Warning) as error:
        column = max(1, (getattr(error, "offset", None) or 2) - 1)
        raise ConditionError(
            "this is not a condition", min(column, len(text))
        ) from None
    return Condition(text, _node(tree.body, wrapped, refs, 0))


def _substitute(text: str) -> tuple[str, dict[str, Ref]]:
    """`${...}` outside quoted texts swapped for names padded with spaces to
    the same length (columns stay true); what only quoted texts may hold is
    checked on the way: ASCII, balanced parentheses, no string prefixes, no
    name spelled like a placeholder."""
    refs: dict[str, Ref] = {}
    out: list[str] = []
    depth = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in "'\"":
            if text.startswith(ch * 3, i):
                raise ConditionError(
                    "a text is written '...', not in triple quotes", i + 1
                )
            if i and (text[i - 1].isalnum() or text[i - 1] == "_"):
                raise ConditionError("a text is written '...', without a prefix", i)
            end = _string_end(text, i)
            out.append(text[i:end])
            i = end
            continue
        if text.startswith("${", i):
            end = text.find("}", i)
            written = text[i : end + 1] if end != -1 else text[i:]
            placeholder = f"_lichc{len(refs)}"
            refs[placeholder] = Ref(_reference(written, i + 1), i + 1)
            out.append(placeholder.ljust(len(written)))
            i += len(written)
            continue
        if not ch.isascii():
            raise ConditionError(f"'{ch}' may only stand in a quoted text", i + 1, None)
        if text.startswith("_lichc", i):
            raise ConditionError("unknown name '_lichc...'", i + 1)
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            raise ConditionError("a ')' closes nothing", i + 1, None)
        out.append(" " if ch in "\n\t" else ch)  # folded over lines in YAML
        i += 1
    return "".join(out), refs


def _string_end(text: str, start: int) -> int:
    """Where the quoted text opened at `start` ends (after its quote)."""
    quote, i = text[start], start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
        elif text[i] == quote:
            return i + 1
        else:
            i += 1
    raise ConditionError("a quoted text is not closed", start + 1, None)


def _reference(written: str, column: int) -> Reference:
    whole = match_ref(written)
    if whole is None:
        raise ConditionError(
            f"'{written}' is not a reference",
            column,
            "a reference is ${input.FIELD}, ${steps.NAME} or ${steps.NAME.FIELD}",
        )
    kind, name, field = whole
    if kind == "input" and field is not None:
        raise ConditionError(
            f"'{written}': input references take no field", column, None
        )
    if kind == "item":
        return ItemRef(field)
    return InputRef(name) if kind == "input" else StepRef(name, field)


def _node(node: ast.expr, text: str, refs: dict[str, Ref], depth: int) -> Node:
    # offsets count UTF-8 bytes of the source, which sits in parentheses:
    # its n-th character is the condition's column n
    column = _column(node, text)
    if depth > MAX_DEPTH:
        raise ConditionError(
            f"the condition nests deeper than {MAX_DEPTH} levels", column, None
        )
    deeper = depth + 1
    if isinstance(node, ast.BoolOp):
        op: Literal["and", "or"] = "and" if isinstance(node.op, ast.And) else "or"
        operands = tuple(_node(v, text, refs, deeper) for v in node.values)
        return Logic(op, operands)
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.Not):
            return Not(_node(node.operand, text, refs, deeper))
        if isinstance(node.op, ast.USub | ast.UAdd):
            inner = _node(node.operand, text, refs, deeper)
            number = inner.value if isinstance(inner, Const) else None
            if isinstance(number, int | float) and not isinstance(number, bool):
                return Const(-number if isinstance(node.op, ast.USub) else number)
        if isinstance(node.op, ast.Invert):
            raise ConditionError("~ is not allowed in a condition", column)
        raise ConditionError("a sign goes only before a number", column)
    if isinstance(node, ast.Compare):
        left = _node(node.left, text, refs, deeper)
        pairs: list[tuple[Op, Node]] = []
        for cmp, right in zip(node.ops, node.comparators, strict=True):
            if type(cmp) not in _OPS:
                raise ConditionError(
                    "use == and != (is is not part of conditions)", column
                )
            compare_op = _OPS[type(cmp)]
            if isinstance(right, ast.List) and compare_op in ("in", "not in"):
                value: Node = _items(right, text, refs, deeper)
            else:
                value = _node(right, text, refs, deeper)
            pairs.append((compare_op, value))
        chain = [left, *(value for _, value in pairs)]
        for a, b in itertools.pairwise(chain):
            if isinstance(a, Const | Items) and isinstance(b, Const | Items):
                raise ConditionError(
                    "a comparison of two literals is always the same", column
                )
        return Compare(left, tuple(pairs))
    if isinstance(node, ast.Name):
        if node.id in refs:
            return refs[node.id]
        if node.id in _WORDS:
            return Const(_WORDS[node.id])
        raise ConditionError(
            f"unknown name '{node.id}'",
            column,
            f"write a reference (${{input.{node.id}}}, ${{steps.{node.id}}}) or a "
            "quoted text ('...'); true, false and null are the only words",
        )
    if isinstance(node, ast.Constant):
        return _constant(node, text, column)
    if isinstance(node, ast.List):
        raise ConditionError("a list goes only after in or not in", column)
    what = next(
        (name for kind, name in _FORBIDDEN.items() if isinstance(node, kind)),
        type(node).__name__,
    )
    raise ConditionError(f"{what} is not allowed in a condition", column)


def _column(node: ast.expr, text: str) -> int:
    """The condition's column of `node`: ast counts UTF-8 bytes of the source,
    which sits in parentheses, so its n-th character is column n."""
    before = text.encode("utf-8")[: node.col_offset].decode("utf-8", "ignore")
    return max(1, len(before))


def _items(node: ast.List, text: str, refs: dict[str, Ref], depth: int) -> Items:
    items = []
    for item in node.elts:
        value = _node(item, text, refs, depth)
        if not isinstance(value, Const):
            raise ConditionError("a list holds literals only", _column(item, text))
        items.append(value)
    return Items(tuple(items))


def _constant(node: ast.Constant, text: str, column: int) -> Const:
    value = node.value
    if isinstance(value, bool) or value is None:
        spelled = re.match(r"\w*", text[column:])
        word = {True: "true", False: "false", None: "null"}[value]
        raise ConditionError(
            f"write {word}, not {spelled[0] if spelled else value}", column, None
        )
    if isinstance(value, int):
        if abs(value) > MAX_INT:
            raise ConditionError(
                f"the number is larger than {MAX_INT}", column, "JSON keeps 53 bits"
            )
        return Const(value)
    if isinstance(value, float):
        if not math.isfinite(value) or abs(value) > 1e300:
            raise ConditionError("the number is too large", column, None)
        return Const(value)
    if isinstance(value, str):
        if node.kind is not None:  # u'...'
            raise ConditionError("a text is written '...', without a prefix", column)
        return Const(value)
    raise ConditionError(
        f"{type(value).__name__} literals are not allowed in a condition", column
    )


def _refs(node: Node) -> Iterator[Ref]:
    if isinstance(node, Ref):
        yield node
    elif isinstance(node, Not):
        yield from _refs(node.operand)
    elif isinstance(node, Logic):
        for operand in node.operands:
            yield from _refs(operand)
    elif isinstance(node, Compare):
        yield from _refs(node.left)
        for _, right in node.pairs:
            yield from _refs(right)


def compares(node: Node) -> Iterator[Compare]:
    if isinstance(node, Compare):
        yield node
        yield from compares(node.left)
        for _, right in node.pairs:
            yield from compares(right)
    elif isinstance(node, Not):
        yield from compares(node.operand)
    elif isinstance(node, Logic):
        for operand in node.operands:
            yield from compares(operand)


def reads_item(condition: Condition) -> bool:
    """Whether a condition reads `${item}`: on a for_each step it is then
    checked per element."""
    return any(isinstance(r.value, ItemRef) for r in condition.refs())
