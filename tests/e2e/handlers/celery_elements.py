"""Steps of the Celery for_each spec: each call recorded in Redis with its
start and end, so a test sees how many elements ran at once."""

from __future__ import annotations

import time
from typing import Any

from tests.e2e.handlers.celery_jobs import calls, record


class Broken(Exception):
    """An element that fails every attempt."""


def thumbnail(batch: str, path: str, size: int) -> dict[str, Any]:
    started = time.time()
    time.sleep(0.3)  # long enough for the next elements to start beside it
    record(batch, step="thumbnail", path=path, started=started, ended=time.time())
    return {"path": path, "thumb": f"{path}@{size}"}


def stamp(batch: str, thumb: str) -> str:
    record(batch, step="stamp", path=thumb)
    return f"stamped {thumb}"


def fragile(batch: str, path: str) -> str:
    record(batch, step="fragile", path=path)
    if path.startswith("bad"):
        raise Broken(f"cannot read {path}")
    return path


def most_at_once(batch: str) -> int:
    """The most thumbnail calls of `batch` that ran at the same time."""
    spans = [(c["started"], c["ended"]) for c in calls(batch) if "started" in c]
    return max(sum(1 for s, e in spans if s <= start < e) for start, _ in spans)


def slow_unless_bad(batch: str, path: str) -> str:
    """Fails at once for bad*, else takes two seconds: time for a sibling's
    failure to be marked before the next element of its lane starts."""
    if path.startswith("bad"):
        record(batch, step="fragile", path=path)
        raise Broken(f"cannot read {path}")
    time.sleep(2)
    record(batch, step="fragile", path=path)
    return path


def slow(batch: str, path: str) -> str:
    """Marks its start, then takes two seconds (a test cancels meanwhile)."""
    record(f"{batch}:started", path=path)
    time.sleep(2)
    record(batch, step="slow", path=path)
    return path


def started(batch: str) -> list[str]:
    return [c["path"] for c in calls(f"{batch}:started")]
