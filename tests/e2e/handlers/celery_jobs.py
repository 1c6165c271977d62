"""Handlers of the Celery end-to-end tests: plain functions, as users write them.

Each records its calls in Redis (the broker's, from REDIS_URL) under
`calls:<key>`, so tests assert on what really ran, when, and how often.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from typing import Any

import redis
from celery.exceptions import SoftTimeLimitExceeded


class PermanentError(Exception):
    """Retrying will not help."""


class FlakyError(ConnectionError):
    """A subclass of a retry_on type: retried too."""


def _redis() -> redis.Redis:
    return redis.Redis.from_url(os.environ["REDIS_URL"])


def record(key: str, **fields: Any) -> int:
    """Append a call to calls:<key>; returns how many calls there were."""
    entry = json.dumps({"at": time.time(), "pid": os.getpid(), **fields})
    return int(_redis().rpush(f"calls:{key}", entry))


def calls(key: str) -> list[dict[str, Any]]:
    return [json.loads(raw) for raw in _redis().lrange(f"calls:{key}", 0, -1)]


def flaky(key: str, failures: int) -> dict[str, Any]:
    """Fails with FlakyError on the first `failures` calls, then succeeds."""
    count = record(key)
    if count <= failures:
        raise FlakyError(f"call {count} of {key} fails")
    return {"key": key, "calls": count}


def refuse(key: str) -> dict[str, Any]:
    """Raises PermanentError while the flag `refuse:<key>` is set."""
    record(key)
    if _redis().exists(f"refuse:{key}"):
        raise PermanentError(f"{key} is refused")
    return {"key": key, "accepted": True}


def wrong_kind(key: str) -> None:
    """Raises an error that is not in retry_on: it must not be retried."""
    record(key)
    raise KeyError(key)


def hang(key: str, seconds: float) -> dict[str, Any]:
    """The first call ignores the soft time limit and runs into the hard one."""
    count = record(key)
    if count == 1:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                time.sleep(0.05)
            except SoftTimeLimitExceeded:
                record(f"{key}:soft")  # swallowed: only the hard limit stops this
    return {"key": key, "calls": count}


def hang_every_time(key: str, seconds: float) -> None:
    """Every call runs into the hard time limit."""
    record(key)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with contextlib.suppress(SoftTimeLimitExceeded):  # only the hard limit stops it
            time.sleep(0.05)


def slow_once(key: str, seconds: float) -> dict[str, Any]:
    """The first call sleeps; the soft limit reaches it and it is retried."""
    count = record(key)
    if count == 1:
        try:
            time.sleep(seconds)
        except SoftTimeLimitExceeded:
            record(f"{key}:soft")
            raise
    return {"key": key, "calls": count}


def work(key: str, seconds: float) -> dict[str, Any]:
    """Records its start, works for a while, records its end."""
    record(f"{key}:start")
    time.sleep(seconds)
    count = record(key)
    return {"key": key, "done": count}


def add(x: int, y: int) -> dict[str, Any]:
    record("add", x=x, y=y)
    return {"total": x + y}


def double(value: int) -> int:
    record("double", value=value)
    return value * 2


async def describe(total: int, doubled: int, label: str) -> dict[str, Any]:
    """An async handler: awaited by the generated task."""
    record("describe", total=total, doubled=doubled)
    return {"label": label, "total": total, "doubled": doubled}


def square(value: int) -> int:
    record("square", value=value)
    return value * value


def negate(value: int) -> int:
    record("negate", value=value)
    return -value


def summary(squared: int, negated: int) -> dict[str, int]:
    record("summary", squared=squared, negated=negated)
    return {"squared": squared, "negated": negated}


def stamp(key: str) -> float:
    now = time.time()
    record(key, now=now)
    return now


def label(labels: list[str], options: dict[str, Any], note: str | None = None) -> str:
    """Takes list, dict and optional inputs (for the golden specs' typed clients)."""
    record("label", labels=labels, options=options, note=note)
    return ",".join(labels)


def kill_own_process(key: str) -> None:
    """SIGKILLs the process that runs it (an OOM kill, a segfault)."""
    record(key)
    os.kill(os.getpid(), signal.SIGKILL)


def exit_process(key: str) -> None:
    """Calls sys.exit(3): the pool process exits under the task."""
    record(key)
    sys.exit(3)


def fail_then_sleep(key: str, seconds: float) -> dict[str, Any]:
    """The first call fails at once, later ones sleep `seconds`."""
    count = record(key)
    if count == 1:
        raise FlakyError(f"call 1 of {key} fails")
    time.sleep(seconds)
    record(f"{key}:slept")
    return {"key": key, "calls": count}


# What a module-level async client keeps: objects bound to the running loop.
_LOOP_BOUND: dict[str, Any] = {}


async def loop_bound(key: str) -> dict[str, Any]:
    """Uses an asyncio.Event created on its first call, as a cached async
    client would: waiting on it from another event loop raises RuntimeError."""
    loop = asyncio.get_running_loop()
    event = _LOOP_BOUND.setdefault("event", asyncio.Event())
    first = _LOOP_BOUND.setdefault("loop", loop)
    event.clear()
    loop.call_soon(event.set)
    await event.wait()
    count = record(key, loop=id(loop))
    return {"calls": count, "same_loop": first is loop, "pid": os.getpid()}


def gated(key: str) -> dict[str, Any]:
    """Records its start, then runs until the test opens `gate:<key>` (a list
    popped and pushed back, so every run waiting on it passes)."""
    count = record(f"{key}:start")
    client = _redis()
    if client.blpop([f"gate:{key}"], timeout=120) is None:
        raise TimeoutError(f"gate:{key} was never opened")
    client.rpush(f"gate:{key}", "open")
    return {"key": key, "run": count}


def open_gate(key: str) -> None:
    _redis().rpush(f"gate:{key}", "open")


def close_gate(key: str) -> None:
    _redis().delete(f"gate:{key}")
