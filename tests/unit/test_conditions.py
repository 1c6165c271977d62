"""`if:` conditions: parsing, the canonical spelling, the Python rendering and
the refusals (lichc.fileformat.conditions)."""

from __future__ import annotations

import ast
import operator
import warnings
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lichc.fileformat.conditions import (
    HINT,
    MAX_DEPTH,
    MAX_INT,
    MAX_LENGTH,
    Compare,
    Condition,
    ConditionError,
    Const,
    Items,
    Logic,
    Node,
    Not,
    Op,
    Ref,
    Reference,
    parse_condition,
)
from lichc.fileformat.values import InputRef, SpecValueError, StepRef
from lichc.render.conditions import Helpers, written

# -- helpers -------------------------------------------------------------------


def canon(text: str) -> str:
    return str(parse_condition(text))


def read(ref: Reference) -> str:
    return f"R[{str(ref)!r}]"


def never(left: Node, op: Op, right: Node) -> bool:
    return False


def always(left: Node, op: Op, right: Node) -> bool:
    return True


SAFE = Helpers("ordered", "contains", never)
PLAIN = Helpers("ordered", "contains", always)

_CMP: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def ordered(a: Any, op: str, b: Any) -> bool:
    """The runtime helper's contract: null is false, else Python's order
    (a TypeError on values that cannot be compared fails the job)."""
    if a is None or b is None:
        return False
    return _CMP[op](a, b)


def contains(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return False
    return a in b


def python(text: str, helpers: Helpers = SAFE) -> str:
    code = written(parse_condition(text), read, helpers)
    ast.parse(code, mode="eval")  # always valid Python
    return code


def run(code: str, values: dict[str, Any]) -> Any:
    scope = {"R": values, "ordered": ordered, "contains": contains}
    with warnings.catch_warnings():  # no `1 is True`: literals are not compared
        warnings.simplefilter("error")
        compiled = compile(code, "<condition>", "eval")
    return eval(compiled, {"__builtins__": {}}, scope)


def outcome(thunk: Callable[[], Any]) -> bool | type[Exception]:
    try:
        return bool(thunk())
    except TypeError:
        return TypeError


def inp(**values: Any) -> dict[str, Any]:
    return {f"${{input.{name}}}": value for name, value in values.items()}


def unplaced(node: Node) -> Node:
    """The tree without the references' columns (which follow the spacing)."""
    if isinstance(node, Ref):
        return replace(node, column=0)
    if isinstance(node, Not):
        return Not(unplaced(node.operand))
    if isinstance(node, Logic):
        return Logic(node.op, tuple(unplaced(o) for o in node.operands))
    if isinstance(node, Compare):
        pairs = tuple((op, unplaced(right)) for op, right in node.pairs)
        return Compare(unplaced(node.left), pairs)
    return node


def refused(text: Any) -> ConditionError:
    with pytest.raises(ConditionError) as info:
        parse_condition(text)
    error = info.value
    assert isinstance(error, SpecValueError)
    assert error.message.endswith(f"(column {error.column} of the condition)")
    assert 1 <= error.column <= MAX_LENGTH + 1
    return error


# -- accepted conditions and their canonical spelling --------------------------


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("${input.a} == 1", "${input.a} == 1"),
        ("${input.a}==1", "${input.a} == 1"),
        ("   ${input.a}   ==   1   ", "${input.a} == 1"),
        ("${steps.s} != null", "${steps.s} != null"),
        ("${steps.s.f} >= 2.5", "${steps.s.f} >= 2.5"),
        ("${input.a} < ${steps.s.f}", "${input.a} < ${steps.s.f}"),
        ("${input.a}", "${input.a}"),
        ("not ${steps.s}", "not ${steps.s}"),
        ("true", "true"),
        ("${input.a} == false", "${input.a} == false"),
        ("null == ${input.a}", "null == ${input.a}"),
        # parentheses: only where the meaning needs them (or a grouping is kept)
        ("not (${input.a} or ${input.b})", "not (${input.a} or ${input.b})"),
        ("not (${input.a} and ${input.b})", "not (${input.a} and ${input.b})"),
        ("(not ${input.a}) or ${input.b}", "not ${input.a} or ${input.b}"),
        ("not ${input.a} or ${input.b}", "not ${input.a} or ${input.b}"),
        ("not not ${input.a}", "not not ${input.a}"),
        ("not (not ${input.a})", "not not ${input.a}"),
        (
            "(${input.a} or ${input.b}) and ${input.c}",
            "(${input.a} or ${input.b}) and ${input.c}",
        ),
        (
            "${input.a} or (${input.b} and ${input.c})",
            "${input.a} or ${input.b} and ${input.c}",
        ),
        (
            "(${input.a} and ${input.b}) or ${input.c}",
            "${input.a} and ${input.b} or ${input.c}",
        ),
        (
            "${input.a} and ${input.b} and ${input.c}",
            "${input.a} and ${input.b} and ${input.c}",
        ),
        (
            "${input.a} and (${input.b} and ${input.c})",
            "${input.a} and (${input.b} and ${input.c})",
        ),
        (
            "${input.a} or (${input.b} or ${input.c})",
            "${input.a} or (${input.b} or ${input.c})",
        ),
        ("((((${input.a}))))", "${input.a}"),
        ("not ${input.a} == 1", "not ${input.a} == 1"),
        ("(${input.a} < 1) < 2", "(${input.a} < 1) < 2"),
        ("${input.a} == (${input.b} == 1)", "${input.a} == (${input.b} == 1)"),
        ("${input.a} == (not ${input.b})", "${input.a} == (not ${input.b})"),
        ("${input.a} == (${input.b} or 1)", "${input.a} == (${input.b} or 1)"),
        # chains
        ("1 < ${input.x} <= 5", "1 < ${input.x} <= 5"),
        ("1<${input.x}<=5", "1 < ${input.x} <= 5"),
        ("1 < ${input.x} < ${input.y} < 9", "1 < ${input.x} < ${input.y} < 9"),
        ("not 1 < ${input.x} <= 5", "not (1 < ${input.x} <= 5)"),
        ("1 < ${input.x} <= 5 and ${input.y}", "(1 < ${input.x} <= 5) and ${input.y}"),
        ("1 < ${input.x} <= 5 or ${input.y}", "1 < ${input.x} <= 5 or ${input.y}"),
        ("(1 < ${input.x} <= 5) == true", "(1 < ${input.x} <= 5) == true"),
        ("${input.a} == ${input.b} != null", "${input.a} == ${input.b} != null"),
        # lists in `in`
        ("${input.a} in ['a', 'b']", "${input.a} in ['a', 'b']"),
        ("${input.a} in (['a', 'b'])", "${input.a} in ['a', 'b']"),
        ("${input.a} in ['a',]", "${input.a} in ['a']"),
        ("${input.a} in []", "${input.a} in []"),
        ("${input.a} not in ['x']", "${input.a} not in ['x']"),
        (
            "${input.a} in [1, -2, 2.5, 'x', true, false, null]",
            "${input.a} in [1, -2, 2.5, 'x', true, false, null]",
        ),
        ("'b' in ${input.s}", "'b' in ${input.s}"),
        # numbers
        ("${input.a} > -1", "${input.a} > -1"),
        ("${input.a} > - 1", "${input.a} > -1"),
        ("${input.a} == -2.5", "${input.a} == -2.5"),
        ("${input.a} == +3", "${input.a} == 3"),
        ("${input.a} == --3", "${input.a} == 3"),
        ("${input.a} == -(3)", "${input.a} == -3"),
        ("${input.a} == -0.0", "${input.a} == -0.0"),
        ("${input.a} == 1_000", "${input.a} == 1000"),
        ("${input.a} == 0x1F", "${input.a} == 31"),
        ("${input.a} == 1e3", "${input.a} == 1000.0"),
        ("${input.a} == 1.50", "${input.a} == 1.5"),
        ("${input.a} == 1e300", "${input.a} == 1e+300"),
        ("${input.a} == 9007199254740992", "${input.a} == 9007199254740992"),
        ("${input.a} == -9007199254740992", "${input.a} == -9007199254740992"),
        # texts
        ('${input.a} == "x"', "${input.a} == 'x'"),
        ("${input.a} == ''", "${input.a} == ''"),
        ('${input.a} == "it\'s"', "${input.a} == 'it\\'s'"),
        ("${input.a} == 'it\\'s'", "${input.a} == 'it\\'s'"),
        ("${input.a} == 'a\\\\b'", "${input.a} == 'a\\\\b'"),
        ("${input.a} == '\\\\'", "${input.a} == '\\\\'"),
        ("${input.a} == '\\\\\\''", "${input.a} == '\\\\\\''"),
        ("${input.a} == 'say \"hi\"'", "${input.a} == 'say \"hi\"'"),
        ('${input.a} == "say \\"hi\\""', "${input.a} == 'say \"hi\"'"),
        ("${input.a} == '\\u00e9'", "${input.a} == 'é'"),
        ("${input.a} == 'é日本🙂'", "${input.a} == 'é日本🙂'"),
        ("${input.a} == 'a' 'b'", "${input.a} == 'ab'"),
        ("${input.a} == '$'", "${input.a} == '$'"),
        ("${input.a} == '{x}'", "${input.a} == '{x}'"),
        ("${input.a} == 'a'\"b\"", "${input.a} == 'ab'"),
        ("${input.a} == 'a\tb'", "${input.a} == 'a\\tb'"),  # a tab in a text stays
        # in a text, `${...}` and `_lichc` are text
        ("${input.a} == '${input.b}'", "${input.a} == '${input.b}'"),
        ("${input.a} == '${x'", "${input.a} == '${x'"),
        ("${input.a} == '_lichc0'", "${input.a} == '_lichc0'"),
        ('${input.a} == "_lichc0 ${input.b}"', "${input.a} == '_lichc0 ${input.b}'"),
        ("${input.a} == '\\x24{input.b}'", "${input.a} == '${input.b}'"),
        # what is not printable is escaped
        ("${input.a} == '\\n'", "${input.a} == '\\n'"),
        ("${input.a} == '\\t'", "${input.a} == '\\t'"),
        ("${input.a} == '\\x00'", "${input.a} == '\\x00'"),
        ("${input.a} == '\\x1b'", "${input.a} == '\\x1b'"),
        ("${input.a} == '\\u2028'", "${input.a} == '\\u2028'"),
        ("${input.a} == '\\u00a0'", "${input.a} == '\\xa0'"),
        ("${input.a} == '\\U0001f642'", "${input.a} == '🙂'"),
        # folded over lines (YAML `>` or `|`), tabs
        (
            "${input.a} == 1 and\n  ${input.b} != 'x'",
            "${input.a} == 1 and ${input.b} != 'x'",
        ),
        ("\t${input.a}\n==\n1\n", "${input.a} == 1"),
        (
            "(\n  ${input.a} or\n  ${input.b}\n)\nand ${input.c}",
            "(${input.a} or ${input.b}) and ${input.c}",
        ),
    ],
)
def test_canonical(text: str, canonical: str) -> None:
    condition = parse_condition(text)
    assert condition.text == text
    assert str(condition) == canonical
    again = parse_condition(canonical)
    assert str(again) == canonical
    assert unplaced(again.tree) == unplaced(condition.tree)


