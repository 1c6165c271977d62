"""Safe, ruff-formatted Python source for values that come from jobs.yaml.

Nothing from YAML is pasted into generated code as text: strings become
escaped literals, free text becomes an escaped docstring, and JSON-like values
become literals, all written exactly as `ruff format` would write them so the
output is stable under the formatter.
"""

from __future__ import annotations

import math
import unicodedata
from datetime import timedelta
from typing import Any

from lichc.fileformat.values import EnvString, EnvVar

_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


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
    quote = "'" if text.count('"') > text.count("'") else '"'
    body = "".join("\\" + ch if ch == quote else _escape_char(ch) for ch in text)
    return f"{quote}{body}{quote}"


def py_literal(value: Any, indent: int = 0) -> str:
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
    pad = " " * (indent + 4)
    if isinstance(value, list):
        if not value:
            return "[]"
        items = "".join(f"{pad}{py_literal(v, indent + 4)},\n" for v in value)
        return "[\n" + items + " " * indent + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = "".join(
            f"{pad}{py_str(str(k))}: {py_literal(v, indent + 4)},\n"
            for k, v in value.items()
        )
        return "{\n" + items + " " * indent + "}"
    raise TypeError(f"not a JSON-like value: {type(value).__name__}")


def py_docstring(text: str, indent: int) -> str:
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
    pad = " " * indent
    rest = "".join(f"\n{pad}{line}" if line else "\n" for line in body[1:])
    return f'"""{body[0]}{rest}\n{pad}"""'


def _docstring_line(line: str, *, first: bool, last: bool) -> str:
    """One line of a docstring's body, escaped.

    A quote is escaped when it would be the third in a row (and close the
    docstring), when it opens the docstring (ruff would insert a space) or
    when it ends it (it would run into the closing quotes).
    """
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


LINE_LENGTH = 88


def width(text: str) -> int:
    """The columns `text` takes as ruff counts them for the line length: two
    for East Asian wide and full-width characters, none for combining marks
    (and Hangul vowel and final jamo), one for the rest."""
    return sum(_char_width(ch) for ch in text) if not text.isascii() else len(text)


def _char_width(ch: str) -> int:
    code = ord(ch)
    if unicodedata.category(ch) in ("Mn", "Me") or 0x1160 <= code <= 0x11FF:
        return 0
    if 0xD7B0 <= code <= 0xD7FF:
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def py_call(
    function: str,
    parts: list[str],
    indent: int,
    tail: str = "",
    *,
    lead: str = "",
    force: bool = False,
    brackets: str = "()",
) -> str:
    """`lead + function(a, b) + tail` for a line indented by `indent`: on one
    line when it fits (and not `force`), else one part a line with a trailing
    comma, a layout ruff keeps whatever the width. `brackets="{}"` for a dict."""
    opening, closing = brackets[0], brackets[1]
    line = f"{lead}{function}{opening}{', '.join(parts)}{closing}{tail}"
    if (indent + width(line) <= LINE_LENGTH and not force) or not parts:
        return line
    pad = " " * (indent + 4)
    body = "".join(f"{pad}{part},\n" for part in parts)
    return f"{lead}{function}{opening}\n{body}{' ' * indent}{closing}{tail}"


def py_assign_call(name: str, call: str) -> str:
    """`name = call(...)` at the top level, the call exploded: when its first
    line is too long, ruff puts the call in parentheses (if `name = (` fits)."""
    first = call.split("\n", 1)[0]
    if width(f"{name} = {first}") <= LINE_LENGTH or width(name) + 4 > LINE_LENGTH:
        return f"{name} = {call}"
    inner = "\n".join(f"    {line}" if line else line for line in call.split("\n"))
    return f"{name} = (\n{inner}\n)"


def py_subscript_assign(target: str, key: str, value: str, indent: int) -> str:
    """`target[key] = value` on a line indented by `indent`: when its first
    line is too long, ruff moves the key to a line of its own."""
    first = value.split("\n", 1)[0]
    if indent + width(f"{target}[{key}] = {first}") <= LINE_LENGTH:
        return f"{target}[{key}] = {value}"
    pad = " " * indent
    return f"{target}[\n{pad}    {key}\n{pad}] = {value}"


def py_keyword(name: str, value: str, indent: int, sep: str = "=") -> str:
    """`name=value`, an argument on a line of its own at `indent` (or with
    `sep=": "` a dict entry): a subscript that does not fit has its last key
    moved to a line of its own (ruff)."""
    text = f"{name}{sep}{value}"
    if "\n" in value or not value.endswith("]"):
        return text
    if indent + width(text) + 1 <= LINE_LENGTH:  # +1: the comma
        return text
    head, _, key = value[:-1].rpartition("[")
    pad = " " * indent
    return f"{name}{sep}{head}[\n{pad}    {key}\n{pad}]"


