"""Celery's rules beyond its capability table: a chain needs a task, and a
sleep is the countdown of the task after it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlsplit

from lichc.diagnostics import Diagnostic
from lichc.fileformat.values import format_duration
from lichc.plan.ir import Job, Plan, SleepStep

CELERY_MAX_SLEEP = timedelta(hours=1)


def check_plan(plan: Plan) -> Iterator[Diagnostic]:
    for key in ("broker", "result_backend"):
        value = getattr(plan.celery, key)
        example = value.example()
        if example is not None and not _is_redis_url(example):
            yield Diagnostic(
                f"'{example}' is not a Redis URL",
                ("celery", key),
                "lichc supports Redis: redis://host:6379/0 or rediss:// for TLS",
            )


def _is_redis_url(text: str) -> bool:
    if not text.startswith(("redis://", "rediss://")):
        return False
    try:
        urlsplit(text)  # e.g. an unclosed [ of an IPv6 host
    except ValueError:
        return False
    return True


def check_job(plan: Plan, job: Job) -> Iterator[Diagnostic]:
    if not any(True for _ in job.run_steps()):
        yield Diagnostic(
            f"job {job.name} has no step that runs a handler, and a Celery chain "
            "needs at least one",
            (*job.path, "steps"),
            "add a `run` step, or use `engine: temporal` for a job of timers and signals",
        )
    yield from _sleeps(job)
    yield from _trailing_sleep(job)


def _sleeps(job: Job) -> Iterator[Diagnostic]:
    """Consecutive sleeps become one countdown of the next task, so their sum
    is what must stay within the limit; the error points at the last of them."""
    durable = "use `engine: temporal` for durable timers"
    for run in job.sleep_runs():
        total = sum((s.duration for s in run), timedelta(0))
        if total <= CELERY_MAX_SLEEP:
            continue
        if len(run) == 1:
            what = f"a Celery sleep is a countdown and may be at most 1h (got {format_duration(total)})"
            hint = f"long countdowns sit in the broker; {durable}"
        else:
            parts = " + ".join(format_duration(s.duration) for s in run)
            what = (
                f"consecutive Celery sleeps {', '.join(s.name for s in run)} are one "
                f"countdown of {format_duration(total)} ({parts}), and it may be at most 1h"
            )
            hint = f"keep the sleeps between two steps within 1h in all, or {durable}"
        yield Diagnostic(what, (*run[-1].path, "sleep"), hint)


def _trailing_sleep(job: Job) -> Iterator[Diagnostic]:
    """A sleep is the countdown of the task after it: a last sleep has none,
    and would be dropped (a job of sleeps alone has its own error)."""
    if not job.steps or not isinstance(job.steps[-1], SleepStep):
        return
    if all(isinstance(s, SleepStep) for s in job.steps):
        return
    last = job.steps[-1]
    yield Diagnostic(
        f"sleep {last.name} has no following step: a Celery sleep is the countdown "
        "of the next task, so a sleep at the end would do nothing",
        (*last.path, "sleep"),
        "remove it, or add a step after it",
    )
