"""Pydantic validation errors -> lichc Diagnostics with plain-English messages."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from lichc.diagnostics import Diagnostic, KeyPath, allowed_keys_hint, did_you_mean
from lichc.fileformat.models import STEP_KINDS, step_kind
from lichc.fileformat.values import SpecValueError, show_value

_TYPE_NAMES = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "tuple_type": "a list",
    "list_type": "a list",
}


def from_validation_error(
    error: ValidationError, data: Any, root: type[BaseModel], prefix: KeyPath = ()
) -> list[Diagnostic]:
    found = []
    for item in error.errors(include_url=False):
        diagnostic = _diagnostic(item, data, root, prefix)
        if diagnostic is not None:
            found.append(diagnostic)
    return found


def _diagnostic(
    item: Any, data: Any, root: type[BaseModel], prefix: KeyPath
) -> Diagnostic | None:
    kind = item["type"]
    loc, is_key = _clean_loc(data, tuple(item["loc"]))
    value = item.get("input")
    ctx = item.get("ctx") or {}
    path = (*prefix, *loc)
    if kind == "missing":
        return Diagnostic(
            f"missing required key '{loc[-1]}'", path[:-1], _missing_hint(loc[-1])
        )
    if kind == "extra_forbidden":
        allowed = _allowed_keys(root, data, loc[:-1])
        key = str(loc[-1])
        hint = allowed_keys_hint(key, allowed) if allowed else None
        return Diagnostic(f"unknown key '{key}'", path, hint, on_key=True)
    error = ctx.get("error")
    if isinstance(error, SpecValueError):
        return Diagnostic(error.message, path, error.hint, on_key=is_key)
    if kind == "literal_error" and loc == ("version",):
        return Diagnostic(
            f"unsupported format version {show_value(value)}",
            path,
            "this lichc reads `version: 1`",
        )
    if kind == "literal_error":
        expected = ctx.get("expected", "")
        hint = did_you_mean(
            str(value),
            [e.strip(" '") for e in expected.replace(" or ", ",").split(",")],
        )
        return Diagnostic(f"expected {expected}, got {show_value(value)}", path, hint)
    if kind in _TYPE_NAMES:
        return Diagnostic(
            f"expected {_TYPE_NAMES[kind]}, got {show_value(value)}", path
        )
    if kind in ("greater_than_equal", "greater_than"):
        bound = ctx.get("ge", ctx.get("gt"))
        word = "at least" if kind == "greater_than_equal" else "more than"
        return Diagnostic(f"must be {word} {bound} (got {value})", path)
    if kind in ("less_than_equal", "less_than"):
        bound = ctx.get("le", ctx.get("lt"))
        word = "at most" if kind == "less_than_equal" else "less than"
        return Diagnostic(f"must be {word} {bound} (got {value})", path)
    if kind == "too_short":
        if isinstance(value, list) and len(value) >= ctx.get("min_length", 1):
            return None  # its items failed and are reported on their own
        return Diagnostic("must not be empty", path)
    if kind == "step_kind":
        present = [k for k in STEP_KINDS if isinstance(value, dict) and k in value]
        found = f" (found {', '.join(present)})" if present else ""
        return Diagnostic(
            f"a step has exactly one of run, sleep, wait_for, parallel{found}",
            path,
            "e.g. {name: charge, run: module.path:function} or {name: pause, sleep: 1d}",
        )
    if kind == "value_error" and error is not None:
        return Diagnostic(str(error), path)
    return Diagnostic(str(item["msg"]), path)


def _missing_hint(key: object) -> str | None:
    return {
        "version": "add `version: 1` at the top",
        "jobs": "add a `jobs:` mapping",
        "run": "a step runs a handler: run: module.path:function",
        "type": "e.g. {type: str, default: welcome}",
    }.get(str(key))


def _clean_loc(data: Any, loc: tuple[Any, ...]) -> tuple[KeyPath, bool]:
    """Drop the union tags Pydantic adds to `loc`, keep real keys and indexes.

    A step is a tagged union, so Pydantic reports `steps.3.run.retry` for
    `steps[3].retry`; the tag follows the index of a step list. Returns the
    path and whether the error is about a mapping key (`[key]`).
    """
    path: list[str | int] = []
    node = data
    is_key = False
    for i, part in enumerate(loc):
        if part == "[key]":
            is_key = True
            continue
        if (
            i >= 2
            and isinstance(loc[i - 1], int)
            and loc[i - 2] in ("steps", "parallel")
            and part in STEP_KINDS
        ):
            continue
        if _is_tag(loc, i):
            continue
        path.append(part)
        node = _child(node, part)
    return tuple(path), is_key


# the other tagged unions: a signal's payload (its fields, or a type's name)
# and a named type (an enum, or an object's fields)
_PAYLOAD_TAGS = ("fields", "name")
_TYPE_TAGS = ("enum", "object")


def _is_tag(loc: tuple[Any, ...], i: int) -> bool:
    part = loc[i]
    if i >= 1 and loc[i - 1] == "payload" and part in _PAYLOAD_TAGS:
        return True
    return i == 2 and loc[0] == "types" and part in _TYPE_TAGS


def _child(node: Any, part: str | int) -> Any:
    """node[part] if the data has it, else None."""
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


def _unwrap(tp: Any) -> list[Any]:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for arg in typing.get_args(tp) for t in _unwrap(arg)]
    return [tp]


def _allowed_keys(root: type[BaseModel], data: Any, loc: KeyPath) -> list[str]:
    """The keys of the model that sits at `loc` in `data`."""
    candidates: list[Any] = [root]
    node = data
    for part in loc:
        nxt: list[Any] = []
        for tp in candidates:
            for t in _unwrap(tp):
                origin = typing.get_origin(t)
                if (
                    isinstance(t, type)
                    and issubclass(t, BaseModel)
                    and part in _keys(t)
                ):
                    nxt.append(_keys(t)[str(part)].annotation)
                elif origin is dict and isinstance(part, str):
                    nxt.append(typing.get_args(t)[1])
                elif origin in (tuple, list) and isinstance(part, int):
                    nxt.append(typing.get_args(t)[0])
        node = _child(node, part)
        candidates = nxt
    models = [
        t
        for tp in candidates
        for t in _unwrap(tp)
        if isinstance(t, type) and issubclass(t, BaseModel)
    ]
    if len(models) > 1:
        kind = step_kind(node)
        models = [STEP_KINDS[kind]] if kind else models
    keys: list[str] = []
    for model in models:
        keys.extend(k for k in _keys(model) if k not in keys)
    return keys


def _keys(model: type[BaseModel]) -> dict[str, Any]:
    """A model's fields by the key jobs.yaml spells (`if`, not `if_`)."""
    return {f.alias or name: f for name, f in model.model_fields.items()}
