"""How each jobs.yaml setting maps to Celery, in one place.

The Celery templates and `lichc explain` both read these functions, so the
explanation is always the code that is generated. No Celery import here.
"""

from __future__ import annotations

from datetime import timedelta

from lichc.plan import Job, Plan, RunStep
from lichc.pysource import py_seconds

SOFT_LIMIT_MARGIN = timedelta(
    seconds=1
)  # soft limit this far below timeout (at most 10%)


def task_name(plan: Plan, job: Job, step: RunStep) -> str:
    """`<project>.<job>` for a single-step job, `<project>.<job>.<step>` otherwise."""
    base = f"{plan.project}.{job.snake}"
    return base if job.single else f"{base}.{step.name}"


def max_retries(step: RunStep) -> int | None:
    return None if step.retry.attempts is None else step.retry.attempts - 1


def time_limit(step: RunStep) -> timedelta:
    """The hard limit: the worker child is killed when an attempt runs this long."""
    return step.timeout


def soft_time_limit(step: RunStep) -> timedelta:
    """Raised inside the handler (SoftTimeLimitExceeded) just before the hard limit."""
    if step.soft_timeout is not None:
        return step.soft_timeout
    return step.timeout - min(SOFT_LIMIT_MARGIN, step.timeout / 10)


def explain(plan: Plan, job: Job, step: RunStep) -> list[tuple[str, str]]:
    """(setting, Celery option) rows for `lichc explain`."""
    r = step.retry
    rows = [
        (
            "task",
            f'name="{task_name(plan, job, step)}", queue="{step.queue}", acks_late=True, reject_on_worker_lost=True',
        ),
        ("retry.attempts", f"max_retries={max_retries(step)}"),
        (
            "retry.delay/factor/max_delay",
            "countdown of retry n = min({}, {} * {}**(n-1)){}".format(
                py_seconds(r.max_delay),
                py_seconds(r.delay),
                r.coefficient,
                ", drawn from [0, that]" if r.jitter else "",
            ),
        ),
        (
            "timeout",
            f"time_limit={py_seconds(time_limit(step))}, soft_time_limit={py_seconds(soft_time_limit(step))}",
        ),
    ]
    if r.retry_on:
        rows.append(
            (
                "retry.retry_on",
                "only these are retried (isinstance); others fail at once",
            )
        )
    if r.non_retryable:
        rows.append(
            ("retry.non_retryable", "fail at once (isinstance, subclasses match)")
        )
    if step.total_timeout is not None:
        rows.append(
            (
                "total_timeout",
                f"no retry after {py_seconds(step.total_timeout)}s from the first send; message expires",
            )
        )
    if step.queue_timeout is not None:
        rows.append(
            (
                "queue_timeout",
                f"message expires {py_seconds(step.queue_timeout)}s after each send",
            )
        )
    return rows


def client_exports(plan: Plan) -> list[str]:
    """Names `<project>.client` re-exports from `celery_client`."""
    return [f"start_{job.snake}" for job in plan.jobs_on("celery")]