def py_annassign(name: str, annotation: str, value: str, indent: int) -> str:
    """`name: annotation = value` on a line indented by `indent`, as ruff lays
    it out when it is too long: a one-line value goes in parentheses on a line
    of its own when that makes it fit, or when the annotation is more than a
    name (ruff would otherwise split the annotation); else it stays put."""
    return py_assign(f"{name}: {annotation}", value, indent, annotation.isidentifier())


def py_assign(target: str, value: str, indent: int, plain: bool = True) -> str:
    """`target = value`, the value in parentheses on a line of its own when the
    line is too long and that makes it fit (or when the target is not `plain`:
    an annotation ruff would otherwise split)."""
    head = f"{target} = "
    if "\n" in value or indent + width(head) + width(value) <= LINE_LENGTH:
        return head + value
    if indent + 4 + width(value) > LINE_LENGTH and plain:
        return head + value
    return f"{head}(\n{' ' * (indent + 4)}{value}\n{' ' * indent})"


def py_param(name: str, annotation: str, default: str | None, indent: int) -> str:
    """A parameter of an exploded parameter list, before its comma, as ruff
    lays it out when the line is too long: a `| None` annotation is split
    before `| None`, a subscripted one inside its brackets."""
    text = f"{name}: {annotation}" + (f" = {default}" if default is not None else "")
    if "\n" in text or indent + width(text) + 1 <= LINE_LENGTH:  # +1: the comma
        return text
    pad = " " * indent
    tail = f" = {default}" if default is not None else ""
    if annotation.endswith(" | None"):
        return f"{name}: {annotation.removesuffix(' | None')}\n{pad}| None{tail}"
    if annotation.endswith("]"):
        head, _, inner = annotation.partition("[")
        return f"{name}: {head}[\n{pad}    {inner[:-1]}\n{pad}]{tail}"
    return text


def py_env(value: EnvString, prefix: int = 0, indent: int = 4) -> str:
    """An expression reading ${NAME:-default} settings when the code runs.

    `prefix` is the width of the line before the expression, `indent` that of
    its statement: an expression that does not fit is exploded with magic
    trailing commas, the one layout ruff keeps whatever the width.
    """
    args = [
        [py_str(p.name)] + ([py_str(p.default)] if p.default is not None else [])
        if isinstance(p, EnvVar)
        else p
        for p in value.parts
    ]
    flat = [f"env({', '.join(a)})" if isinstance(a, list) else py_str(a) for a in args]
    text = " + ".join(flat) or '""'
    if prefix + width(text) <= LINE_LENGTH:
        return text

    def exploded(term: list[str] | str, level: int, fits: bool = True) -> str:
        if not isinstance(term, list):
            return py_str(term)
        one_line = f"env({', '.join(term)})"
        if fits and level + width(one_line) + 1 <= LINE_LENGTH:  # +1: the comma
            return one_line
        inner = " " * (level + 4)
        return "env(\n" + "".join(f"{inner}{a},\n" for a in term) + " " * level + ")"

    if len(args) == 1:
        # `return env(...)` is too long: one argument a line; a literal goes
        # in parentheses when that makes it fit (as ruff does)
        if isinstance(args[0], str):
            literal = py_str(args[0])
            if indent + 4 + width(literal) <= LINE_LENGTH:
                return f"(\n{' ' * (indent + 4)}{literal}\n{' ' * indent})"
            return literal
        return exploded(args[0], indent, fits=False)
    pad = " " * indent
    items = "".join(f"{pad}        {exploded(a, indent + 8)},\n" for a in args)
    return f'"".join(\n{pad}    [\n{items}{pad}    ]\n{pad})'


def py_seconds(value: timedelta | None) -> str:
    """Seconds as a number literal: 30, 0.5."""
    if value is None:
        return "None"
    seconds = value.total_seconds()
    return str(int(seconds)) if seconds == int(seconds) else repr(seconds)


def py_tuple(parts: list[str], indent: int, tail: str = ",") -> str:
    """A tuple of `parts` for a line at `indent` ending in `tail` (not
    included): one line when it fits, else one part a line, like py_call."""
    if len(parts) == 1:
        return f"({parts[0]},)"
    return py_call("", parts, indent, tail).removesuffix(tail)
