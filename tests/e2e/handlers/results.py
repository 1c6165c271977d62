"""Handlers of the `result:` tests (tests/e2e/specs/results_*.yaml), the same
on both engines: what they return is what the job's result is made of."""

from __future__ import annotations

from typing import Any


def words(text: str) -> list[str]:
    return text.split()


def numbers(text: str) -> list[Any]:
    """Not the list[str] its job declares: the job fails with ResultInvalid."""
    return list(range(len(text.split())))


def count(text: str) -> int:
    return len(text)


def split(text: str) -> dict[str, Any]:
    parts = text.split()
    return {"count": len(parts), "first": parts[0] if parts else ""}