def test_trees() -> None:
    a, b = InputRef("a"), StepRef("s", "f")
    tree = parse_condition("not ${input.a} == 1 or ${steps.s.f} in ['x']").tree
    assert tree == Logic(
        "or",
        (
            Not(Compare(Ref(a, 5), (("==", Const(1)),))),
            Compare(Ref(b, 24), (("in", Items((Const("x"),))),)),
        ),
    )
    chain = parse_condition("1 < ${steps.s} <= 5").tree
    assert chain == Compare(Const(1), (("<", Ref(StepRef("s"), 5)), ("<=", Const(5))))
    assert parse_condition("${input.a} > -2.5").tree == Compare(
        Ref(a, 1), ((">", Const(-2.5)),)
    )


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("'it\\'s'", "it's"),
        ('"it\'s"', "it's"),
        ("'a\\\\b'", "a\\b"),
        ("'\\\\'", "\\"),
        ("'\"'", '"'),
        ("'\\u00e9\\N{SNOWMAN}'", "é☃"),
        ("'🙂'", "🙂"),
        ("''", ""),
        ("'${input.b}'", "${input.b}"),
        ("'${x'", "${x"),
        ("'_lichc0'", "_lichc0"),
        ("'\\x24{input.b}'", "${input.b}"),
        ("'\\n'", "\n"),
        ("'\\t'", "\t"),
        ("'\\r\\n'", "\r\n"),
        ("'\\x00'", "\x00"),
        ("'\\x1b'", "\x1b"),
        ("'\\x7f\\x85'", "\x7f\x85"),
        ("'\\u2028'", "\u2028"),
        ("'\\u00a0'", "\u00a0"),
        ("'\\ufeff'", "\ufeff"),
        ("'\\\\n'", "\\n"),
    ],
)
def test_text_values_survive_the_round_trip(text: str, value: str) -> None:
    condition = parse_condition(f"${{input.a}} == {text}")
    assert condition.tree == Compare(Ref(InputRef("a"), 1), (("==", Const(value)),))
    assert str(condition).isprintable()
    assert unplaced(parse_condition(str(condition)).tree) == unplaced(condition.tree)


