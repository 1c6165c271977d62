"""Handlers that return the keyword arguments they were called with.

Their names are words the generated code uses itself (`context`, `result`,
`fields`, `self`): tests/e2e/test_field_names.py checks they still run.
"""

from __future__ import annotations

from typing import Any


class Refused(Exception):
    """Never raised: listed as non-retryable, so the activity catches it by module."""


def echo(**fields: Any) -> dict[str, Any]:
    return fields


def context(**fields: Any) -> dict[str, Any]:
    return {"context": fields}


def result(**fields: Any) -> dict[str, Any]:
    return {"result": fields}


def self(**fields: Any) -> dict[str, Any]:  # a function may be called self
    return {"self": fields}
