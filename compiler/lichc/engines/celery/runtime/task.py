"""`JobTask`, the base class of the generated tasks: retries, expiry and
deadline of each attempt, the `id` rule, and dead letters after the last one;
`RunTask`, its base and that of a chain's other tasks: a cancelled run stops."""

from __future__ import annotations

import contextvars
import inspect
import time
from datetime import UTC, datetime
from functools import cache
from types import TracebackType
from typing import Any, NoReturn

from celery import Task, states
from celery.app.task import Context as Request_
from celery.exceptions import Ignore, Reject, Retry, SoftTimeLimitExceeded

from . import spec
from .cancel import REASON, Cancelled, cancelled, claim_outcome, run_of
from .dead_letters import DeadLetters
from .elements import stop_elements
from .job_context import running
from .policy import (
    FIRST_DUE,
    JobDeadlineExceeded,
    JobExpired,
    Policy,
    job_deadline,
    logger,
    reached,
)


class TolerantTask(Task[Any, Any]):
    """A task that runs a message naming an input field jobs.yaml no longer
    has (one queued before the field was removed): the field is dropped, with
    a warning, where Celery would fail the message with a TypeError. Sending
    stays strict: Celery checks a message's arguments against the task's
    signature before it is sent (`typing`)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        known = _keywords(self.run)
        if known is not None and not kwargs.keys() <= known:
            retired = sorted(kwargs.keys() - known)
            logger.warning(
                "%s: ignored %s, no longer input fields of the job (the message "
                "was sent by an earlier version)",
                self.name,
                ", ".join(retired),
            )
            kwargs = {k: v for k, v in kwargs.items() if k in known}
        return super().__call__(*args, **kwargs)


@cache
def _keywords(run: Any) -> frozenset[str] | None:
    """The keyword arguments `run` takes; None if it takes any (`**kwargs`)."""
    params = inspect.signature(run).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    return frozenset(
        p.name for p in params if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
    )


class RunTask(TolerantTask):
    """A task of a run (a job's own task, or one of its chain's): it does not
    start, retry or store its run's outcome once the run was cancelled (the
    cancel module)."""

    def run_id(self) -> str:
        return run_of(self.request.args, str(self.request.id))

    def before_start(
        self, task_id: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        self.stop_if_cancelled()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.request.called_directly:
            return super().__call__(*args, **kwargs)
        try:
            result = super().__call__(*args, **kwargs)
        except (Ignore, Retry, Reject):
            raise
        except Exception:
            self.claim_outcome()  # a failure for good: the run fails
            raise
        if self.request.id == self.run_id():
            self.claim_outcome()  # the run's last task: its result is the run's
        return result

    def stop_if_cancelled(self) -> None:
        run = self.run_id()
        if cancelled(run):
            self.stop(run)

    def claim_outcome(self) -> None:
        """This task is about to store its run's outcome: stop instead when
        the run was cancelled first."""
        run = self.run_id()
        if not claim_outcome(run):
            self.stop(run)

    def stop(self, run: str) -> NoReturn:
        logger.info("%s[%s]: its run %s was cancelled", self.name, self.request.id, run)
        # no request: a chord's branch must not fail its chord
        self.backend.mark_as_revoked(str(self.request.id), REASON)
        raise Cancelled(f"run {run} was cancelled")


class JobTask(RunTask):
    """Base class of the generated tasks (`@app.task(base=JobTask, policy=...)`)."""

    # the worker's view of its messages, in this package's `request` module
    Request = f"{__name__.rpartition('.')[0]}.request:JobRequest"
    acks_late = True
    reject_on_worker_lost = True
    policy: Policy

    def attempt(self) -> Attempt:
        """`with self.attempt():` turns a handler's error into a retry or a failure."""
        return Attempt(self)

    def before_start(
        self, task_id: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        super().before_start(task_id, args, kwargs)
        if self.policy.once and self.backend.get_state(task_id) == states.SUCCESS:
            # A redelivered message of a job with an `id` that already completed.
            raise Ignore()
        deadline = job_deadline(args)
        if deadline is not None and time.time() > deadline:
            self.claim_outcome()
            raise JobDeadlineExceeded(
                f"{self.name} was due after the job's deadline "
                f"({datetime.fromtimestamp(deadline, UTC).isoformat()})"
            )

    def retry_options(
        self, exc: BaseException, request: Request_
    ) -> dict[str, Any] | None:
        """Options of the next attempt's message, or None to give up."""
        policy = self.policy
        retry = request.retries + 1
        if not policy.retry.retries(exc):
            return None
        if policy.retry.attempts is not None and retry >= policy.retry.attempts:
            return None
        countdown = policy.retry.countdown(retry)
        now = time.time()
        due = now + countdown
        headers = dict(request.headers or {})
        first_due = float(headers.get(FIRST_DUE) or now)
        headers[FIRST_DUE] = first_due
        limits = []
        if policy.total_timeout is not None:
            limits.append(first_due + policy.total_timeout)
        deadline = job_deadline(request.args or ())
        if deadline is not None:
            limits.append(deadline)
        if any(due >= limit for limit in limits):
            return None
        if policy.queue_timeout is not None:
            limits.append(due + policy.queue_timeout)
        expires = datetime.fromtimestamp(min(limits), UTC) if limits else None
        return {"countdown": countdown, "expires": expires, "headers": headers}

    def on_failure(
        self,
        exc: Exception,
        task_id: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        einfo: Any,
    ) -> None:
        """After the last attempt: stop the other elements of a for_each
        step, and keep the failure in the dead-letter queue."""
        stop_elements(args)
        if self.policy.dead_letter is None or isinstance(exc, Ignore):
            return
        request = self.request
        record = {
            "task": self.name,
            "task_id": task_id,
            "args": list(args),
            "kwargs": dict(kwargs),
            "chain": request.chain or [],
            "error": f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}",
            "traceback": str(getattr(einfo, "traceback", "") or ""),
            # an expired message's attempt never ran
            "attempts": request.retries + (0 if isinstance(exc, JobExpired) else 1),
        }
        try:
            DeadLetters(self.policy.dead_letter).add(record)
        except Exception:
            logger.exception(
                "could not store %s[%s] in the dead-letter queue", self.name, task_id
            )


