"""Parsed forms of the small languages inside jobs.yaml values.

Durations, rates, cron lines, handler paths, input types and `${...}`
references are parsed here (id templates and `${ENV:-default}` settings in
templated.py) into frozen
values, so that nothing downstream ever handles the raw text again. Parsers
raise SpecValueError (a ValueError that carries a hint), which Pydantic turns
into a located error.
"""

from __future__ import annotations

import builtins
import keyword
import re
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any, Literal, Protocol


class SpecValueError(ValueError):
    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_IDENT_RE = re.compile(IDENT)


def is_identifier(text: str) -> bool:
    return bool(_IDENT_RE.fullmatch(text)) and not keyword.iskeyword(text)


# -- durations -----------------------------------------------------------------

_UNIT_MS = {"d": 86_400_000, "h": 3_600_000, "m": 60_000, "s": 1_000, "ms": 1}
_UNIT_ORDER = list(_UNIT_MS)
_DURATION_PART = re.compile(r"(\d+)(ms|d|h|m|s)")
DURATION_PATTERN = r"^(\d+|(\d+(d|h|m|s|ms))+)$"
MAX_DURATION = timedelta(days=3650)


def parse_duration(value: Any) -> timedelta:
    """`500ms 30s 5m 2h 3d`, `1h30m`, or integer seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise SpecValueError(
            f"expected a duration like 30s, 5m, 1h30m or whole seconds, got {show_value(value)}",
            "durations are written 500ms, 30s, 5m, 2h, 3d, or combined: 1h30m",
        )
    if isinstance(value, int):
        if value < 0:
            raise SpecValueError(f"a duration cannot be negative (got {value})")
        if value > MAX_DURATION.total_seconds():
            raise SpecValueError(f"duration {value}s is longer than 3650 days")
        return timedelta(seconds=value)
    text = value.strip()
    if text.isdigit():
        return parse_duration(int(text))
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise SpecValueError(
            f"'{value}' is not a duration",
            "durations are written 500ms, 30s, 5m, 2h, 3d, or combined: 1h30m",
        )
    positions = [_UNIT_ORDER.index(unit) for _, unit in parts]
    if positions != sorted(set(positions)):
        raise SpecValueError(
            f"'{value}' repeats or misorders its units",
            "write the largest unit first, each once: 1d2h30m",
        )
    total_ms = sum(int(n) * _UNIT_MS[u] for n, u in parts)
    if total_ms > MAX_DURATION.total_seconds() * 1000:
        raise SpecValueError(f"duration '{value}' is longer than 3650 days")
    return timedelta(milliseconds=total_ms)


def format_duration(value: timedelta) -> str:
    """The shortest jobs.yaml spelling of a duration: 90s -> 1m30s."""
    ms = round(value.total_seconds() * 1000)
    if ms == 0:
        return "0s"
    text = ""
    for unit in _UNIT_ORDER:
        count, ms = divmod(ms, _UNIT_MS[unit])
        if count:
            text += f"{count}{unit}"
    return text


# -- rates ----------------------------------------------------------------------

_RATE_RE = re.compile(r"(\d+)/(s|m|h)")
_RATE_SECONDS = {"s": 1, "m": 60, "h": 3600}
RATE_PATTERN = r"^\d+/(s|m|h)$"


@dataclass(frozen=True, slots=True)
class Rate:
    count: int
    unit: Literal["s", "m", "h"]

    def __str__(self) -> str:
        return f"{self.count}/{self.unit}"

    @property
    def per_second(self) -> float:
        return self.count / _RATE_SECONDS[self.unit]


def parse_rate(value: Any) -> Rate:
    if isinstance(value, Rate):
        return value
    match = _RATE_RE.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise SpecValueError(
            f'expected a rate like "10/s", "100/m" or "1000/h", got {show_value(value)}'
        )
    count = int(match[1])
    if count < 1:
        raise SpecValueError("a rate must allow at least 1 per period")
    return Rate(count, match[2])  # type: ignore[arg-type]


# -- cron -------------------------------------------------------------------------

CRON_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    (
        "month",
        1,
        12,
        {
            m: i + 1
            for i, m in enumerate(
                [
                    "jan",
                    "feb",
                    "mar",
                    "apr",
                    "may",
                    "jun",
                    "jul",
                    "aug",
                    "sep",
                    "oct",
                    "nov",
                    "dec",
                ]
            )
        },
    ),
    (
        "day of week",
        0,
        6,
        {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])},
    ),
)
_CRON_ITEM = re.compile(r"(\*|[a-z0-9]+(?:-[a-z0-9]+)?)(?:/(\d+))?")


def parse_cron(value: Any) -> str:
    """Five-field cron (minute hour day-of-month month day-of-week)."""
    hint = 'five fields: minute hour day-of-month month day-of-week, e.g. "0 3 * * *"'
    if not isinstance(value, str):
        raise SpecValueError(f"expected a cron line, got {show_value(value)}", hint)
    fields = value.split()
    if len(fields) != 5:
        raise SpecValueError(
            f"cron '{value}' has {len(fields)} fields, expected 5", hint
        )
    for text, (name, low, high, names) in zip(fields, CRON_FIELDS, strict=True):
        for item in text.lower().split(","):
            match = _CRON_ITEM.fullmatch(item)
            if match is None:
                raise SpecValueError(f"cron {name} field '{text}' is not valid", hint)
            span, step = match[1], match[2]
            if step is not None and int(step) == 0:
                raise SpecValueError(
                    f"cron {name} field '{text}' has a step of 0", hint
                )
            if span == "*":
                continue
            for bound in span.split("-"):
                number = names.get(bound, int(bound) if bound.isdigit() else None)
                if number is None or not low <= number <= high:
                    raise SpecValueError(
                        f"cron {name} '{bound}' is out of range {low}-{high}", hint
                    )
    return " ".join(fields)


# -- handler and exception paths --------------------------------------------------

_MODULE = rf"{IDENT}(?:\.{IDENT})*"
_HANDLER_RE = re.compile(rf"({_MODULE}):({IDENT})")


@dataclass(frozen=True, slots=True)
class PyRef:
    """`module.path:name`, each part a Python identifier."""

    module: str
    name: str

    def __str__(self) -> str:
        return f"{self.module}:{self.name}"

    @property
    def top_package(self) -> str:
        return self.module.split(".", 1)[0]


def parse_handler(value: Any) -> PyRef:
    if isinstance(value, PyRef):
        return value
    hint = "write module.path:function, e.g. examples.shop.emails:send_welcome"
    if not isinstance(value, str):
        raise SpecValueError(
            f"expected a handler 'module.path:function', got {show_value(value)}", hint
        )
    return _parse_ref(value, "handler", hint)


def parse_exception(value: Any) -> PyRef:
    if isinstance(value, PyRef):
        return value
    hint = "write module.path:ExceptionName; built-ins may be written alone, e.g. TimeoutError"
    if isinstance(value, str) and _IDENT_RE.fullmatch(value):
        builtin = getattr(builtins, value, None)
        if isinstance(builtin, type) and issubclass(builtin, BaseException):
            return PyRef("builtins", value)
        raise SpecValueError(f"'{value}' is not a built-in exception", hint)
    if not isinstance(value, str):
        raise SpecValueError(
            f"expected an exception type 'module:Name', got {show_value(value)}", hint
        )
    return _parse_ref(value, "exception type", hint)


@cache  # a record of many versions repeats each handler: parse it once
def _parse_ref(value: str, what: str, hint: str) -> PyRef:
    match = _HANDLER_RE.fullmatch(value)
    if match is None:
        raise SpecValueError(f"'{value}' is not a valid {what} path", hint)
    parts = [*match[1].split("."), match[2]]
    bad = [p for p in parts if keyword.iskeyword(p)]
    if bad:
        raise SpecValueError(f"'{bad[0]}' in '{value}' is a Python keyword", hint)
    return PyRef(match[1], match[2])


# -- input types -------------------------------------------------------------------

_BASE_TYPES = ("str", "int", "float", "bool", "dict")
TYPE_NAME = r"[A-Z][A-Za-z0-9]*"
_TYPE_NAME_RE = re.compile(TYPE_NAME)
TYPE_HINT = (
    "types are str, int, float, bool, dict, list[T], dict[str, T], a name from"
    ' `types:`, and T? for optional (quote "int?" inside {...})'
)


class NamedTypes(Protocol):
    """What `TypeExpr.accepts` needs to know of the `types:` section."""

    def accepts_named(self, name: str, value: Any) -> bool: ...


@dataclass(frozen=True, slots=True)
class TypeExpr:
    """`str int float bool dict list[T] dict[str, T]` or a named type, each
    optionally suffixed with `?`. `item` is a list's element or a dict's value
    (a plain `dict` has none: its values are Any); `name` a named type's."""

    base: Literal["str", "int", "float", "bool", "dict", "list", "named"]
    item: TypeExpr | None = None
    optional: bool = False
    name: str | None = None

    def __str__(self) -> str:
        if self.base == "list":
            core = f"list[{self.item}]"
        elif self.base == "dict" and self.item is not None:
            core = f"dict[str, {self.item}]"
        elif self.base == "named":
            core = str(self.name)
        else:
            core = self.base
        return core + ("?" if self.optional else "")

    def python(self, qualifier: str = "") -> str:
        """The annotation used in generated code; named types are prefixed with
        `qualifier` (`inputs.` outside the module that defines them)."""
        if self.base == "list":
            assert self.item is not None
            core = f"list[{self.item.python(qualifier)}]"
        elif self.base == "dict":
            value = "Any" if self.item is None else self.item.python(qualifier)
            core = f"dict[str, {value}]"
        elif self.base == "named":
            core = f"{qualifier}{self.name}"
        else:
            core = self.base
        return f"{core} | None" if self.optional else core

    def type_names(self) -> frozenset[str]:
        """The named types this type refers to (to import them)."""
        if self.base == "named":
            return frozenset([str(self.name)])
        return self.item.type_names() if self.item is not None else frozenset()

    def accepts(self, value: Any, types: NamedTypes | None = None) -> bool:
        """Whether a literal from YAML (a default, a schedule input) fits.
        A named type needs `types`; without it any value is taken as fitting."""
        if value is None:
            return self.optional
        if self.base == "str":
            return isinstance(value, str)
        if self.base == "bool":
            return isinstance(value, bool)
        if self.base == "int":
            return isinstance(value, int) and not isinstance(value, bool)
        if self.base == "float":
            return isinstance(value, int | float) and not isinstance(value, bool)
        if self.base == "named":
            return types is None or types.accepts_named(str(self.name), value)
        if self.base == "dict":
            return isinstance(value, dict) and (
                self.item is None
                or all(self.item.accepts(v, types) for v in value.values())
            )
        assert self.item is not None
        return isinstance(value, list) and all(
            self.item.accepts(v, types) for v in value
        )