def test_a_condition_passes_through() -> None:
    condition = parse_condition("${input.a}")
    assert parse_condition(condition) is condition
    assert isinstance(condition, Condition)


def test_length_and_depth_limits_are_inclusive() -> None:
    assert canon("1" + " " * (MAX_LENGTH - 1)) == "1"
    assert canon("not " * MAX_DEPTH + "${input.a}").count("not") == MAX_DEPTH
    assert canon("not " * (MAX_DEPTH - 1) + "${input.a} == 1").endswith("== 1")
    assert canon("(" * 150 + "1" + ")" * 150) == "1"  # parentheses are no level
    assert canon(f"${{input.a}} < {MAX_INT}") == f"${{input.a}} < {MAX_INT}"


# -- Python rendering ----------------------------------------------------------

A = "R['${input.a}']"
X = "R['${input.x}']"


@pytest.mark.parametrize(
    ("text", "safe", "plain"),
    [
        ("${input.a} == true", f"{A} is True", f"{A} is True"),
        ("${input.a} != false", f"{A} is not False", f"{A} is not False"),
        ("${input.a} == null", f"{A} is None", f"{A} is None"),
        ("${input.a} != null", f"{A} is not None", f"{A} is not None"),
        # a literal goes on the right (ruff's SIM300)
        ("null == ${input.a}", f"{A} is None", f"{A} is None"),
        ("true != ${input.a}", f"{A} is not True", f"{A} is not True"),
        ("${input.a} == 1", f"{A} == 1", f"{A} == 1"),
        ("${input.a} != 'x'", f'{A} != "x"', f'{A} != "x"'),
        ("${input.a} < 5", f'ordered({A}, "<", 5)', f"{A} < 5"),
        ("${input.a} <= -5", f'ordered({A}, "<=", -5)', f"{A} <= -5"),
        ("${input.a} > 2.5", f'ordered({A}, ">", 2.5)', f"{A} > 2.5"),
        ("${input.a} >= 'm'", f'ordered({A}, ">=", "m")', f'{A} >= "m"'),
        ("${input.a} in ['a']", f'contains({A}, ("a",))', f'{A} in ("a",)'),
        ("${input.a} in []", f"contains({A}, ())", f"{A} in ()"),
        (
            "${input.a} in ['a', 1]",
            f'contains({A}, ("a", 1))',
            f'{A} in ("a", 1)',
        ),
        (
            "${input.a} not in ['a', 'b']",
            f'not contains({A}, ("a", "b"))',
            f'{A} not in ("a", "b")',
        ),
        ("'b' in ${input.a}", f'contains("b", {A})', f'"b" in {A}'),
        (
            "1 < ${input.x} <= 5",
            f'ordered(1, "<", {X}) and ordered({X}, "<=", 5)',
            f"{X} > 1 and {X} <= 5",
        ),
        (
            "not 1 < ${input.x} <= 5",
            f'not (ordered(1, "<", {X}) and ordered({X}, "<=", 5))',
            f"not ({X} > 1 and {X} <= 5)",
        ),
        (  # `and` inside `or` in parentheses (ruff's RUF021)
            "1 < ${input.x} <= 5 or ${input.a}",
            f'(ordered(1, "<", {X}) and ordered({X}, "<=", 5)) or {A}',
            f"({X} > 1 and {X} <= 5) or {A}",
        ),
        (
            "${input.a} and 1 < ${input.x} < 2",
            f'{A} and (ordered(1, "<", {X}) and ordered({X}, "<", 2))',
            f"{A} and ({X} > 1 and {X} < 2)",
        ),
        (
            "${input.a} == ${input.x} == true",
            f"{A} == {X} and {X} is True",
            f"{A} == {X} and {X} is True",
        ),
        (
            "not (${input.a} or ${input.x})",
            f"not ({A} or {X})",
            f"not ({A} or {X})",
        ),
        (
            "(${input.a} or ${input.x}) and true",
            f"({A} or {X}) and True",
            f"({A} or {X}) and True",
        ),
        # `not` of one comparison is the opposite comparison (SIM201, SIM208)
        ("not ${input.a} == true", f"{A} is not True", f"{A} is not True"),
        (
            "(${input.a} < 1) == false",
            f'(ordered({A}, "<", 1)) is False',
            f"({A} < 1) is False",
        ),
        (
            "not ${input.a} not in ['a']",
            f'contains({A}, ("a",))',
            f'{A} in ("a",)',
        ),
        ("${input.a} == 'it\\'s'", f'{A} == "it\'s"', f'{A} == "it\'s"'),
        ("${input.a} == 'say \"hi\"'", f"{A} == 'say \"hi\"'", f"{A} == 'say \"hi\"'"),
        ("${input.a} == 'a\\\\b'", f'{A} == "a\\\\b"', f'{A} == "a\\\\b"'),
        ("${input.a}", A, A),
        ("not ${input.a}", f"not {A}", f"not {A}"),
        ("true", "True", "True"),
        ("null", "None", "None"),
    ],
)
def test_python(text: str, safe: str, plain: str) -> None:
    assert python(text, SAFE) == safe
    assert python(text, PLAIN) == plain


def test_python_names_the_helpers_and_reads_each_reference() -> None:
    seen: list[Reference] = []

    def reader(ref: Reference) -> str:
        seen.append(ref)
        return f"v{len(seen)}"

    condition = parse_condition(
        "${input.a} < 1 and ${steps.s} in ['x'] or ${steps.s.f} not in ${input.b}"
    )
    code = written(condition, reader, Helpers("_ord", "_has", never))
    assert code == ('(_ord(v1, "<", 1) and _has(v2, ("x",))) or not _has(v3, v4)')
    assert seen == [InputRef("a"), StepRef("s"), StepRef("s", "f"), InputRef("b")]


