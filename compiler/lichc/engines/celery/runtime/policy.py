"""The retry policy of a task, the errors the runtime raises, and the job
deadline a multi-step job's chain carries."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any

from celery.exceptions import (
    SoftTimeLimitExceeded,
    TimeLimitExceeded,
    WorkerLostError,
)
from celery.utils.log import get_task_logger

from . import spec

FIRST_DUE = "lichc_first_due"  # message header: when the first send was due
# failed attempts that are retried whatever retry_on or non_retryable say:
# timeouts, and a pool process that died under the handler
ALWAYS_RETRIED = (SoftTimeLimitExceeded, TimeLimitExceeded, WorkerLostError)

# one logger for the whole runtime package, named after it (`shop.celery_runtime`)
logger = get_task_logger(__name__.rpartition(".")[0])


class JobDeadlineExceeded(Exception):
    """A step of a multi-step job was due to start after the job's `timeout`."""


class JobExpired(Exception):
    """A job's message expired (queue_timeout, total_timeout) before it ran."""


class MissingField(Exception):
    """`${steps.S.F}`: step S returned no field F. Never retried: the step
    that returned the result has completed and will not return another."""


class JobFailed(Exception):
    """An end step's `fail`: the job fails with its message, unretried."""


class ResultInvalid(Exception):
    """A job's result does not fit its `result:` type. Never retried: the
    steps that made it have completed."""


class ForEachError(Exception):
    """A for_each step's list is not a list. Never retried."""


class ConditionError(Exception):
    """An `if` compared values that cannot be compared. Never retried: the
    values are the job's own and will not change."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int | None  # total attempts, None: unlimited
    delay: float
    factor: float
    max_delay: float
    jitter: bool = False
    retry_on: tuple[type[BaseException], ...] = ()  # empty: every error
    non_retryable: tuple[type[BaseException], ...] = ()

    def retries(self, exc: BaseException) -> bool:
        """Whether this error may be retried (timeouts and lost workers always
        may, a missing result field never)."""
        if isinstance(exc, ALWAYS_RETRIED):
            return True
        if isinstance(exc, (MissingField, ConditionError, *self.non_retryable)):
            return False
        return not self.retry_on or isinstance(exc, self.retry_on)

    def countdown(self, retry: int) -> float:
        """Seconds before retry `retry` (counting from 1)."""
        wait = min(self.max_delay, self.delay * self.factor ** (retry - 1))
        return random.uniform(0, wait) if self.jitter else wait


@dataclass(frozen=True)
class Policy:
    """The settings of one task that Celery has no option for."""

    retry: RetryPolicy
    total_timeout: float | None = None
    queue_timeout: float | None = None
    dead_letter: str | None = None  # dead-letter queue name
    once: bool = False  # the job has an `id`: a completed task never runs again


def chain_context(args: Any) -> dict[str, Any] | None:
    """The context a multi-step job's chain carries (a step's first argument;
    a join's first branch's; a job step's resume task's second, after the
    child's result), None for a single-step job's task."""
    first = args[0] if args else None
    if isinstance(first, list) and first:
        first = first[0]
    second = args[1] if len(args) > 1 else None
    for value in (first, second):
        if isinstance(value, dict) and "steps" in value and "input" in value:
            return value
    return None


def job_deadline(args: Any) -> float | None:
    """The deadline carried by a multi-step job's chain."""
    deadline = (chain_context(args) or {}).get("deadline")
    return float(deadline) if deadline is not None else None


def reached(deadline: float | None) -> bool:
    """Whether a soft time limit that fired now was the deadline's (the soft
    limit is at most SOFT_LIMIT_MARGIN below it)."""
    return deadline is not None and time.time() + spec.SOFT_LIMIT_MARGIN >= deadline
