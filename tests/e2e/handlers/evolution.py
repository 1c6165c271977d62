"""Steps of the jobs that tests/e2e/test_temporal_evolution.py edits under
runs in flight. They run in worker processes, so each records that it ran
by its return value: a run's result shows which steps it went through."""

from __future__ import annotations

from typing import Any


def first(key: str) -> dict[str, str]:
    return {"ran": "first", "key": key}


def inserted_before(key: str) -> dict[str, str]:
    return {"ran": "inserted_before", "key": key}


def inserted_after(key: str) -> dict[str, str]:
    return {"ran": "inserted_after", "key": key}


def middle(key: str) -> dict[str, str]:
    return {"ran": "middle", "key": key}


def last(key: str) -> dict[str, str]:
    return {"ran": "last", "key": key}


def undo_first(key: str) -> None:
    """The compensation of `first` (the evolution golden case has one)."""


def echo(**fields: Any) -> dict[str, Any]:
    """What its step was called with (tests/test_input_evolution.py)."""
    return fields