def test_plain_is_asked_about_orderings_and_in_only() -> None:
    asked: list[tuple[Node, Op, Node]] = []

    def plain(left: Node, op: Op, right: Node) -> bool:
        asked.append((left, op, right))
        return op == "<"

    text = (
        "${input.a} == 1 and ${input.a} != null and ${input.a} < 2"
        " and ${input.a} >= 3 and ${input.b} in ['x'] and ${input.b} not in ['y']"
    )
    code = written(parse_condition(text), read, Helpers("ordered", "contains", plain))
    a, b = InputRef("a"), InputRef("b")
    assert [(unplaced(left), op, right) for left, op, right in asked] == [
        (Ref(a, 0), "<", Const(2)),
        (Ref(a, 0), ">=", Const(3)),
        (Ref(b, 0), "in", Items((Const("x"),))),
        (Ref(b, 0), "not in", Items((Const("y"),))),
    ]
    assert [left.column for left, _, _ in asked if isinstance(left, Ref)] == [
        44,
        63,
        83,
        107,
    ]
    assert f"{A} < 2" in code
    assert f'ordered({A}, ">=", 3)' in code
    assert "not contains(" in code


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("${input.a} == true", inp(a=True), True),
        ("${input.a} == true", inp(a=1), False),
        ("${input.a} == true", inp(a=None), False),
        ("${input.a} == false", inp(a=0), False),
        ("${input.a} == false", inp(a=False), True),
        ("${input.a} != null", inp(a=None), False),
        ("${input.a} != null", inp(a=0), True),
        ("${input.a} != null", inp(a=False), True),
        ("${input.a} == null", inp(a=None), True),
        ("${input.a} == 1", inp(a=1.0), True),
        ("${input.a} == 'x'", inp(a="x"), True),
        ("${input.a} == 'x'", inp(a=None), False),
        ("${input.a} == ${input.b}", inp(a=None, b=None), True),
        ("${input.a} == ${input.b}", inp(a="x", b="y"), False),
        ("${input.a} != ${input.b}", inp(a="x", b="y"), True),
        ("${input.a} < 5", inp(a=4), True),
        ("${input.a} < 5", inp(a=5), False),
        ("${input.a} < 5", inp(a=None), False),
        ("${input.a} >= 5", inp(a=None), False),
        ("not ${input.a} >= 5", inp(a=None), True),
        ("${input.a} > -1", inp(a=-0.5), True),
        ("${input.a} > -1", inp(a=-1), False),
        ("${input.a} < 'b'", inp(a="a"), True),
        ("${input.a} < 'b'", inp(a=1), TypeError),
        ("${input.a} < ${input.b}", inp(a=1, b="b"), TypeError),
        ("false and ${input.a} < 'b'", inp(a=1), False),
        ("true or ${input.a} < 'b'", inp(a=1), True),
        ("1 < ${input.x} <= 5", inp(x=1), False),
        ("1 < ${input.x} <= 5", inp(x=2), True),
        ("1 < ${input.x} <= 5", inp(x=5), True),
        ("1 < ${input.x} <= 5", inp(x=5.5), False),
        ("1 < ${input.x} <= 5", inp(x=None), False),
        ("not 1 < ${input.x} <= 5", inp(x=None), True),
        ("not 1 < ${input.x} <= 5", inp(x=3), False),
        ("5 >= ${input.x} > 1 > ${input.y}", inp(x=3, y=0), True),
        ("5 >= ${input.x} > 1 > ${input.y}", inp(x=3, y=1), False),
        ("${input.a} in ['a', 'b']", inp(a="a"), True),
        ("${input.a} in ['a', 'b']", inp(a="c"), False),
        ("${input.a} in ['a', 'b']", inp(a=None), False),
        ("${input.a} in ['a']", inp(a="a"), True),
        ("${input.a} in []", inp(a="a"), False),
        ("${input.a} in [1, 2]", inp(a=2.0), True),
        ("${input.a} not in ['a']", inp(a="a"), False),
        ("${input.a} not in ['a']", inp(a="b"), True),
        ("${input.a} not in ['a']", inp(a=None), True),
        ("'ell' in ${input.s}", inp(s="hello"), True),
        ("'ell' in ${input.s}", inp(s="help"), False),
        ("'ell' in ${input.s}", inp(s=None), False),
        ("'x' in ${input.s}", inp(s=["x", "y"]), True),
        ("'x' not in ${input.s}", inp(s=["y"]), True),
        ("1 in ${input.s}", inp(s="abc"), TypeError),
        ("not ${input.a} or ${input.b}", inp(a=True, b=False), False),
        ("not ${input.a} or ${input.b}", inp(a=False, b=False), True),
        ("not (${input.a} or ${input.b})", inp(a=False, b=True), False),
        ("${input.a} or ${input.b} and ${input.c}", inp(a=1, b=0, c=0), True),
        ("(${input.a} or ${input.b}) and ${input.c}", inp(a=1, b=0, c=0), False),
        ("${input.a} and not ${input.b}", inp(a="x", b=""), True),
        ("${input.a} == (${input.b} < 2)", inp(a=True, b=1), True),
        ("(${input.a} < 2) == false", inp(a=3), True),
        ("(${input.a} < 2) == false", inp(a=None), True),
        ("${input.a} == 'it\\'s'", inp(a="it's"), True),
        ("${input.a} == 'a\\\\b'", inp(a="a\\b"), True),
        ("${input.a} == 'é🙂'", inp(a="é🙂"), True),
        ("${input.a} == '${input.b}'", inp(a="${input.b}", b="x"), True),
        ("${input.a} == '\\n'", inp(a="\n"), True),
        # comparisons other than with true, false and null are Python's
        ("${input.a} == 1", inp(a=True), True),
        ("${input.a} == 0", inp(a=False), True),
        ("${input.a} != 1", inp(a=True), False),
        ("${input.a} in [0, 2]", inp(a=False), True),
        ("${input.a} == ${input.b}", inp(a=True, b=1), True),
        ("${input.a} < 2", inp(a=True), True),
        (
            "${steps.s.f} == 2 and ${steps.s} != null",
            {
                "${steps.s.f}": 2,
                "${steps.s}": {"f": 2},
            },
            True,
        ),
    ],
)
def test_python_means_the_condition(
    text: str, values: dict[str, Any], expected: bool | type[Exception]
) -> None:
    assert outcome(lambda: run(python(text, SAFE), values)) == expected


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("${input.a} < 5", inp(a=4)),
        ("${input.a} < 5", inp(a=5)),
        ("1 < ${input.x} <= 5", inp(x=3)),
        ("not 1 < ${input.x} <= 5 or ${input.y}", inp(x=9, y=0)),
        ("${input.a} in ['a', 'b']", inp(a="b")),
        ("${input.a} not in ['a', 'b']", inp(a="c")),
        ("'ell' in ${input.s}", inp(s="hello")),
        ("${input.a} >= 'b' and ${input.b} < 2.5", inp(a="c", b=2)),
    ],
)
def test_plain_and_safe_agree_on_comparable_values(
    text: str, values: dict[str, Any]
) -> None:
    assert run(python(text, SAFE), values) == run(python(text, PLAIN), values)