class Attempt:
    """Runs one attempt of a handler; see `JobTask.attempt`."""

    def __init__(self, task: JobTask) -> None:
        self.task = task
        self.token: contextvars.Token[JobTask | None] | None = None

    def __enter__(self) -> None:
        self.token = running.set(self.task)  # whose attempt: job_context
        return None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.token is not None:
            running.reset(self.token)
            self.token = None
        if not isinstance(exc, Exception):
            return
        request = self.task.request
        options = self.task.retry_options(exc, request)
        if options is not None:
            self.task.stop_if_cancelled()  # a cancelled run sends no retry
            raise self.task.retry(exc=exc, throw=False, **options) from exc
        deadline = job_deadline(request.args or ())
        if isinstance(exc, SoftTimeLimitExceeded) and reached(deadline):
            raise JobDeadlineExceeded(
                f"{self.task.name} was still running at the job's deadline "
                f"({datetime.fromtimestamp(deadline or 0, UTC).isoformat()})"
            ) from exc


def stamp_first_due(
    sender: str | None = None, headers: dict[str, Any] | None = None, **_: Any
) -> None:
    """Remember when a task's first send was due; retries carry the header on.

    Connected to `before_task_publish` in celery_app.
    """
    if headers is None or FIRST_DUE in headers:
        return
    if not str(sender).startswith(spec.PROJECT + "."):
        return
    eta = headers.get("eta")
    headers[FIRST_DUE] = datetime.fromisoformat(eta).timestamp() if eta else time.time()
