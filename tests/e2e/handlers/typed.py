"""Handlers of the named-types e2e specs (types_temporal.yaml, types_celery.yaml):
each says what types its arguments arrived as, and hands the order back."""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel


def _kind(value: Any) -> str:
    if isinstance(value, Enum):
        return f"enum {type(value).__name__}"
    if isinstance(value, BaseModel):
        return f"model {type(value).__name__}"
    return type(value).__name__


def describe(order: Any) -> dict[str, Any]:
    """What the order is: a model, with an enum and a list of models inside."""
    return {
        "order": _kind(order),
        "shipping": _kind(order.shipping),
        "items": [_kind(i) for i in order.items],
        "quantities": sum(i.quantity for i in order.items),
        "back": order,  # a model in the result: sent on as JSON
    }


def line(line: Any, speed: Any) -> dict[str, Any]:
    """One element of a typed list, and an enum input with its default."""
    return {"line": _kind(line), "sku": line.sku, "speed": _kind(speed)}


def receipt(order: Any) -> dict[str, Any]:
    """A receipt: the job declares `result: Receipt`, so it comes back typed."""
    return {"id": order.id, "speed": order.shipping, "count": len(order.items)}