# -- the property: random trees ----------------------------------------------

REFS = [InputRef("a"), InputRef("b"), StepRef("s"), StepRef("s", "f")]
ALLOWED_NAMES = {"R", "ordered", "contains", "True", "False", "None"}

texts = st.one_of(
    st.text(alphabet="ab '\"\\é日🙂${}_-\u00a0\n\t\x00\u2028", max_size=8),
    st.sampled_from(["${input.a}", "_lichc0", "_lichc0___", "\\n", "'''"]),
    st.text(max_size=6),
)

consts = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-MAX_INT, max_value=MAX_INT),
    st.floats(min_value=-1e300, max_value=1e300, allow_nan=False),
    texts,
).map(Const)

# values of references; 0, 1, true and false meet (`true == 1` is Python's)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-2, max_value=3),
    st.sampled_from([2.5, -2.5, 1.0, 0.0]),
    st.sampled_from(["", "a", "ab", "b'"]),
)
ref_values = st.one_of(scalars, st.lists(scalars, max_size=3))

ORDER_OPS: list[Op] = ["==", "!=", "<", "<=", ">", ">="]


def literal(node: Node) -> bool:
    return isinstance(node, Const | Items)


def with_a_reference(compare: Compare) -> Compare:
    """The comparison with a reference where two literals would meet (a
    comparison of two literals is refused)."""
    operands = [compare.left, *(right for _, right in compare.pairs)]
    for i in range(1, len(operands)):
        if literal(operands[i - 1]) and literal(operands[i]):
            at = i if isinstance(operands[i], Const) else i - 1
            operands[at] = Ref(REFS[i % len(REFS)], 0)
    ops = [op for op, _ in compare.pairs]
    return Compare(operands[0], tuple(zip(ops, operands[1:], strict=True)))


def trees(leaf_consts: st.SearchStrategy[Const]) -> st.SearchStrategy[Node]:
    refs = st.sampled_from(REFS).map(lambda r: Ref(r, 0))
    leaves: st.SearchStrategy[Node] = st.one_of(refs, leaf_consts)
    items = st.lists(leaf_consts, max_size=3).map(lambda xs: Items(tuple(xs)))

    def extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
        return st.one_of(
            st.builds(Not, children),
            st.builds(
                Logic,
                st.sampled_from(["and", "or"]),
                st.lists(children, min_size=2, max_size=3).map(tuple),
            ),
            st.builds(
                Compare,
                children,
                st.lists(
                    st.tuples(st.sampled_from(ORDER_OPS), children),
                    min_size=1,
                    max_size=3,
                ).map(tuple),
            ).map(with_a_reference),
            st.builds(
                Compare,
                children,
                st.tuples(st.tuples(st.sampled_from(["in", "not in"]), items)),
            ).map(with_a_reference),
        )

    return st.recursive(leaves, extend, max_leaves=6)


def test_with_a_reference() -> None:
    a, b = Ref(REFS[1], 0), Ref(REFS[2], 0)
    assert with_a_reference(
        Compare(Const(1), (("<", Const(2)), ("<", Const(3))))
    ) == Compare(Const(1), (("<", a), ("<", Const(3))))
    assert with_a_reference(Compare(Const(1), (("in", Items(())),))) == Compare(
        a, (("in", Items(())),)
    )
    assert with_a_reference(Compare(b, (("<", Const(2)),))) == Compare(
        b, (("<", Const(2)),)
    )


def height(node: Node) -> int:
    """The depth `_node` counts: Python's tree, where -1 is a sign over 1."""
    if isinstance(node, Const):
        number = node.value
        negative = (
            isinstance(number, int | float)
            and not isinstance(number, bool)
            and str(number).startswith("-")
        )
        return 1 if negative else 0
    if isinstance(node, Items):
        return 1 + max((height(i) for i in node.items), default=0)
    if isinstance(node, Not):
        return 1 + height(node.operand)
    if isinstance(node, Logic):
        return 1 + max(height(o) for o in node.operands)
    if isinstance(node, Compare):
        return 1 + max(height(n) for n in (node.left, *(r for _, r in node.pairs)))
    return 0


def check_python(code: str) -> None:
    tree = ast.parse(code, mode="eval")
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            assert node.id in ALLOWED_NAMES, code
        elif isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name), code
            assert node.func.id in ("ordered", "contains"), code
        elif isinstance(node, ast.Subscript):
            assert isinstance(node.value, ast.Name), code
            assert node.value.id == "R", code
            assert isinstance(node.slice, ast.Constant), code
        else:
            assert not isinstance(
                node, ast.Attribute | ast.Lambda | ast.NamedExpr | ast.BinOp
            ), code
    with warnings.catch_warnings():  # `1 is True` would warn
        warnings.simplefilter("error")
        compile(code, "<condition>", "eval")


@settings(max_examples=100, deadline=None)
@given(trees(consts))
def test_random_trees_round_trip(tree: Node) -> None:
    text = str(Condition("", tree))
    assert text.isprintable()
    if len(text) > MAX_LENGTH:
        assert "longer than" in refused(text).message
        return
    if height(tree) > MAX_DEPTH:
        assert "deeper than" in refused(text).message
        return
    condition = parse_condition(text)
    assert str(condition) == text
    assert unplaced(condition.tree) == tree
    for ref in condition.refs():
        assert text[ref.column - 1 :].startswith(str(ref.value))
    for helpers in (SAFE, PLAIN):
        check_python(written(condition, read, helpers))


def reference(node: Node, values: dict[str, Any]) -> Any:
    """What a condition means, evaluated from the tree: == and != with true,
    false or null test identity, other comparisons are Python's; an ordering
    or `in` with null is false; other mismatches fail (TypeError)."""
    if isinstance(node, Ref):
        return values[str(node.value)]
    if isinstance(node, Const):
        return node.value
    if isinstance(node, Items):
        return [i.value for i in node.items]
    if isinstance(node, Not):
        return not reference(node.operand, values)
    if isinstance(node, Logic):  # the deciding operand's value, as in Python
        value = None
        for operand in node.operands:
            value = reference(operand, values)
            if bool(value) != (node.op == "and"):
                break
        return value
    left = node.left
    for op, right in node.pairs:
        a, b = reference(left, values), reference(right, values)
        if not _holds(a, op, b, identity=_word(left) or _word(right)):
            return False
        left = right
    return True


def _word(node: Node) -> bool:
    return isinstance(node, Const) and (
        node.value is None or isinstance(node.value, bool)
    )


