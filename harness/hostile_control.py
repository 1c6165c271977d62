"""Hostile `if:` conditions and `end` steps, as Hypothesis strategies.

The control-flow pieces of harness/hostile_specs.py. A condition compares an
input field of type str (and now and then an earlier step's result) with
quoted text literals that hold hostile strings, written with backslash
escapes: `\\` and the quote character escaped, every non-printable character
as a Python escape (`\\x00`, `\\n`, `\\u2028`, `\\U0010fffd`, `\\N{...}`),
since a condition refuses raw control characters. An `end` step's result is
a hostile literal or a mapping of them, its `fail` message hostile text
around `${input.f}`. Broken conditions (a call, an attribute, a lambda, an
unknown name, an f-string, unbalanced parentheses...) are the invalid draws.
"""

from __future__ import annotations

import ast
import re
import unicodedata
from typing import Any

from hypothesis import strategies as st

from harness.hostile_values import CANARY, hostile_text

MAX_CONDITION = 500  # characters, as lichc.fileformat.conditions allows
MAX_MESSAGE = 2000

# a quoted text of a condition, as written: what the checks read back
QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", re.DOTALL)

_STYLES = ["short", "long", "named", "ascii"]


def _escape(ch: str, style: str) -> str:
    code = ord(ch)
    if style == "named":
        name = unicodedata.name(ch, "")
        if name:
            return "\\N{" + name + "}"
    if style == "short" and ch in "\n\r\t":
        return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}[ch]
    if style == "long":
        return f"\\U{code:08x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def quoted(value: str, quote: str, style: str) -> str:
    """`value` as a quoted text literal of a condition (a Python string literal
    Python reads back as exactly `value`)."""
    body = []
    for ch in value:
        if ch == "\\" or ch == quote:
            body.append("\\" + ch)
        elif not ch.isprintable() or (style == "ascii" and not ch.isascii()):
            body.append(_escape(ch, style))
        else:
            body.append(ch)
    written = quote + "".join(body) + quote
    assert ast.literal_eval(written) == value, (value, written)
    return written


