"""`JobRequest`, the worker's view of a message (`JobTask.Request`): a hard
time limit or a lost pool process becomes a counted attempt, an attempt's time
limits end at the job's, and an expired message fails its job."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from billiard.einfo import ExceptionInfo
from celery import states
from celery.app.task import Context as Request_
from celery.exceptions import TimeLimitExceeded, WorkerLostError
from celery.signals import task_failure, task_revoked
from celery.worker import state as worker_state
from celery.worker.request import Request
from celery.worker.state import task_ready

from . import spec
from .cancel import REASON, cancelled, claim_outcome, run_of
from .policy import FIRST_DUE, JobExpired, job_deadline, logger
from .task import JobTask


class JobRequest(Request):
    """The worker's view of a message: a hard time limit or a lost pool
    process becomes a retry, and an attempt's time limits end at the job's.

    Celery fails a task that hits its hard `time_limit`; jobs.yaml says a
    timed-out attempt is retried like any other failed attempt. The pool
    reports a hard timeout twice (on_failure, then on_timeout): the first
    decides, once, and both step aside when the attempt is retried.

    Celery requeues a task whose pool process died (`reject_on_worker_lost`)
    without counting it, so a handler that kills its process would run
    forever; here that attempt counts: retried with the policy's countdown, or
    failed (and dead-lettered) when no attempt is left.
    """

    timeout_retried: bool | None = None
    _already_revoked: bool = False  # Celery's, typed
    _already_cancelled: bool = False  # Celery's, typed
    lost_failed = False  # a lost attempt was failed (no retry left)
    # the failure for good decided here (not in the pool) is the run's: None
    # until claimed, False when the run was cancelled first (the task dropped)
    outcome_claimed: bool | None = None
    dropped = False  # dropped as a task of a cancelled run: nothing more to do
    message_limits: tuple[float | None, float | None] = (None, None)

    @property
    def time_limits(self) -> tuple[float | None, float | None]:
        """(hard, soft) limits of the attempt, read by the worker as it
        starts it: the task's, or the message's, cut to end at the job's
        total_timeout or deadline."""
        hard, soft = self.message_limits
        hard = hard or self.task.time_limit
        soft = soft or self.task.soft_time_limit
        end = self.attempt_deadline()
        if hard is None or end is None:
            return hard, soft
        left = end - time.time()
        if left <= 0 or left >= hard:
            # past the end: the expiry and deadline checks fail it clearly
            return hard, soft
        return left, min(soft or left, left - min(spec.SOFT_LIMIT_MARGIN, left / 10))

    @time_limits.setter
    def time_limits(self, limits: tuple[float | None, float | None]) -> None:
        self.message_limits = limits

    def attempt_deadline(self) -> float | None:
        """When the job's total_timeout or deadline ends, None without one."""
        task = self.task
        if not isinstance(task, JobTask):
            return None
        ends = []
        first_due = self.request_dict.get(FIRST_DUE)
        if task.policy.total_timeout is not None and first_due is not None:
            ends.append(float(first_due) + task.policy.total_timeout)
        deadline = job_deadline(self.args)
        if deadline is not None:
            ends.append(deadline)
        return min(ends, default=None)

    def on_failure(
        self, exc_info: Any, send_failed_event: bool = True, return_ok: bool = False
    ) -> None:
        if self.dropped:
            return
        exc = getattr(exc_info.exception, "exc", exc_info.exception)
        if isinstance(exc, TimeLimitExceeded) and self.retry_timed_out(exc):
            return
        if isinstance(exc, TimeLimitExceeded) and self.run_cancelled():
            return
        if isinstance(exc, WorkerLostError) and self.worker_lost(exc, exc_info):
            return
        if isinstance(exc, (SystemExit, KeyboardInterrupt)) and not self.stopped():
            # a handler's sys.exit(): its process exits; Celery would requeue
            # it as a lost worker, uncounted, forever
            try:
                raise WorkerLostError(f"the handler exited its process: {exc!r}")
            except WorkerLostError as lost:
                if self.worker_lost(lost, ExceptionInfo()):
                    return
        super().on_failure(exc_info, send_failed_event, return_ok)

    def stopped(self) -> bool:
        """Whether the worker cancelled (connection loss) or revoked the task:
        its process was ended on purpose, not a failed attempt."""
        return bool(self._already_cancelled or self._already_revoked)

    def worker_lost(self, exc: WorkerLostError, exc_info: Any) -> bool:
        """Retry or fail an attempt whose pool process died; False leaves it
        to Celery (a shutting-down worker requeues its tasks uncounted)."""
        task = self.task
        if not isinstance(task, JobTask) or worker_state.should_terminate:
            return False
        if self.stopped():
            return False
        if self.lost_failed:
            return True  # reported twice (the exit, then the process's end)
        if self.succeeded_before():
            return False  # it completed and the process died afterwards
        if self.retry_timed_out(exc):
            return True
        if self.run_cancelled():
            return True
        self.lost_failed = True
        task_ready(self)
        logger.error("%s[%s] failed: %s", self.name, self.id, exc)
        context = self.context()
        task.backend.mark_as_failure(self.id, exc, exc_info.traceback, request=context)
        task.request_stack.push(context)  # the attempt count, for on_failure
        try:
            task.on_failure(exc, self.id, self.args, self.kwargs, exc_info)
            task_failure.send(
                sender=task,
                task_id=self.id,
                exception=exc,
                args=self.args,
                kwargs=self.kwargs,
                traceback=exc_info.traceback,
                einfo=exc_info,
            )
        finally:
            task.request_stack.pop()
        self.acknowledge()
        self.send_event("task-failed", exception=repr(exc), traceback="")
        return True

    def on_timeout(self, soft: bool, timeout: float) -> None:
        task = self.task
        if soft or not isinstance(task, JobTask):
            super().on_timeout(soft, timeout)
            return
        if self.dropped:
            return
        if self.retry_timed_out(TimeLimitExceeded(timeout)):
            return
        if self.run_cancelled():
            return
        task.request_stack.push(self.context())  # the attempt count, for on_failure
        try:
            super().on_timeout(soft, timeout)
        finally:
            task.request_stack.pop()

    def succeeded_before(self) -> bool:
        """Whether the task stored its success (unknown when the result
        backend cannot be read: then the attempt counts as failed)."""
        try:
            return bool(self.task.backend.get_state(self.id) == states.SUCCESS)
        except Exception:
            logger.exception("could not read the state of %s[%s]", self.name, self.id)
            return False

    def retry_timed_out(self, exc: TimeLimitExceeded | WorkerLostError) -> bool:
        """Send the next attempt of a killed one; False when none is due."""
        task = self.task
        if self.timeout_retried is not None or not isinstance(task, JobTask):
            return bool(self.timeout_retried)
        context = self.context()
        options = task.retry_options(exc, context)
        self.timeout_retried = options is not None
        if options is None:
            return False
        if cancelled(self.run_id()):  # a cancelled run sends no retry
            self.drop_cancelled()
            return True
        logger.error(
            "%s[%s] was killed (%r); retrying in %.1fs",
            self.name,
            self.id,
            exc,
            options["countdown"],
        )
        task_ready(self)
        task.signature_from_request(
            context, retries=context.retries + 1, **options
        ).apply_async()
        task.backend.mark_as_retry(self.id, exc, request=context)
        self.acknowledge()
        self.send_event("task-retried", exception=repr(exc), traceback="")
        return True

    def revoked(self) -> bool:
        """Whether to skip the message; an expired one also fails its job.

        Celery's own expiry stores REVOKED and acks the message at once: a
        worker dying before the job was failed would leave it unfinished
        forever, and a client waiting on the task would see TaskRevokedError.
        An expired job's task is failed (JobExpired: its result, chain, chord
        and dead letter) first, and its message acked only after that.
        """
        if self._already_revoked:
            return True
        if not self.has_expired():
            return bool(super().revoked())
        try:
            if self.run_cancelled():
                return True
            self.fail_expired()
        except Exception:
            # left unacked: delivered again (after a restart or the broker's
            # visibility timeout) and failed then
            logger.exception("could not fail the expired %s[%s]", self.name, self.id)
            return True
        task_ready(self)
        self.acknowledge()
        self._already_revoked = True
        self.send_event("task-revoked", terminated=False, signum=None, expired=True)
        task_revoked.send(
            sender=self.task,
            request=self.context(),
            terminated=False,
            signum=None,
            expired=True,
        )
        return True

    def run_id(self) -> str:
        return run_of(self.args, self.id)

    def run_cancelled(self) -> bool:
        """For a failure for good decided here (a killed attempt with none
        left, an expired message): claim the run's outcome, once; True, and
        the task dropped as revoked, when the run was cancelled first."""
        if self.outcome_claimed is None:
            self.outcome_claimed = claim_outcome(self.run_id())
            if not self.outcome_claimed:
                self.drop_cancelled()
        return not self.outcome_claimed

    def drop_cancelled(self) -> None:
        """A task of a cancelled run: REVOKED (no request: a chord's branch
        must not fail its chord), acknowledged, neither failed nor
        dead-lettered."""
        logger.info(
            "%s[%s]: its run %s was cancelled", self.name, self.id, self.run_id()
        )
        self.dropped = True
        task_ready(self)
        self.task.backend.mark_as_revoked(self.id, REASON)
        self.acknowledge()
        self._already_revoked = True
        self.send_event("task-revoked", terminated=False, signum=None, expired=False)

    def has_expired(self) -> bool:
        expires = self.expires
        if not isinstance(self.task, JobTask) or expires is None:
            return False
        return datetime.now(UTC if expires.tzinfo else None) > expires

    def fail_expired(self) -> None:
        """Fail an expired task and the rest of its chain (and its chord, for
        a `parallel` branch), and dead-letter it."""
        task = self.task
        assert isinstance(task, JobTask)
        assert self.expires is not None
        exc = JobExpired(
            f"{self.name} expired before it ran (at "
            f"{self.expires.isoformat()}, from queue_timeout or total_timeout)"
        )
        logger.error("%s[%s] failed: %s", self.name, self.id, exc)
        context = self.context()
        task.backend.mark_as_failure(self.id, exc, request=context)
        task.request_stack.push(context)  # the attempt count, for on_failure
        try:
            task.on_failure(exc, self.id, self.args, self.kwargs, None)
        finally:
            task.request_stack.pop()

    def context(self) -> Request_:
        """The task's request, with chain and chord, as the pool process sees it."""
        _, _, embed = self.message.payload
        return Request_({**self.request_dict, **(embed or {})})
