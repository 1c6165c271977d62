"""How each jobs.yaml setting maps to Temporal, in one place.

The Temporal templates and `lichc explain` both read these functions, so the
explanation is always the code that is generated. No temporalio import here.
"""

from __future__ import annotations

import math
from datetime import timedelta

from lichc.plan.ir import Job, Plan, RunStep, WaitStep
from lichc.render.pysource import py_timedelta

# The workflow's execution timeout sits above the job's own deadline timer by
# the time the saga may need after it (see `saga_allowance`) plus a margin (10%
# of the deadline, at least 1 minute, at most 1 hour), so that the deadline
# fires first and the server never ends a run in the middle of a compensation.
DEADLINE_MARGIN_SHARE = 10
DEADLINE_MARGIN_MIN = timedelta(minutes=1)
DEADLINE_MARGIN_MAX = timedelta(hours=1)
# A compensation with `attempts: unlimited` and no `total_timeout` has no worst
# case; the backstop allows it this many attempts.
UNLIMITED_ATTEMPTS_ALLOWANCE = 10
# A heartbeating activity beats this many times per heartbeat timeout.
HEARTBEATS_PER_TIMEOUT = 3
# Sync handlers run in a thread pool of this size per task queue; the worker
# takes at most this many activities at once, so none waits for a thread.
ACTIVITY_THREADS = 32
# On SIGINT/SIGTERM the worker stops polling and lets running activities finish
# for this long before cancelling them.
GRACEFUL_SHUTDOWN = timedelta(seconds=30)


def activity_type(job: Job, step: RunStep, *, compensation: bool = False) -> str:
    """`<job>` for a single-step job, `<job>.<step>` otherwise (+ `.compensate`)."""
    name = job.snake if job.single else f"{job.snake}.{step.name}"
    return f"{name}.compensate" if compensation else name


def maximum_attempts(step: RunStep) -> int:
    return 0 if step.retry.attempts is None else step.retry.attempts


def retry_policy(step: RunStep) -> dict[str, str]:
    """Keyword arguments of the step's RetryPolicy, as Python source."""
    r = step.retry
    return {
        "initial_interval": py_timedelta(r.delay),
        "backoff_coefficient": repr(float(r.coefficient)),
        "maximum_interval": py_timedelta(r.max_delay),
        "maximum_attempts": str(maximum_attempts(step)),
    }


def activity_timeouts(step: RunStep) -> dict[str, timedelta]:
    """Activity timeout options of a step (section 5), only those that are set."""
    options = {
        "start_to_close_timeout": step.timeout,
        "schedule_to_close_timeout": step.total_timeout,
        "schedule_to_start_timeout": step.queue_timeout,
        "heartbeat_timeout": step.heartbeat,
    }
    return {key: value for key, value in options.items() if value is not None}


def cancellation_type(step: RunStep) -> str | None:
    """A step with a compensation is awaited when cancelled (it may finish, or
    stop part-way, and is then compensated); others keep TRY_CANCEL."""
    if step.compensate is None:
        return None
    return "WAIT_CANCELLATION_COMPLETED"


def heartbeat_interval(step: RunStep) -> timedelta | None:
    """How often a heartbeating activity beats on its own while its handler runs."""
    if step.heartbeat is None:
        return None
    return step.heartbeat / HEARTBEATS_PER_TIMEOUT


def execution_timeout(job: Job) -> timedelta | None:
    """A backstop above the job's own deadline timer: room for the saga, and a margin."""
    if job.deadline is None:
        return None
    margin = min(
        DEADLINE_MARGIN_MAX,
        max(DEADLINE_MARGIN_MIN, job.deadline / DEADLINE_MARGIN_SHARE),
    )
    return job.deadline + _whole_seconds(saga_allowance(job)) + margin


def _whole_seconds(duration: timedelta) -> timedelta:
    """Rounded up: retry delays can make fractions nobody wants to read."""
    return timedelta(seconds=math.ceil(duration.total_seconds()))


def saga_allowance(job: Job) -> timedelta:
    """The longest the saga can take once the deadline fires.

    A step with a compensation that is in flight is awaited (one attempt, at
    most its `timeout`; parallel branches together, so the longest), then every
    compensation runs one after another, each in its worst case.
    """
    undoable = [s for s in job.run_steps() if s.compensate is not None]
    if not undoable:
        return timedelta(0)
    in_flight = max(_attempt(s) for s in undoable)
    return in_flight + sum((worst_case(s) for s in undoable), timedelta(0))


def worst_case(step: RunStep) -> timedelta:
    """Longest an activity with this step's options can take, all retries included:
    every attempt waiting its `queue_timeout` for a worker and timing out, with
    the retry delays between them."""
    r = step.retry
    attempts = r.attempts
    if attempts is None:
        if step.total_timeout is not None:
            return step.total_timeout
        attempts = UNLIMITED_ATTEMPTS_ALLOWANCE
    delays = sum(r.delay_before_retry(n) for n in range(1, attempts))
    total = _attempt(step) * attempts + timedelta(seconds=delays)
    if step.total_timeout is not None:
        return min(total, step.total_timeout)
    return total


