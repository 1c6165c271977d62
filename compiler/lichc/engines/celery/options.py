"""How each jobs.yaml setting maps to Celery, in one place.

The Celery templates and `lichc explain` both read these functions, so the
explanation is always the code that is generated. No Celery import here.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from lichc.plan.ir import EndStep, Job, JobStep, ParallelStep, Plan, RunStep
from lichc.render.pysource import py_seconds

# soft limit this far below timeout (at most 10%)
SOFT_LIMIT_MARGIN = timedelta(seconds=1)
# Celery's result_expires; a job's `id` is remembered (claimed) just as long.
RESULT_EXPIRES = timedelta(days=1)
# How long a client's claim of an `id` lasts while it sends the message; a
# second start waits this long at most for a client that died while sending.
CLAIM_PENDING_TTL = timedelta(seconds=10)
# Redis visibility timeout: longest wait + longest attempt, plus this margin
# (at least VISIBILITY_MIN_MARGIN, else VISIBILITY_MARGIN of the sum).
VISIBILITY_MIN_MARGIN = timedelta(seconds=10)
VISIBILITY_MARGIN = 0.25


def job_task_name(plan: Plan, job: Job) -> str:
    """`<project>.<job>`: the task that starts a job by name (beat sends it),
    the job's own task if it has one step, else the one that sends its chain."""
    return f"{plan.project}.{job.snake}"


def task_name(
    plan: Plan, job: Job, step: RunStep | ParallelStep | EndStep | JobStep
) -> str:
    """The task that runs a step (a parallel step's joins its branches):
    `<project>.<job>` for a single-step job, `<project>.<job>.<step>` otherwise."""
    base = job_task_name(plan, job)
    return base if job.single else f"{base}.{step.name}"


def result_task_name(plan: Plan, job: Job) -> str:
    """The last task of a multi-step job with `result:`: computes and checks
    the job's result (`_result`: no step name starts with `_`)."""
    return f"{job_task_name(plan, job)}._result"


def resume_task_name(plan: Plan, job: Job, step: JobStep) -> str:
    """The task after a job step's child: its result becomes the step's."""
    return f"{task_name(plan, job, step)}.done"


def each_task_name(plan: Plan, job: Job, step: RunStep) -> str:
    """The chain's task of a for_each step, which sends its elements."""
    return f"{task_name(plan, job, step)}.each"


def join_task_name(plan: Plan, job: Job, step: RunStep) -> str:
    """The chord body that joins a for_each step's results."""
    return f"{task_name(plan, job, step)}.join"


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


def expires(step: RunStep, countdown: timedelta = timedelta(0)) -> timedelta | None:
    """`expires` of a step's first send, relative to the send: the earlier of
    queue_timeout and total_timeout, counted from when the message is due."""
    limits = [t for t in (step.queue_timeout, step.total_timeout) if t is not None]
    return countdown + min(limits) if limits else None


def longest_wait(plan: Plan) -> timedelta:
    """The longest time a Celery message may be held before it runs: a retry
    countdown (max_delay), the sleeps before a step (its countdown) or `expires`."""
    waits = [timedelta(0)]
    for job in plan.jobs_on("celery"):
        for step in job.run_steps():
            if step.retry.attempts != 1:
                waits.append(step.retry.max_delay)
            waits += [t for t in (step.queue_timeout, step.total_timeout) if t]
        # consecutive sleeps are one countdown of their sum
        waits += [sum((s.duration for s in r), timedelta(0)) for r in job.sleep_runs()]
    return max(waits)


def longest_attempt(plan: Plan) -> timedelta:
    steps = [s for job in plan.jobs_on("celery") for s in job.run_steps()]
    return max((time_limit(s) for s in steps), default=timedelta(0))


def visibility_timeout(wait: timedelta, attempt: timedelta) -> timedelta:
    """Redis redelivers a message not acknowledged within this time; with
    acks_late a message stays unacknowledged while it waits for its countdown
    and while it runs, so the timeout is set above the longest of both
    (`longest_wait` and `longest_attempt`)."""
    base = wait + attempt
    margin = max(VISIBILITY_MIN_MARGIN, base * VISIBILITY_MARGIN)
    return timedelta(seconds=round((base + margin).total_seconds()))


def tick_id(plan: Plan, job: Job, number: int, values: dict[str, Any]) -> str:
    """The base of the task ids of a schedule's ticks (JobScheduler appends the
    scheduled time, as Temporal does to a Schedule's workflow id): the job's
    `id` for the schedule's input, else `<project>.<job>.<n>` like the Temporal
    schedule id."""
    return job.id_for(values) or f"{plan.project}.{job.snake}.{number}"


def key_prefix(project: str) -> str:
    """How the Redis keys of a project's runtime start (id claims, dead letters)."""
    return f"lichc:{project}:"


def dead_letter_key(plan: Plan, job: Job) -> str | None:
    """The Redis hash (in the broker's Redis) that keeps a job's dead letters."""
    if job.dead_letter is None:
        return None
    return f"{key_prefix(plan.project)}dlq:{job.dead_letter}"