def parse_type(value: Any) -> TypeExpr:
    if isinstance(value, TypeExpr):
        return value
    if not isinstance(value, str):
        raise SpecValueError(
            f"expected a type name, got {show_value(value)}", TYPE_HINT
        )
    text = value.replace(" ", "")
    parsed = _parse_type(text)
    if parsed is None:
        raise SpecValueError(f"unknown type '{value}'", TYPE_HINT)
    return parsed


def _parse_type(text: str) -> TypeExpr | None:
    optional = text.endswith("?")
    core = text[:-1] if optional else text
    if core in _BASE_TYPES:
        return TypeExpr(core, None, optional)  # type: ignore[arg-type]
    if core.startswith("list[") and core.endswith("]"):
        item = _parse_type(core[5:-1])
        return TypeExpr("list", item, optional) if item else None
    if core.startswith("dict[str,") and core.endswith("]"):
        item = _parse_type(core[9:-1])
        return TypeExpr("dict", item, optional) if item else None
    if _TYPE_NAME_RE.fullmatch(core) and len(core) <= 64:
        return TypeExpr("named", None, optional, core)
    return None


# -- references in args: ${input.X}, ${steps.Y}, ${steps.Y.FIELD}, ${item} ----------

_REF_RE = re.compile(rf"\$\{{(?:(input|steps)\.({IDENT})|(item))(?:\.({IDENT}))?\}}")


