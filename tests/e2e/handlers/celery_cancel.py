"""Handlers of the Celery cancel tests (tests/e2e/specs/celery_cancel.yaml).

Each records its calls in Redis (celery_jobs.record) under `calls:<key>`; the
blocked ones wait on the Redis list `release:<key>`, which the test pushes to
when the step may go on.
"""

from __future__ import annotations

import contextlib
import os
import time
from typing import Any

import redis
from celery.exceptions import SoftTimeLimitExceeded

from tests.e2e.handlers.celery_jobs import record

RELEASE_WAIT = 60  # seconds a blocked step waits for the test at most


def step(key: str, name: str) -> dict[str, Any]:
    record(key, step=name)
    return {"step": name}


def quick(key: str) -> dict[str, Any]:
    return step(key, "quick")


def queued(key: str) -> dict[str, Any]:
    return step(key, "queued")


def _wait_for_release(key: str) -> None:
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    if client.blpop([f"release:{key}"], timeout=RELEASE_WAIT) is None:
        raise TimeoutError(f"release:{key} was never pushed")


def blocked(key: str) -> dict[str, Any]:
    """Runs until the test releases it."""
    record(key, step="wait:started")
    _wait_for_release(key)
    record(key, step="wait:finished")
    return {"step": "wait"}


def blocked_then_fails(key: str) -> None:
    """Fails with a retryable error once the test releases it."""
    record(key, step="fail")
    _wait_for_release(key)
    raise ConnectionError(f"{key} fails")


def hang(key: str) -> None:
    """Ignores its soft time limit: only the hard one stops it."""
    record(key, step="hang")
    end = time.monotonic() + RELEASE_WAIT
    while time.monotonic() < end:
        with contextlib.suppress(SoftTimeLimitExceeded):
            time.sleep(0.05)