def dead_letter_retention(plan: Plan) -> dict[str, float]:
    """Seconds each dead-letter queue keeps a record (the rules make the jobs
    that share a queue agree on it)."""
    found: dict[str, float] = {}
    for job in sorted(plan.jobs_on("celery"), key=lambda j: j.dead_letter or ""):
        if job.dead_letter is not None and job.dead_letter_retention is not None:
            seconds = job.dead_letter_retention.total_seconds()
            found[job.dead_letter] = int(seconds) if seconds.is_integer() else seconds
    return found


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
            f"time_limit={py_seconds(time_limit(step))}, soft_time_limit={py_seconds(soft_time_limit(step))}; "
            "a timed-out attempt (soft or hard) is retried like any failure",
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
                f"no retry after {py_seconds(step.total_timeout)}s from the first send; message expires; "
                "the attempt in progress stops there",
            )
        )
    first = expires(step)
    if first is not None:
        rows.append(("expires", f"expires={py_seconds(first)} on the first send"))
    if step.queue_timeout is not None:
        rows.append(
            (
                "queue_timeout",
                f"message expires {py_seconds(step.queue_timeout)}s after each send is due; "
                "an expired message fails the job (JobExpired)",
            )
        )
    return rows


def message_names(plan: Plan, job: Job) -> tuple[str, ...]:
    """The tasks a queued message of the job may name: the job's own (or its
    chain's launcher), and each step's, parallel branches and joins included."""
    names = [job_task_name(plan, job)]
    if not job.single:
        for step in job.steps:
            if isinstance(step, ParallelStep):
                names += [task_name(plan, job, b) for b in step.branches]
            if isinstance(step, RunStep | ParallelStep):
                names.append(task_name(plan, job, step))
            if isinstance(step, JobStep):
                names += [task_name(plan, job, step), resume_task_name(plan, job, step)]
            if isinstance(step, RunStep) and step.for_each is not None:
                names += [
                    each_task_name(plan, job, step),
                    join_task_name(plan, job, step),
                ]
        if job.result is not None and job.result.value is not None:
            names.append(result_task_name(plan, job))
    return tuple(names)


# (kind, task name, queue) of one task a job registers (see public_names)
PublicName = tuple[str, str, str]


def public_names(plan: Plan, job: Job) -> tuple[PublicName, ...]:
    """Every task the job registers, as tests and mocks may rely on
    (docs/celery.md): `job` (a single-step job's task), `launcher` (sends a
    multi-step job's chain; beat sends it too), `step` (a run step or a
    parallel branch), `join` (a parallel step's chord body), `element`,
    `fan_out` and `join` of a for_each step, `child` and `resume` of a job
    step, and `end`. Each is named from task_name and its kin, as the
    templates are."""
    if job.single:
        only = next(job.run_steps())
        return (("job", job_task_name(plan, job), only.queue),)
    names: list[PublicName] = [("launcher", job_task_name(plan, job), job.queue)]
    for step in job.steps:
        if isinstance(step, ParallelStep):
            names += [("step", task_name(plan, job, b), b.queue) for b in step.branches]
            names.append(("join", task_name(plan, job, step), job.queue))
        elif isinstance(step, RunStep) and step.for_each is not None:
            names += [
                ("fan_out", each_task_name(plan, job, step), job.queue),
                ("element", task_name(plan, job, step), step.queue),
                ("join", join_task_name(plan, job, step), job.queue),
            ]
        elif isinstance(step, RunStep):
            names.append(("step", task_name(plan, job, step), step.queue))
        elif isinstance(step, JobStep):
            names += [
                ("child", task_name(plan, job, step), job.queue),
                ("resume", resume_task_name(plan, job, step), job.queue),
            ]
        elif isinstance(step, EndStep):
            names.append(("end", task_name(plan, job, step), job.queue))
    return tuple(names)


def client_exports(plan: Plan) -> list[str]:
    """Names `<project>.client` re-exports from `celery_client`."""
    names = []
    for job in plan.jobs_on("celery"):
        names += [job.start_function, f"cancel_{job.snake}"]
        names += [f"result_{job.snake}", f"run_{job.snake}"]
    return names


def explain_job(plan: Plan, job: Job) -> dict[str, str]:
    """What the job's settings become, for `lichc explain`."""
    targets = {
        "id": "Celery task id, claimed in Redis with SET NX before sending",
        "timeout": "no step of the chain starts after the deadline",
        "schedule": "Celery beat entry",
        "sleep": "countdown of the next task",
        "job": "its tasks run in this job's chain (Task.replace)",
    }
    if job.result is not None:
        where = (
            f"task {result_task_name(plan, job)}, last in the chain, computes it"
            if job.result.value is not None
            else "the job's task"
        )
        checked = (
            ", checked against its type (ResultInvalid)" if job.result.type else ""
        )
        targets["result"] = f"{where}{checked}; result_{job.snake} / run_{job.snake}"
    if job.rate_limit is not None:
        targets["rate_limit"] = f'rate_limit="{job.rate_limit}" (per worker)'
    if job.dead_letter is not None:
        targets["dead_letter"] = (
            "after the last attempt, stored in Redis hash "
            f"{dead_letter_key(plan, job)}; `lichc dlq list`"
        )
    return targets