def match_ref(written: str) -> tuple[str, str, str | None] | None:
    """(kind, name, field) of a whole `${...}` reference, or None; `${item}`
    and `${item.F}` are kind "item" with the name "item"."""
    whole = _REF_RE.fullmatch(written)
    if whole is None:
        return None
    kind, name, item, field = whole.groups()
    return (kind, name, field) if item is None else ("item", "item", field)


@dataclass(frozen=True, slots=True)
class InputRef:
    field: str

    def __str__(self) -> str:
        return f"${{input.{self.field}}}"


@dataclass(frozen=True, slots=True)
class StepRef:
    step: str
    field: str | None = None

    def __str__(self) -> str:
        tail = f".{self.field}" if self.field else ""
        return f"${{steps.{self.step}{tail}}}"


@dataclass(frozen=True, slots=True)
class ItemRef:
    """`${item}` (or `${item.FIELD}`): the element a for_each step runs with."""

    field: str | None = None

    def __str__(self) -> str:
        tail = f".{self.field}" if self.field else ""
        return f"${{item{tail}}}"


Reference = InputRef | StepRef | ItemRef

ITEM_OUTSIDE = "${item} is only defined in a for_each step"
ITEM_HINT = "read the element in the for_each step's args (or its `if`)"


@dataclass(frozen=True, slots=True)
class Literal_:
    """A literal argument value (JSON-like)."""

    value: Any


