"""Handlers that fail a given number of times, and long-running ones."""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.exceptions import ApplicationError

ATTEMPTS: dict[str, list[float]] = defaultdict(list)


class Transient(Exception):
    """Worth retrying."""


class Permanent(Exception):
    """Not in retry_on: fails at once."""


def flaky(key: str, failures: int) -> dict[str, Any]:
    """Fails `failures` times with Transient, then succeeds."""
    ATTEMPTS[key].append(time.monotonic())
    if len(ATTEMPTS[key]) <= failures:
        raise Transient(f"attempt {len(ATTEMPTS[key])} of {key}")
    return {"attempts": len(ATTEMPTS[key])}


def permanent(key: str, failures: int) -> dict[str, Any]:
    ATTEMPTS[key].append(time.monotonic())
    raise Permanent(f"{key} cannot work")


def progress(key: str, failures: int, heartbeat: Callable[..., None]) -> dict[str, Any]:
    """Reports progress through the heartbeat callback; runs longer than the timeout."""
    for step in range(8):
        heartbeat({"done": step})
        time.sleep(0.4)
    return {"key": key}


def quiet(key: str, failures: int) -> dict[str, Any]:
    """Runs longer than its heartbeat timeout without reporting anything."""
    time.sleep(2.5)
    return {"key": key}


def slow_once(marker: str) -> dict[str, Any]:
    """First attempt (no marker yet): writes the marker and hangs; later ones return."""
    path = Path(marker)
    if not path.exists():
        path.write_text(str(os.getpid()), encoding="utf-8")
        time.sleep(600)
    return {"pid": os.getpid()}


def throttled(key: str, failures: int) -> dict[str, Any]:
    """Fails with its own retryable ApplicationError asking for a later retry."""
    ATTEMPTS[key].append(time.monotonic())
    raise ApplicationError(
        f"{key}: slow down",
        {"key": key},
        type="Throttled",
        non_retryable=False,
        next_retry_delay=timedelta(seconds=1),
    )


def until_cancelled(
    key: str, failures: int, heartbeat: Callable[..., None]
) -> dict[str, Any]:
    """Heartbeats until the activity is cancelled (or a minute passes)."""
    ATTEMPTS[key].append(time.monotonic())
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        heartbeat({"key": key})
        time.sleep(0.1)
    return {"key": key}