def _holds(a: Any, op: str, b: Any, identity: bool) -> bool:
    if op in ("==", "!="):
        same = a is b if identity else a == b
        return same if op == "==" else not same
    if op in _CMP:
        return a is not None and b is not None and _CMP[op](a, b)
    if a is None or b is None:
        found = False
    elif isinstance(b, str):
        if not isinstance(a, str):
            raise TypeError("in a text, only a text")
        found = a in b
    elif isinstance(b, list):
        found = any(a is item or a == item for item in b)
    else:
        raise TypeError("in needs a list or a text")
    return found if op == "in" else not found


@settings(max_examples=100, deadline=None)
@given(
    trees(scalars.map(Const)),
    st.fixed_dictionaries({str(r): ref_values for r in REFS}),
)
def test_random_trees_mean_what_they_say(tree: Node, values: dict[str, Any]) -> None:
    text = str(Condition("", tree))
    if len(text) > MAX_LENGTH or height(tree) > MAX_DEPTH:
        return
    code = written(parse_condition(text), read, SAFE)
    check_python(code)
    assert outcome(lambda: run(code, values)) == outcome(
        lambda: reference(tree, values)
    ), code


# -- refusals --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fragment", "column"),
    [
        # calls, attributes, dunders
        ("__import__('os')", "a call is not allowed", 1),
        ("open('x')", "a call is not allowed", 1),
        ("${input.a} == open('x')", "a call is not allowed", 15),
        ("(lambda x: x)(1)", "a call is not allowed", 1),
        ("${input.a}.__class__", "an attribute is not allowed", 1),
        ("().__class__.__bases__", "an attribute is not allowed", 1),
        ("'x'.upper", "an attribute is not allowed", 1),
        ("__builtins__", "unknown name '__builtins__'", 1),
        ("${input.a} == __class__", "unknown name '__class__'", 15),
        # other expressions
        ("lambda: 1", "a lambda is not allowed", 1),
        ("${input.a}[0]", "indexing is not allowed", 1),
        ("${input.a}[1:2]", "indexing is not allowed", 1),
        ("[x for x in ${input.a}]", "a comprehension is not allowed", 1),
        ("{x for x in 'a'}", "a comprehension is not allowed", 1),
        ("{x: 1 for x in 'a'}", "a comprehension is not allowed", 1),
        ("(x for x in 'a')", "a comprehension is not allowed", 1),
        ("(x := 1)", "an assignment is not allowed", 2),
        ("${input.a} == (x := 1)", "an assignment is not allowed", 16),
        ("1 if ${input.a} else 2", "an inline if is not allowed", 1),
        ("{1}", "a set is not allowed", 1),
        ("{}", "a mapping is not allowed", 1),
        ("{'a': 1}", "a mapping is not allowed", 1),
        ("${input.a} in [*${input.b}]", "unpacking is not allowed", 16),
        ("await x", "await is not allowed", 1),
        ("(yield)", "yield is not allowed", 2),
        ("${input.a} == (yield ${input.b})", "yield is not allowed", 16),
        ("${input.a} + 1", "arithmetic is not allowed", 1),
        ("${input.a} * 2 > 1", "arithmetic is not allowed", 1),
        ("${input.a} == 10 ** 30", "arithmetic is not allowed", 15),
        ("${input.a} == -(1 + 2)", "arithmetic is not allowed", 17),
        ("-${input.a}", "a sign goes only before a number", 1),
        ("${input.a} == -true", "a sign goes only before a number", 15),
        ("-'a'", "a sign goes only before a number", 1),
        ("~5", "~ is not allowed in a condition", 1),
        ("${input.a} == ~${input.b}", "~ is not allowed in a condition", 15),
        # literals
        ("...", "ellipsis literals are not allowed", 1),
        ("1j", "complex literals are not allowed", 1),
        ("${input.a} in [${input.b}]", "a list holds literals only", 16),
        ("${input.a} in ['a', [1]]", "a list goes only after in or not in", 21),
        ("${input.a} in [-${input.b}]", "a sign goes only before a number", 16),
        # is / is not
        ("${input.a} is None", "use == and !=", 1),
        ("${input.a} is not null", "use == and !=", 1),
        ("${input.a} == 1 and ${input.b} is true", "use == and !=", 21),
        # Python's words for JSON's
        ("True", "write true, not True", 1),
        ("${input.a} == False", "write false, not False", 15),
        ("${input.a} != None", "write null, not None", 15),
        ("${input.a} in [1, None]", "write null, not None", 19),
        # unknown names
        ("foo", "unknown name 'foo'", 1),
        ("${input.a} == bar", "unknown name 'bar'", 15),
        ("${input.a} and TRUE", "unknown name 'TRUE'", 16),
        ("${input.a} == Null", "unknown name 'Null'", 15),
        ("input.a", "an attribute is not allowed", 1),
        # malformed references
        ("${inp.x}", "'${inp.x}' is not a reference", 1),
        ("${input.a} == ${inp.x}", "'${inp.x}' is not a reference", 15),
        ("${input.a.b}", "input references take no field", 1),
        ("${input}", "'${input}' is not a reference", 1),
        ("${steps}", "'${steps}' is not a reference", 1),
        ("${steps.a.b.c}", "is not a reference", 1),
        ("${}", "is not a reference", 1),
        ("${input.1}", "is not a reference", 1),
        ("${ input.a }", "is not a reference", 1),
        ("${input.a", "'${input.a' is not a reference", 1),
        ("1 == ${input.a", "'${input.a' is not a reference", 6),
        ("$input.a", "this is not a condition", None),
        # the placeholder's spelling, outside texts
        ("_lichc0___", "unknown name '_lichc...'", 1),
        ("_lichc0", "unknown name '_lichc...'", 1),
        ("_lichc", "unknown name '_lichc...'", 1),
        ("${input.a} == _lichc0___", "unknown name '_lichc...'", 15),
        ("${input.a} or _lichc1___", "unknown name '_lichc...'", 15),
        ("'x' == _lichc0 or ${input.a}", "unknown name '_lichc...'", 8),
        # prefixes: f-strings, bytes, u, r, and whatever else stands before a quote
        ("f'{${input.a}}'", "a text is written '...', without a prefix", 1),
        ("${input.a} == f'x'", "a text is written '...', without a prefix", 15),
        ("${input.a} == F'x'", "a text is written '...', without a prefix", 15),
        ("b'x'", "a text is written '...', without a prefix", 1),
        ("${input.a} == b'x'", "a text is written '...', without a prefix", 15),
        ("u'x'", "a text is written '...', without a prefix", 1),
        ("${input.a} == u'x'", "a text is written '...', without a prefix", 15),
        ("${input.a} == U'x'", "a text is written '...', without a prefix", 15),
        ("${input.a} == R'x'", "a text is written '...', without a prefix", 15),
        ('${input.a} == r"x"', "a text is written '...', without a prefix", 15),
        ("${input.a} == rb'x'", "a text is written '...', without a prefix", 16),
        ("${input.a} == 1'x'", "a text is written '...', without a prefix", 15),
        ("${input.a} == _'x'", "a text is written '...', without a prefix", 15),
        ("${input.a} == 'x'b'y'", "a text is written '...', without a prefix", 18),
        # outside texts, ASCII only (no look-alikes of names)
        ("é", "'é' may only stand in a quoted text", 1),
        ("${input.a} == é", "'é' may only stand in a quoted text", 15),
        ("'é' == ${input.a} or ü", "'ü' may only stand in a quoted text", 22),
        ("\uff54\uff52\uff55\uff45", "'\uff54' may only stand in a quoted text", 1),
        ("${input.a} or _\uff4cichc0___", "'\uff4c' may only stand in a quoted", 16),
        ("${input.a} \uff1d= 1", "'\uff1d' may only stand in a quoted text", 12),
        # columns are characters, after any text
        ("'é' == foo", "unknown name 'foo'", 8),
        ("'é' == True", "write true, not True", 8),
        ("'日本' == ${input.a}.x", "an attribute is not allowed", 9),
        ("'🙂' == ${input.a} and ${input.b} + 1", "arithmetic is not allowed", 23),
        ("'é' == == 1", "this is not a condition", 8),
        # lists go after in, tuples nowhere
        ("1, 2", "a tuple is not allowed", 1),
        ("${input.a}, ${input.b}", "a tuple is not allowed", 1),
        ("()", "a tuple is not allowed", 1),
        ("${input.a} in ('a', 'b')", "a tuple is not allowed", 15),
        ("${input.a} in (1,)", "a tuple is not allowed", 15),
        ("${input.a} == ()", "a tuple is not allowed", 15),
        ("[1]", "a list goes only after in or not in", 1),
        ("[]", "a list goes only after in or not in", 1),
        ("[*${input.a}]", "a list goes only after in or not in", 1),
        ("${input.a} == [1, 2]", "a list goes only after in or not in", 15),
        ("[1] == ${input.a}", "a list goes only after in or not in", 1),
        ("${input.a} < []", "a list goes only after in or not in", 14),
        ("${input.a} in [[1]]", "a list goes only after in or not in", 16),
        ("${input.a} and [1]", "a list goes only after in or not in", 16),
        ("not []", "a list goes only after in or not in", 5),
        ("[" * 30 + "]" * 30, "a list goes only after in or not in", 1),
        # two literals compared: always the same answer
        ("1 == 1", "a comparison of two literals is always the same", 1),
        ("1 == true", "a comparison of two literals is always the same", 1),
        ("'x' != null", "a comparison of two literals is always the same", 1),
        ("2.5 == false", "a comparison of two literals is always the same", 1),
        ("null == null", "a comparison of two literals is always the same", 1),
        ("-1 < 2", "a comparison of two literals is always the same", 1),
        ("1 in []", "a comparison of two literals is always the same", 1),
        ("'a' not in ['a']", "a comparison of two literals is always the same", 1),
        ("${input.a} == 1 == true", "a comparison of two literals is always", 1),
        ("1 < 2 < ${input.a}", "a comparison of two literals is always the same", 1),
        ("${input.a} in [1] in [2]", "a comparison of two literals is always", 1),
        ("${input.a} in [1] == true", "a comparison of two literals is always", 1),
        ("${input.a} or 'x' == 'y'", "a comparison of two literals is always", 15),
        ("${input.a} == (1 == 2)", "a comparison of two literals is always", 16),
        # Python's warnings are errors
        ("2and ${input.zz}", "this is not a condition", 1),
        ("${input.a} == 1if ${input.b} else 2", "this is not a condition", None),
        ("${input.zz} == '\\q'", "this is not a condition", 16),
        ("'\\d' in ${input.a}", "this is not a condition", 1),
        # not an expression
        ("${input.a} ==", "this is not a condition", None),
        ("== 1", "this is not a condition", 1),
        ("${input.a} = 1", "this is not a condition", None),
        ("${input.a} && ${input.b}", "this is not a condition", None),
        ("${input.a} <> 1", "this is not a condition", None),
        ("${input.a} == 1 # comment", "this is not a condition", None),
        ("'unterminated", "a quoted text is not closed", 1),
        ('${input.a} == "x', "a quoted text is not closed", 15),
        ("${input.a} == 'x\\'", "a quoted text is not closed", 15),
        ("${input.a} == 'x' or '", "a quoted text is not closed", 22),
        ("not", "this is not a condition", None),
        ("1 2", "this is not a condition", None),
        ("@", "this is not a condition", 1),
        ("(", "this is not a condition", 1),
        ("(${input.a}", "this is not a condition", None),
        ("((${input.a}) or ${input.b}", "this is not a condition", None),
        # parentheses that close nothing
        (")", "a ')' closes nothing", 1),
        ("${input.a})", "a ')' closes nothing", 11),
        ("1) and (2", "a ')' closes nothing", 2),
        (") or (1", "a ')' closes nothing", 1),
        ("${input.a}) or (true", "a ')' closes nothing", 11),
        ("(${input.a})) or ((${input.b})", "a ')' closes nothing", 13),
        ("${input.a} == ')' and ${input.b})", "a ')' closes nothing", 33),
        # empty, control characters
        ("", "the condition is empty", 1),
        ("   ", "the condition is empty", 1),
        ("\n\t \n", "the condition is empty", 1),
        ("a\x00", "control character", 2),
        ("${input.a} == \x1b", "control character", 15),
        ("${input.a} ==\x7f1", "control character", 14),
        ("${input.a}\r\n== 1", "control character", 11),
        ("'\x00'", "control character", 2),
        ("'\u2028'", "control character", 2),
        # limits
        ("x" * (MAX_LENGTH + 1), f"longer than {MAX_LENGTH}", MAX_LENGTH + 1),
        ("1" + " " * MAX_LENGTH, f"longer than {MAX_LENGTH}", MAX_LENGTH + 1),
        ("not " * (MAX_DEPTH + 1) + "${input.a}", f"deeper than {MAX_DEPTH}", None),
        ("-" * 400 + "1", f"deeper than {MAX_DEPTH}", None),
        (
            " and ".join(["(not ${input.a}"] * 22) + ")" * 22,
            f"deeper than {MAX_DEPTH}",
            None,
        ),
        ("(" * 200 + "1" + ")" * 200, "this is not a condition", None),
        ("[" * 200 + "1" + "]" * 200, "this is not a condition", None),
        ("(" * 1000 + "1" + ")" * 1000, f"longer than {MAX_LENGTH}", None),
        ("(" * 249 + ")" * 249, "", None),
        # numbers
        ("1" + "0" * 30, f"larger than {MAX_INT}", 1),
        ("${input.a} < 1" + "0" * 30, f"larger than {MAX_INT}", 14),
        (f"${{input.a}} < {MAX_INT + 1}", f"larger than {MAX_INT}", 14),
        (f"${{input.a}} < -{MAX_INT + 1}", f"larger than {MAX_INT}", 15),
        ("${input.a} == 1e999", "too large", 15),
        ("${input.a} == -1e999", "too large", 16),
        ("${input.a} in [1e999]", "too large", 16),
        ("1e301", "too large", 1),
        ("9" * 400, f"larger than {MAX_INT}", 1),
    ],
)
def test_refused(text: str, fragment: str, column: int | None) -> None:
    error = refused(text)
    assert fragment in error.message
    if column is not None:
        assert error.column == column


