"""What every generated Celery task shares: the retry, timeout, id and
dead-letter rules of the jobs file, written once instead of in every task.

This package is copied as it is into the generated project as
`<project>/celery_runtime/`; the values of the jobs file come from its
generated `spec` module. The rules:

- Retry n (from 1) waits min(max_delay, delay * factor**(n-1)) seconds, drawn
  from [0, that] with jitter; `Task.retry` is called with that countdown.
- A timed-out attempt is a failed attempt: the soft limit raises
  SoftTimeLimitExceeded in the handler and is retried like any error; the hard
  limit kills the pool process and `JobRequest.on_timeout` sends the retry.
- `expires` of each send is the earlier of queue_timeout after the message is
  due and total_timeout after the first send was due; no retry is sent past
  total_timeout or the job's deadline.
- An attempt never runs past total_timeout or the job's deadline: its time
  limits are cut to what is left when it starts (`JobRequest.time_limits`).
- A pool process that dies mid-task (OOM kill, segfault) is a failed attempt,
  retried like a hard timeout (`JobRequest.on_failure`).
- A message that expires before it runs fails the job with `JobExpired`: its
  own result, and the rest of its chain, so `start_x(...).get()` raises.
- A message naming an input field the job no longer has runs without it
  (`TolerantTask`); a field added with a default gets its default.
- A message for a task the worker does not have (its job or step left
  jobs.yaml while it was queued) is kept in the `lichc:unregistered`
  dead-letter queue, not dropped.
- A for_each step is a chord of `max_parallel` lanes of element tasks
  (`elements`); an element failed for good stops the rest of its step.
- After the last attempt, jobs with `dead_letter` store the task, its
  arguments, the error, the traceback and the attempt count in Redis.
- A cancelled run (`cancel_run`) is REVOKED at once; none of its tasks starts,
  retries or stores a result after that; a step already running finishes.
"""

from __future__ import annotations

from .beat import JobScheduler, scheduled_id, zoned_crontab
from .cancel import Cancelled, cancel_run
from .chain import (
    Context,
    call,
    contains,
    end_job,
    end_result,
    ended,
    field_or_none,
    item_field,
    item_field_or_none,
    merge,
    message,
    new_context,
    ordered,
    run_job,
    skipped,
    step_field,
    with_result,
)
from .dead_letters import DeadLetters, find_dead_letter, keep_unregistered
from .elements import element_done, fan_out, joined, stopped
from .ids import broker_redis, results_redis, send_once
from .policy import (
    ConditionError,
    ForEachError,
    JobDeadlineExceeded,
    JobExpired,
    JobFailed,
    MissingField,
    Policy,
    ResultInvalid,
    RetryPolicy,
    job_deadline,
)
from .request import JobRequest
from .results import checked_result
from .start import checked_id, countdown, later
from .task import JobTask, RunTask, TolerantTask, stamp_first_due
from .typed import to_json, typed_element, typed_input

__all__ = [
    "Cancelled",
    "ConditionError",
    "Context",
    "DeadLetters",
    "ForEachError",
    "JobDeadlineExceeded",
    "JobExpired",
    "JobFailed",
    "JobRequest",
    "JobScheduler",
    "JobTask",
    "MissingField",
    "Policy",
    "ResultInvalid",
    "RetryPolicy",
    "RunTask",
    "TolerantTask",
    "broker_redis",
    "call",
    "cancel_run",
    "checked_id",
    "checked_result",
    "contains",
    "countdown",
    "element_done",
    "end_job",
    "end_result",
    "ended",
    "fan_out",
    "field_or_none",
    "find_dead_letter",
    "item_field",
    "item_field_or_none",
    "job_deadline",
    "joined",
    "keep_unregistered",
    "later",
    "merge",
    "message",
    "new_context",
    "ordered",
    "results_redis",
    "run_job",
    "scheduled_id",
    "send_once",
    "skipped",
    "stamp_first_due",
    "step_field",
    "stopped",
    "to_json",
    "typed_element",
    "typed_input",
    "with_result",
    "zoned_crontab",
]
