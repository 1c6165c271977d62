"""Handlers of the soak runs (harness/soak.py): each execution is recorded.

Celery: the time each run starts goes to the Redis list `soak:start:<key>`
(the broker's Redis, from REDIS_URL) and each finished run counts in the
hash `soak:finish:<run>` (keys are `<run>-<n>`). Temporal: each run appends
`start <step> <key>` and `done <step> <key>` to a log file.
"""

from __future__ import annotations

import os
import time
from typing import Any

import redis

_clients: dict[int, redis.Redis] = {}


def _redis() -> redis.Redis:
    """One connection pool per process (pool processes are forked)."""
    pid = os.getpid()
    if pid not in _clients:
        _clients[pid] = redis.Redis.from_url(os.environ["REDIS_URL"])
    return _clients[pid]


def record(key: str, pause: float) -> dict[str, Any]:
    client = _redis()
    client.rpush(f"soak:start:{key}", repr(time.time()))
    if pause:
        time.sleep(pause)
    client.hincrby(f"soak:finish:{key.split('-', 1)[0]}", key, 1)  # per run
    return {"key": key}


def step(key: str, name: str, log: str) -> dict[str, Any]:
    _log(log, f"start {name} {key}")
    time.sleep(0.05)  # long enough to be caught mid-run by a kill
    _log(log, f"done {name} {key}")
    return {"step": name}


def _log(path: str, line: str) -> None:
    with open(path, "a", encoding="utf-8") as stream:  # one short append: atomic
        stream.write(line + "\n")