def test_refusal_hints() -> None:
    assert refused("${input.a} + 1").hint == HINT
    assert refused("foo").hint is not None
    assert "${input.foo}" in str(refused("foo").hint)
    assert "${input.FIELD}" in str(refused("${inp.x}").hint)
    assert "split it" in str(refused("x" * (MAX_LENGTH + 1)).hint)
    assert "53 bits" in str(refused("1" + "0" * 30).hint)
    assert str(refused("True")) == refused("True").message


@pytest.mark.parametrize("value", [1, 1.5, True, ["a"], {"a": 1}, None, b"x"])
def test_not_a_string(value: Any) -> None:
    with pytest.raises(SpecValueError) as info:
        parse_condition(value)
    assert not isinstance(info.value, ConditionError)
    assert info.value.message.startswith("expected a condition (a string), got ")
    assert info.value.hint == HINT


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [*"${}.inputsteab_ ()[]'\"\\=!<>,-0123456789n\n\t\u00e9\uff54", "_lichc0"]
        ),
        max_size=40,
    ).map("".join)
)
def test_any_text_parses_or_is_refused_cleanly(text: str) -> None:
    try:
        with warnings.catch_warnings():  # none reaches the user
            warnings.simplefilter("error")
            condition = parse_condition(text)
    except ConditionError as error:
        column, message = error.column, error.message
    else:
        check_python(written(condition, read, SAFE))
        again = parse_condition(str(condition))
        assert unplaced(again.tree) == unplaced(condition.tree)
        for ref in condition.refs():
            assert text[ref.column - 1 :].startswith(str(ref.value))
        return
    assert 1 <= column <= max(len(text), 1)
    # no placeholder leaks: any `_lichc` in the message is one the text quoted
    leaked = message.replace("'_lichc...'", "").count("_lichc")
    assert leaked <= text.count("_lichc")


