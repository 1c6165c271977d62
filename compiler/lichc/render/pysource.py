"""Safe, ruff-formatted Python source for values that come from jobs.yaml.

Nothing from YAML is pasted into generated code as text: strings become
escaped literals, free text becomes an escaped docstring, and JSON-like values
become literals, all written as `ruff format` would write them; the layout of longer constructs
is left to the formatting pass (render/pyformat.py).
"""

from __future__ import annotations

import math
import re
from datetime import timedelta
from typing import Any

from lichc.fileformat.templated import EnvString, EnvVar
from lichc.fileformat.values import TypeExpr

_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
# printable ASCII but the double quote and the backslash: nothing to escape
# (most strings; checked once instead of character by character)
_PLAIN = re.compile(r"[ !#-\[\]-~]*")


def _escape_char(ch: str) -> str:
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    if ch.isprintable():
        return ch
    return numeric_escape(ch)


def numeric_escape(ch: str) -> str:
    """\\xhh, \\uhhhh or \\Uhhhhhhhh: the same in Python and in YAML double quotes."""
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def py_str(text: str) -> str:
    """A string literal, quoted the way ruff prefers (double, unless more escapes)."""
    if _PLAIN.fullmatch(text):
        return f'"{text}"'
    quote = "'" if text.count('"') > text.count("'") else '"'
    body = "".join("\\" + ch if ch == quote else _escape_char(ch) for ch in text)
    return f"{quote}{body}{quote}"


def py_literal(value: Any) -> str:
    """A JSON-like value as a Python literal.

    Non-empty collections are always exploded, one item per line with a
    trailing comma: ruff keeps that layout (magic trailing comma), so the
    output does not depend on line width.
    """
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return f'float("{value}")'
        return repr(value).replace("e+", "e")  # 1e16, as ruff writes 1e+16
    if isinstance(value, str):
        return py_str(value)
    # the formatting pass indents the items
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[\n" + "".join(f"{py_literal(v)},\n" for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = "".join(
            f"{py_str(str(k))}: {py_literal(v)},\n" for k, v in value.items()
        )
        return "{\n" + items + "}"
    raise TypeError(f"not a JSON-like value: {type(value).__name__}")


def py_default(type_: TypeExpr, value: Any, qualifier: str = "") -> str:
    """A field's default as a typed literal: an enum's value as its member
    (`inputs.Shipping.express`; members are named as their values, validated
    identifiers), in lists and dicts too. Object types have no other default
    than null (plan/types.py), so a named type's value here is an enum's."""
    if value is None:
        return "None"
    if type_.base == "named":
        return f"{qualifier}{type_.name}.{value}"
    if type_.item is not None and type_.item.type_names():
        if type_.base == "list" and value:
            return (
                "[\n"
                + "".join(f"{py_default(type_.item, v, qualifier)},\n" for v in value)
                + "]"
            )
        if type_.base == "dict" and value:
            return (
                "{\n"
                + "".join(
                    f"{py_str(str(k))}: {py_default(type_.item, v, qualifier)},\n"
                    for k, v in value.items()
                )
                + "}"
            )
    return py_literal(value)


def py_docstring(text: str) -> str:
    """A docstring for free text, normalised the way ruff would normalise it."""
    lines = [
        line.rstrip()
        for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    ]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    if not lines:
        return '""""""'
    margin = min(
        (len(line) - len(line.lstrip(" ")) for line in lines[1:] if line), default=0
    )
    lines = [lines[0].lstrip(" ")] + [line[margin:] for line in lines[1:]]
    last = len(lines) - 1
    body = [
        _docstring_line(line, first=i == 0, last=i == last)
        for i, line in enumerate(lines)
    ]
    if len(body) == 1:
        return f'"""{body[0]}"""'
    # the formatting pass indents the lines to the docstring's own indentation
    rest = "".join(f"\n{line}" if line else "\n" for line in body[1:])
    return f'"""{body[0]}{rest}\n"""'


def _docstring_line(line: str, *, first: bool, last: bool) -> str:
    """One line of a docstring's body, escaped.

    A quote is escaped when it would be the third in a row (and close the
    docstring), when it opens the docstring (ruff would insert a space) or
    when it ends it (it would run into the closing quotes).
    """
    if _PLAIN.fullmatch(line):
        return line
    out = []
    run = 0  # quotes in a row, unescaped
    for i, ch in enumerate(line):
        if ch == '"':
            edge = (first and i == 0) or (last and i == len(line) - 1)
            escape = run == 2 or edge
            out.append('\\"' if escape else '"')
            run = 0 if escape else run + 1
        else:
            out.append(_escape_char(ch))
            run = 0
    return "".join(out)


def py_timedelta(value: timedelta, name: str = "timedelta") -> str:
    """timedelta(hours=1, minutes=30): the readable spelling of a duration
    (`name` is what the module calls timedelta)."""
    ms = round(value.total_seconds() * 1000)
    parts = []
    for unit, size in (
        ("days", 86_400_000),
        ("hours", 3_600_000),
        ("minutes", 60_000),
        ("seconds", 1000),
    ):
        count, ms = divmod(ms, size)
        if count:
            parts.append(f"{unit}={count}")
    if ms:
        parts.append(f"milliseconds={ms}")
    return f"{name}({', '.join(parts) or 'seconds=0'})"


def py_call(
    function: str,
    parts: list[str],
    tail: str = "",
    *,
    lead: str = "",
    force: bool = False,
    brackets: str = "()",
) -> str:
    """`lead + function(a, b) + tail`, on one line (the formatting pass wraps
    it), or with `force` one part a line with a trailing comma, a layout ruff
    keeps whatever the width. `brackets="{}"` for a dict."""
    opening, closing = brackets[0], brackets[1]
    if not force or not parts:
        return f"{lead}{function}{opening}{', '.join(parts)}{closing}{tail}"
    body = "".join(f"{part},\n" for part in parts)
    return f"{lead}{function}{opening}\n{body}{closing}{tail}"


def py_env(value: EnvString) -> str:
    """An expression reading ${NAME:-default} settings when the code runs:
    `"redis://" + env("HOST", "localhost") + ":6379"`."""
    terms = [
        f"env({', '.join([py_str(p.name)] + ([py_str(p.default)] if p.default is not None else []))})"
        if isinstance(p, EnvVar)
        else py_str(p)
        for p in value.parts
    ]
    return " + ".join(terms) or '""'


def py_seconds(value: timedelta | None) -> str:
    """Seconds as a number literal: 30, 0.5."""
    if value is None:
        return "None"
    seconds = value.total_seconds()
    return str(int(seconds)) if seconds == int(seconds) else repr(seconds)


def py_tuple(parts: list[str]) -> str:
    """A tuple of `parts`: `(a,)`, `(a, b)`."""
    if len(parts) == 1:
        return f"({parts[0]},)"
    return f"({', '.join(parts)})"
