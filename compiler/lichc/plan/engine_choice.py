"""`engine: auto`: the seed's decision table, made executable.

Temporal when a job has more than one step, any `compensate`, `wait_for`,
`sleep` or `heartbeat`, or a `timeout` / `total_timeout` over 1h; otherwise
Celery. The reason is kept so that `lichc explain` and error messages can say
why an engine was chosen.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from lichc.fileformat.values import format_duration

if TYPE_CHECKING:
    from lichc.plan.ir import Engine, Job

LONG_RUNNING = timedelta(hours=1)


def temporal_reasons(job: Job) -> list[str]:
    """Why a job needs Temporal, in the order of the rule (empty: it does not)."""
    from lichc.plan.ir import ParallelStep, SleepStep, WaitStep

    reasons: list[str] = []
    step_count = sum(
        len(s.branches) if isinstance(s, ParallelStep) else 1 for s in job.steps
    )
    if step_count > 1:
        reasons.append(f"it has {step_count} steps")
    for step in job.run_steps():
        if step.compensate is not None:
            reasons.append(f"step {step.name} has a compensation")
    for s in job.steps:
        if isinstance(s, WaitStep):
            reasons.append(f"step {s.name} waits for signal '{s.signal}'")
        elif isinstance(s, SleepStep):
            reasons.append(f"step {s.name} sleeps {format_duration(s.duration)}")
    for step in job.run_steps():
        if step.heartbeat is not None:
            reasons.append(f"step {step.name} heartbeats")
        for key in ("timeout", "total_timeout"):
            value = getattr(step, key)
            if value is not None and value > LONG_RUNNING:
                reasons.append(f"its {key} of {format_duration(value)} is over 1h")
    if job.deadline is not None and job.deadline > LONG_RUNNING:
        reasons.append(f"its timeout of {format_duration(job.deadline)} is over 1h")
    return list(dict.fromkeys(reasons))


def choose(requested: str, job: Job) -> tuple[Engine, str]:
    if requested == "celery":
        return "celery", "set by `engine: celery`"
    if requested == "temporal":
        return "temporal", "set by `engine: temporal`"
    reasons = temporal_reasons(job)
    if reasons:
        return "temporal", "engine: auto chose temporal because " + "; ".join(reasons)
    return (
        "celery",
        "engine: auto chose celery because the job is a single short step "
        "with no compensate, wait_for, sleep or heartbeat",
    )