# -- references and their columns ----------------------------------------------


def test_refs_and_their_columns() -> None:
    text = "${input.a} == 1 and ${steps.b.c} in ['x'] or not ${steps.d}"
    found = [(r.value, r.column) for r in parse_condition(text).refs()]
    assert found == [
        (InputRef("a"), 1),
        (StepRef("b", "c"), 21),
        (StepRef("d"), 50),
    ]
    for ref, column in found:
        assert text[column - 1 :].startswith(str(ref))


@pytest.mark.parametrize(
    "text",
    [
        "${input.a}",
        "  ${input.a} < ${input.b} <= ${steps.s.f}",
        "${input.a} == ${input.a} or ${input.a}",
        "not (${steps.s} or\n    ${steps.t.u})\tand ${input.x} in ['$', '{']",
        "'é日🙂' == ${input.a} and ${input.b}",
        "${input.a} in [1, 2] and (((${steps.s} != null)))",
        "true",
        "not ('x' in ${input.a})",
    ],
)
def test_refs_point_at_the_text(text: str) -> None:
    refs = list(parse_condition(text).refs())
    assert [text[r.column - 1 :].startswith(str(r.value)) for r in refs] == [
        True
    ] * len(refs)
    assert len(refs) == text.count("${input.") + text.count("${steps.")


def test_refs_of_a_chain_count_each_operand_once() -> None:
    refs = list(parse_condition("1 < ${input.x} < ${input.y}").refs())
    assert [(str(r.value), r.column) for r in refs] == [
        ("${input.x}", 5),
        ("${input.y}", 18),
    ]
    assert [r.column for r in parse_condition("${input.a} in []").refs()] == [1]


def test_refs_inside_texts_are_text() -> None:
    condition = parse_condition("'${input.b}' in ${input.a} or ${input.c} == '${x}'")
    assert [(str(r.value), r.column) for r in condition.refs()] == [
        ("${input.a}", 17),
        ("${input.c}", 31),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "${input.a}${input.b}",
        "${input.a}and${input.b}",
        "${input.a} ${input.b}",
        "${input.a} == _lichc0",
        "${input.a}.x",
        "${input.a}()",
    ],
)
def test_placeholders_stay_out_of_messages(text: str) -> None:
    message = refused(text).message
    assert "_lichc" not in message.replace("'_lichc...'", "")


# -- what is documented, not a bug -----------------------------------------------


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("${input.a} == 1", inp(a=True)),
        ("${input.a} == 0", inp(a=False)),
        ("${input.a} in [0, 2]", inp(a=False)),
        ("${input.a} == ${input.b}", inp(a=True, b=1)),
    ],
)
def test_true_equals_one_when_compared_with_a_number(
    text: str, values: dict[str, Any]
) -> None:
    """Comparisons other than with true, false and null are Python's (the
    module's docstring): a JSON true equals 1; `== true` does not."""
    assert run(python(text), values) is True
    assert run(python("${input.a} == true", SAFE), inp(a=1)) is False


# -- known bugs (xfail, strict) ------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "${input.a} == '''x' ${input.b} 'y'''",
        '${input.a} == """x" ${input.b} "y"""',
    ],
)
def test_triple_quoted_texts_are_refused(text: str) -> None:
    assert "not in triple quotes" in refused(text).message


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("${input.a} in ['é', ${input.b}]", 21),
        ("'日本' == ${input.a} in [1, ${input.b}]", 27),
    ],
)
def test_list_item_columns_after_non_ascii(text: str, column: int) -> None:
    error = refused(text)
    assert "a list holds literals only" in error.message
    assert error.column == column
