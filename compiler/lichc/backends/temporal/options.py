"""How each jobs.yaml setting maps to Temporal, in one place.

The Temporal templates and `lichc explain` both read these functions, so the
explanation is always the code that is generated. No temporalio import here.
"""

from __future__ import annotations

from datetime import timedelta

from lichc.plan import Job, Plan, RunStep
from lichc.pysource import py_timedelta


def activity_type(job: Job, step: RunStep, *, compensation: bool = False) -> str:
    """`<job>` for a single-step job, `<job>.<step>` otherwise (+ `.compensate`)."""
    name = job.snake if job.single else f"{job.snake}.{step.name}"
    return f"{name}.compensate" if compensation else name


def maximum_attempts(step: RunStep) -> int:
    return 0 if step.retry.attempts is None else step.retry.attempts


def execution_timeout(job: Job) -> timedelta | None:
    """A backstop a margin above the job's own deadline timer."""
    if job.deadline is None:
        return None
    margin = min(timedelta(hours=1), max(timedelta(minutes=1), job.deadline / 10))
    return job.deadline + margin


def explain(job: Job, step: RunStep) -> list[tuple[str, str]]:
    """(setting, Temporal option) rows for `lichc explain`."""
    r = step.retry
    rows = [
        ("activity", f'"{activity_type(job, step)}" on task_queue="{step.queue}"'),
        (
            "retry",
            f"RetryPolicy(maximum_attempts={maximum_attempts(step)}, initial_interval={py_timedelta(r.delay)}, "
            f"backoff_coefficient={r.coefficient}, maximum_interval={py_timedelta(r.max_delay)})",
        ),
        ("timeout", f"start_to_close_timeout={py_timedelta(step.timeout)}"),
    ]
    if r.retry_on:
        rows.append(
            ("retry.retry_on", "others raised as ApplicationError(non_retryable=True)")
        )
    if r.non_retryable:
        rows.append(
            (
                "retry.non_retryable",
                "raised as ApplicationError(non_retryable=True) (isinstance)",
            )
        )
    if step.total_timeout is not None:
        rows.append(
            (
                "total_timeout",
                f"schedule_to_close_timeout={py_timedelta(step.total_timeout)}",
            )
        )
    if step.queue_timeout is not None:
        rows.append(
            (
                "queue_timeout",
                f"schedule_to_start_timeout={py_timedelta(step.queue_timeout)}",
            )
        )
    if step.heartbeat is not None:
        rows.append(
            (
                "heartbeat",
                f"heartbeat_timeout={py_timedelta(step.heartbeat)}; the activity heartbeats on its own",
            )
        )
    return rows


def client_exports(plan: Plan) -> list[str]:
    """Names `<project>.client` re-exports from `temporal_client`."""
    names = ["connect"]
    for job in plan.jobs_on("temporal"):
        names += [f"start_{job.snake}", f"run_{job.snake}", f"status_{job.snake}"]
        names += [f"signal_{job.snake}_{wait.signal}" for wait in job.signals]
    return names