ArgValue = InputRef | StepRef | ItemRef | Literal_


def parse_arg(value: Any) -> ArgValue:
    if isinstance(value, InputRef | StepRef | ItemRef | Literal_):
        return value
    hint = "a reference is a whole value: ${input.FIELD}, ${steps.NAME} or ${steps.NAME.FIELD}"
    if isinstance(value, str) and "${" in value:
        match = match_ref(value)
        if match is None:
            if (
                value.startswith("${")
                and value.endswith("}")
                and value.count("${") == 1
            ):
                raise SpecValueError(f"'{value}' is not a valid reference", hint)
            raise SpecValueError(
                f"'{value}': references cannot be part of a longer string in v1", hint
            )
        kind, name, field = match
        if kind == "item":
            return ItemRef(field)
        if kind == "input":
            if field is not None:
                raise SpecValueError(
                    f"'{value}': input references take no field", "write ${input.FIELD}"
                )
            return InputRef(name)
        return StepRef(name, field)
    _reject_nested_refs(value, hint)
    return Literal_(value)


def parse_items(value: Any) -> InputRef | StepRef:
    """A for_each step's list: `${input.X}` or `${steps.Y[.F]}`."""
    if isinstance(value, InputRef | StepRef):
        return value
    hint = "write ${input.FIELD} (a list input) or ${steps.NAME.FIELD} (a list result)"
    if not isinstance(value, str):
        raise SpecValueError(
            f"expected a reference to a list, got {show_value(value)}", hint
        )
    ref = parse_arg(value)
    if not isinstance(ref, InputRef | StepRef):
        raise SpecValueError(f"'{value}' is not a reference to a list", hint)
    return ref


@dataclass(frozen=True, slots=True)
class ResultObject:
    """An `end` step's result written as a mapping: each value a literal or a
    whole reference, like `args`."""

    items: tuple[tuple[str, ArgValue], ...]


ResultValue = ArgValue | ResultObject


def parse_result(value: Any) -> ResultValue:
    """An `end` step's `result`: a literal, a whole reference, or a mapping of
    them (one level; deeper values are literals)."""
    if isinstance(value, InputRef | StepRef | Literal_ | ResultObject):
        return value
    if isinstance(value, dict) and any(
        isinstance(v, str) and "${" in v for v in value.values()
    ):
        items = []
        for key, item in value.items():
            if not isinstance(key, str):
                raise SpecValueError(f"result keys are text, got {show_value(key)}")
            items.append((key, parse_arg(item)))
        result: ResultValue = ResultObject(tuple(items))
    else:
        result = parse_arg(value)
    if isinstance(result, ItemRef) or (
        isinstance(result, ResultObject)
        and any(isinstance(v, ItemRef) for _, v in result.items)
    ):
        raise SpecValueError(ITEM_OUTSIDE, ITEM_HINT)
    return result


@dataclass(frozen=True, slots=True)
class Message:
    """An `end` step's `fail` message: text with `${...}` references inside,
    the only place a reference may sit in a longer string."""

    parts: tuple[str | InputRef | StepRef, ...]

    def __str__(self) -> str:
        return "".join(str(p) for p in self.parts)


def parse_message(value: Any) -> Message:
    if isinstance(value, Message):
        return value
    if not isinstance(value, str):
        raise SpecValueError(f"expected a message (text), got {show_value(value)}")
    if len(value) > 2000:
        raise SpecValueError("the message is longer than 2000 characters")
    hint = "references in a message are ${input.FIELD}, ${steps.NAME} or ${steps.NAME.FIELD}"
    parts: list[str | InputRef | StepRef] = []
    at = 0
    for match in re.finditer(r"\$\{[^}]*\}?", value):
        ref = parse_arg(match[0])
        if isinstance(ref, Literal_):  # pragma: no cover - parse_arg refuses it
            raise SpecValueError(f"'{match[0]}' is not a reference", hint)
        if isinstance(ref, ItemRef):
            raise SpecValueError(ITEM_OUTSIDE, ITEM_HINT)
        if match.start() > at:
            parts.append(value[at : match.start()])
        parts.append(ref)
        at = match.end()
    if at < len(value):
        parts.append(value[at:])
    return Message(tuple(parts))


def _reject_nested_refs(value: Any, hint: str) -> None:
    if isinstance(value, str) and "${" in value:
        raise SpecValueError(
            f"'{value}': references work only as a whole argument value, not nested",
            hint,
        )
    if isinstance(value, dict):
        for v in value.values():
            _reject_nested_refs(v, hint)
    elif isinstance(value, list):
        for v in value:
            _reject_nested_refs(v, hint)


def show_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