def _attempt(step: RunStep) -> timedelta:
    """Longest one attempt can take: its wait in the queue (schedule_to_start,
    per attempt), where bounded, then its run."""
    return step.timeout + (step.queue_timeout or timedelta(0))


def activities_per_second(plan: Plan) -> dict[str, float]:
    """Task queue -> max_task_queue_activities_per_second, from `rate_limit`."""
    return {
        job.queue: job.rate_limit.per_second
        for job in plan.jobs_on("temporal")
        if job.rate_limit is not None
    }


def schedule_id(plan: Plan, job: Job, index: int) -> str:
    """Stable id of a job's n-th schedule: create-or-update finds it again."""
    return f"{plan.project}.{job.snake}.{index}"


def explain(plan: Plan, job: Job, step: RunStep) -> list[tuple[str, str]]:
    """(setting, Temporal option) rows for `lichc explain`."""
    r = step.retry
    policy = ", ".join(f"{k}={v}" for k, v in retry_policy(step).items())
    rows = [
        ("activity", f'"{activity_type(job, step)}" on task_queue="{step.queue}"'),
        ("retry", f"RetryPolicy({policy})"),
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
    interval = heartbeat_interval(step)
    if step.heartbeat is not None and interval is not None:
        rows.append(
            (
                "heartbeat",
                f"heartbeat_timeout={py_timedelta(step.heartbeat)}; the activity "
                f"heartbeats on its own every {py_timedelta(interval)}",
            )
        )
    if step.compensate is not None:
        rows.append(
            (
                "compensate",
                f'"{activity_type(job, step, compensation=True)}" with this '
                "step's retry policy and timeouts, in reverse order on failure, "
                "deadline or cancel; the step itself is awaited when cancelled "
                "(cancellation_type=WAIT_CANCELLATION_COMPLETED)",
            )
        )
    return rows


def message_names(plan: Plan, job: Job) -> tuple[str, ...]:
    """What a client addresses: the workflow type (its activities' types are
    kept by lichc.evolution while runs may schedule them)."""
    return (job.name,)


# (kind, name, task queue) of one name a job's workers serve (see public_names)
PublicName = tuple[str, str, str | None]


def public_names(plan: Plan, job: Job) -> tuple[PublicName, ...]:
    """Every name the job's workflow and activities are registered and
    addressed by, as tests and mocks may rely on (docs/temporal.md): the
    `workflow` type (the job's name), the `query` status, each `signal` and
    `update` (a typed wait_for answered by the client), and the `activity` /
    `compensation` types of its run steps (a for_each step's elements are
    activities of its one type), from activity_type as the templates are.
    Activities kept for runs of older versions are not listed."""
    names: list[PublicName] = [("workflow", job.name, job.queue)]
    for wait in job.signals:
        names.append(("signal", wait.signal, None))
        if wait.payload is not None:
            names.append(("update", wait.signal, None))
    names.append(("query", "status", None))
    for step in job.run_steps():
        names.append(("activity", activity_type(job, step), step.queue))
        if step.compensate is not None:
            undo = activity_type(job, step, compensation=True)
            names.append(("compensation", undo, step.queue))
    return tuple(names)


def answer_function(job: Job, wait: WaitStep) -> str:
    """The client function that answers a typed signal as an Update."""
    return f"answer_{job.snake}_{wait.signal}"


def client_exports(plan: Plan) -> list[str]:
    """Names `<project>.client` re-exports from `temporal_client`."""
    names = ["connect", "run_sync", "Started"]
    answers = False
    for job in plan.jobs_on("temporal"):
        names += [job.start_function, f"run_{job.snake}", f"status_{job.snake}"]
        names += [f"{job.start_function}_sync", f"run_{job.snake}_sync"]
        names.append(f"cancel_{job.snake}")
        names += [f"signal_{job.snake}_{wait.signal}" for wait in job.signals]
        typed = [wait for wait in job.signals if wait.payload is not None]
        names += [answer_function(job, wait) for wait in typed]
        answers = answers or bool(typed)
    if answers:  # what the answer functions raise when a run refuses
        names += ["AlreadyAnswered", "AnswerRefused", "NotWaiting", "PayloadInvalid"]
    return names


def explain_job(plan: Plan, job: Job) -> dict[str, str]:
    """What the job's settings become, for `lichc explain`."""
    targets = {
        "id": "workflow id; id_reuse_policy=REJECT_DUPLICATE, id_conflict_policy=USE_EXISTING",
        "schedule": "Temporal Schedule",
        "sleep": "workflow.sleep (durable timer)",
        "job": "a child workflow (id <workflow id>.<step>), cancelled with this one",
    }
    if job.deadline is not None:
        backstop = py_timedelta(execution_timeout(job) or job.deadline)
        targets["timeout"] = (
            "deadline timer in the workflow (compensate, then fail); "
            f"execution_timeout={backstop}"
        )
    if job.result is not None:
        checked = (
            ", checked with a pydantic TypeAdapter (ResultInvalid)"
            if job.result.type
            else ""
        )
        targets["result"] = f"what the workflow's run returns{checked}"
    if job.rate_limit is not None:
        targets["rate_limit"] = (
            f"max_task_queue_activities_per_second={job.rate_limit.per_second:g} "
            f"on queue {job.queue}"
        )
    return targets
