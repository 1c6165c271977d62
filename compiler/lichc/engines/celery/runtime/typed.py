"""Values of named types on the way into a handler and out of it.

A chain's context is JSON, so an input field of a `types:` type arrives as a
dict (an enum's as a str): the task validates it with the field's own
annotation on the job's input model before the handler sees it. A handler
that returns a pydantic model (or an enum, a datetime) has it turned into
JSON here, so Celery's JSON serializer can send it on.
"""

from __future__ import annotations

import typing
from functools import cache
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic_core import PydanticSerializationError, to_jsonable_python


def typed_input(model: type[BaseModel], name: str, value: Any) -> Any:
    """`value` of input field `name`, as the field's type on `model`."""
    return _field_adapter(model, name).validate_python(value)


def typed_element(model: type[BaseModel], name: str, value: Any) -> Any:
    """One element of the list input field `name`, as the list's item type."""
    return _element_adapter(model, name).validate_python(value)


def to_json(value: Any) -> Any:
    """A handler's result as JSON-compatible data (models as their dumps); a
    value pydantic cannot write is left to the task serializer, as before."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    try:
        return to_jsonable_python(value)
    except PydanticSerializationError:
        return value


@cache
def _field_adapter(model: type[BaseModel], name: str) -> TypeAdapter[Any]:
    annotation: Any = model.model_fields[name].annotation
    return TypeAdapter(annotation)


@cache
def _element_adapter(model: type[BaseModel], name: str) -> TypeAdapter[Any]:
    annotation: Any = model.model_fields[name].annotation
    # `list[T] | None`: the list of the union
    if typing.get_origin(annotation) is not list:
        annotation = next(
            a for a in typing.get_args(annotation) if typing.get_origin(a) is list
        )
    return TypeAdapter(typing.get_args(annotation)[0])