def _shorter(value: str) -> str:
    """A shorter hostile value, still with CANARY in it."""
    if len(value) <= 2 * len(CANARY):
        return CANARY
    return value[: len(value) // 2] + CANARY


@st.composite
def _literal_writer(draw: st.DrawFn) -> tuple[str, str]:
    return draw(st.sampled_from("'\"")), draw(st.sampled_from(_STYLES))


# Conditions whose generated code ruff's lint once refused (lichc now writes
# `x == 'a'` for a Yoda comparison, the opposite comparison for `not` of one,
# parentheses around `and` inside `or`): tests/test_injection.py lints them.
LINT_FORMS = {
    # Yoda comparison, written as is (SIM300), on both engines
    "yoda": "'x' == ${input.f}",
    # `not a == b` (SIM201), on both engines
    "not equal": "not (${input.f} == 'x')",
    # `a and b or c` without parentheses (RUF021), even when written with them
    "and or": "(${input.f} == 'x' and ${input.f} != 'y') or ${input.f} == 'z'",
    # a Celery step skipped unless one comparison holds: `if not (a == b)`
    # (SIM201), `not (a != b)` (SIM202), `not (not contains(...))` (SIM208)
    "celery ==": "${input.f} == 'x'",
    "celery !=": "${input.f} != 'x'",
    "celery not in": "${input.f} not in ['x', 'y']",
}
_SHAPES = [
    ("{r} == {0}", 1),
    ("{r} != {0}", 1),
    ("{r} in [{0}]", 1),
    ("{r} in [{0}, {1}]", 2),
    ("{r} not in [{0}, {1}]", 2),
    ("not ({r} in [{0}, {1}])", 2),
    ("({r} != {0})", 1),
    ("{0} == {r}", 1),  # Yoda
    ("not ({r} == {0})", 1),
]


@st.composite
def condition(
    draw: st.DrawFn, field: str, earlier: list[str], *, negated: bool = False
) -> str:
    """A condition on `${input.<field>}` (type str) with hostile quoted texts:
    comparisons all joined by `and` or all by `or` (mixed: LINT_FORMS),
    short enough for lichc (500 characters).
    `negated`: the generated code tests `not (condition)` (a Celery step that
    is skipped unless it holds), so one comparison alone is only `in`."""
    ref = "${input." + field + "}"
    shapes: list[tuple[str, int]] = draw(
        st.lists(st.sampled_from(_SHAPES), min_size=1, max_size=3)
    )
    if (
        negated
        and len(shapes) == 1
        and shapes[0][0] not in ("{r} in [{0}]", "{r} in [{0}, {1}]")
    ):
        shapes.append(draw(st.sampled_from(_SHAPES)))
    join = draw(st.sampled_from([" and ", " or "]))
    joins = [join for _ in shapes[1:]]
    values = [[draw(hostile_text()) for _ in range(n)] for _, n in shapes]
    writers = [[draw(_literal_writer()) for _ in range(n)] for _, n in shapes]
    extra = ""
    if draw(st.integers(0, 2)) == 0 and earlier:
        step = draw(st.sampled_from(earlier))
        tail = draw(st.sampled_from(["", ".id", ".by"]))
        extra = join + "${steps." + step + tail + "} != null"

    def written() -> str:
        parts = []
        for (shape, _), texts, how in zip(shapes, values, writers, strict=True):
            literals = [quoted(t, q, s) for t, (q, s) in zip(texts, how, strict=True)]
            parts.append(shape.format(*literals, r=ref))
        text = parts[0] + "".join(j + p for j, p in zip(joins, parts[1:], strict=True))
        return text + extra

    text = written()
    while len(text) > MAX_CONDITION:
        values = [[_shorter(t) for t in texts] for texts in values]
        text = written()
    return text


def _clean(text: str) -> str:
    """Hostile text that holds no `${` (a reference only stands whole)."""
    return text.replace("${", "$ {")


@st.composite
def end_step(draw: st.DrawFn, name: str, field: str, earlier: list[str]) -> Any:
    """An end step (without its `if`): a hostile result, or a failure whose
    message puts hostile text around references."""
    clean = hostile_text().map(_clean)
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return {"name": name, "end": {"result": draw(clean)}}
    if kind == 1:
        mapping = draw(st.dictionaries(clean, clean, min_size=1, max_size=3))
        if draw(st.booleans()):
            mapping[draw(clean)] = "${input." + field + "}"
        return {"name": name, "end": {"result": mapping}}
    refs = ["${input." + field + "}"]
    if draw(st.booleans()) and earlier:
        refs.append("${steps." + draw(st.sampled_from(earlier)) + "}")
    pieces = [_clean(draw(hostile_text())) for _ in range(len(refs) + 1)]
    pieces = [p if len(p) <= 600 else p[:591] + CANARY for p in pieces]
    if draw(st.booleans()):
        pieces[-1] = ""  # the message ends with a reference
    message = pieces[0] + "".join(r + p for r, p in zip(refs, pieces[1:], strict=True))
    assert len(message) <= MAX_MESSAGE
    return {"name": name, "end": {"fail": message}}


# -- broken conditions -------------------------------------------------------------

BROKEN = [
    "__import__('os').system({q}) == ${{input.f}}",
    "__import__({q})",
    "exec({q}) == 1",
    "${{input.f}}.upper() == {q}",
    "${{input.f}}.__class__ == {q}",
    "().__class__.__bases__ == {q}",
    "(lambda: {q}) == ${{input.f}}",
    "lambda x: {q}",
    "os == {q}",
    "${{input.f}} == {q} or open",
    "f{q} == ${{input.f}}",
    "f'{{__import__(\"os\")}}' == {q}",
    "(${{input.f}} == {q}",
    "${{input.f}} == {q})",
    "((${{input.f}} == {q}) or (${{input.f}} != 'x')",
    "${{input.f}} == {q} and",
    "${{input.f}} is {q}",
    "${{input.f}} == {q}[0]",
    "${{input.f}} == {q} + 'x'",
    "${{input.f}} == ({q}, 1)",
    "${{input.f}} == {{{q}: 1}}",
    "[x for x in {q}] == 1",
    "${{input.f}} := {q}",
    "${{input.f}} == {q} if 1 else 2",
    "${{input.f}} == '" + CANARY + "\x00'",
    "${{input.f}} == '" + CANARY,
    # (an unknown name is echoed in the hint: not one with CANARY in it)
]


@st.composite
def broken_condition(draw: st.DrawFn) -> str:
    """A condition lichc must refuse, with hostile text in its quoted part."""
    shape = draw(st.sampled_from(BROKEN))
    value = draw(hostile_text())
    while len(value) > 200:
        value = _shorter(value)
    q, style = draw(_literal_writer())
    return shape.format(q=quoted(value, q, style))
