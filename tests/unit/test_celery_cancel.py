"""Cancelling a run in the Celery runtime (runtime/cancel.py, `RunTask`,
`JobRequest`): the client's cancel, the run's key and the tasks that stop.

Tasks run in this process through Celery's own tracer (`task.apply`), the
path a worker's pool takes, before_start and retries included; Redis is the
real, private one of conftest.py. tests/e2e/test_celery_cancel.py does the
same on real workers.
"""

from __future__ import annotations

import types
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from celery import states
from celery.exceptions import TaskRevokedError
from celery.signals import task_retry


def state(app: Any, task_id: str) -> str:
    return str(app.AsyncResult(task_id).state)


def key(runtime: types.ModuleType, run: str) -> bytes | None:
    value: bytes | None = runtime.results_redis().get(runtime.cancel.run_key(run))
    return value


def test_a_queued_run_is_revoked_at_once_and_cancelling_again_is_fine(
    runtime: types.ModuleType, app: Any
) -> None:
    assert runtime.cancel_run("run-1") is True
    assert state(app, "run-1") == states.REVOKED
    with pytest.raises(TaskRevokedError, match="cancelled"):
        app.AsyncResult("run-1").get(timeout=5)
    assert key(runtime, "run-1") == b"cancelled"
    ttl = runtime.results_redis().ttl(runtime.cancel.run_key("run-1"))
    assert 0 < ttl <= runtime.spec.CLAIM_TTL  # as long as the id is remembered
    assert runtime.cancel_run(app.AsyncResult("run-1")) is True  # a handle does too
    assert state(app, "run-1") == states.REVOKED


def test_a_finished_run_is_left_as_it_is(runtime: types.ModuleType, app: Any) -> None:
    app.backend.mark_as_done("done-1", {"ok": True})
    app.backend.mark_as_failure("failed-1", ValueError("no"))
    assert runtime.cancel_run("done-1") is False
    assert runtime.cancel_run("failed-1") is False
    assert app.AsyncResult("done-1").get(timeout=5) == {"ok": True}
    assert state(app, "failed-1") == states.FAILURE
    assert key(runtime, "done-1") is None
    assert key(runtime, "failed-1") is None


def test_the_run_ends_with_whichever_of_cancel_and_outcome_came_first(
    runtime: types.ModuleType, app: Any
) -> None:
    # its last task is storing the result: the cancel changes nothing
    assert runtime.cancel.claim_outcome("finishing-1") is True
    assert runtime.cancel_run("finishing-1") is False
    assert state(app, "finishing-1") == states.PENDING
    assert key(runtime, "finishing-1") == b"finishing"
    assert runtime.cancel.claim_outcome("finishing-1") is True  # a redelivery may
    # cancelled first: no task may store the run's outcome any more
    assert runtime.cancel_run("cancelled-1") is True
    assert runtime.cancel.claim_outcome("cancelled-1") is False
    assert key(runtime, "cancelled-1") == b"cancelled"


def test_a_task_knows_its_run_from_the_context_or_is_the_run() -> None:
    from lichc.engines.celery.runtime.cancel import run_of

    context = {"input": {}, "steps": {}, "deadline": None, "run": "order-1"}
    assert run_of((context,), "order-1.step") == "order-1"
    assert run_of(([context, context],), "join") == "order-1"  # a join's contexts
    assert run_of((), "single-1") == "single-1"  # a single-step job's task
    # a chain sent before contexts carried their run: only its last task knows
    assert run_of(({"input": {}, "steps": {}},), "last-1") == "last-1"


# -- tasks of a cancelled run ----------------------------------------------------


def chain_task(
    app: Any, runtime: types.ModuleType, name: str, handler: Any, attempts: int = 1
) -> Any:
    """A chain step as celery_tasks.py writes one: JobTask, the handler in
    an attempt, the context passed on."""

    @app.task(bind=True, base=runtime.JobTask, name=name, policy=None)
    def task(self: Any, context: dict[str, Any]) -> Any:
        with self.attempt():
            result = runtime.call(handler, context["run"])
        return runtime.with_result(context, name, result)

    retry = runtime.RetryPolicy(attempts=attempts, delay=0, factor=1, max_delay=0)
    task.policy = runtime.Policy(retry=retry)
    return task


def test_a_task_of_a_cancelled_run_does_not_run_its_handler(
    runtime: types.ModuleType, app: Any
) -> None:
    ran: list[str] = []
    step = chain_task(app, runtime, "rt.step", ran.append)
    context = runtime.new_context({}, timeout=None, run="run-2")
    assert runtime.cancel_run("run-2")
    outcome = step.apply(args=(context,), task_id="run-2-step")
    assert outcome.state == states.IGNORED  # no result, no failure, no chain
    assert ran == []
    assert state(app, "run-2-step") == states.REVOKED
    assert runtime.DeadLetters.all() == []


def test_a_running_step_finishes_but_sends_no_retry_once_cancelled(
    runtime: types.ModuleType, app: Any
) -> None:
    calls: list[str] = []

    def fails_after_cancel(run: str) -> None:
        calls.append(run)
        runtime.cancel_run(run)  # cancelled while the handler runs
        raise ConnectionError("down")

    retried: list[str] = []

    def on_retry(sender: Any = None, **_: Any) -> None:
        retried.append(sender.name)

    step = chain_task(app, runtime, "rt.flaky", fails_after_cancel, attempts=3)
    context = runtime.new_context({}, timeout=None, run="run-3")
    task_retry.connect(on_retry, weak=False)
    try:
        outcome = step.apply(args=(context,), task_id="run-3-flaky")
    finally:
        task_retry.disconnect(on_retry)
    assert outcome.state == states.IGNORED
    assert calls == ["run-3"]
    assert retried == []  # no retry was sent: the attempts left never ran
    assert state(app, "run-3") == states.REVOKED


def test_the_last_task_of_a_run_cancelled_while_it_ran_stores_no_result(
    runtime: types.ModuleType, app: Any
) -> None:
    def cancels_its_run(run: str) -> str:
        runtime.cancel_run(run)
        return "done"

    last = chain_task(app, runtime, "rt.last", cancels_its_run)
    context = runtime.new_context({}, timeout=None, run="run-4")
    outcome = last.apply(
        args=(context,), task_id="run-4"
    )  # the last task has the run's id
    assert outcome.state == states.IGNORED
    with pytest.raises(TaskRevokedError):
        app.AsyncResult("run-4").get(timeout=5)


def test_a_run_that_is_not_cancelled_claims_its_outcome_as_it_ends(
    runtime: types.ModuleType, app: Any
) -> None:
    step = chain_task(app, runtime, "rt.middle", lambda run: run)
    context = runtime.new_context({}, timeout=None, run="run-5")
    assert step.apply(args=(context,), task_id="run-5-middle").state == states.SUCCESS
    assert key(runtime, "run-5") is None  # a middle step decides nothing
    last = chain_task(app, runtime, "rt.end", lambda run: run)
    done = last.apply(args=(context,), task_id="run-5")
    assert done.state == states.SUCCESS
    assert done.result["steps"] == {"rt.end": "run-5"}
    assert key(runtime, "run-5") == b"finishing"
    assert runtime.cancel_run("run-5") is False


def test_an_expired_message_of_a_cancelled_run_is_dropped_not_failed(
    runtime: types.ModuleType, app: Any
) -> None:
    from celery.contrib.testing.mocks import TaskMessage

    step = chain_task(app, runtime, "rt.expired", lambda run: run)
    step.policy = runtime.Policy(retry=step.policy.retry, dead_letter="kept")
    context = runtime.new_context({}, timeout=None, run="run-6")
    expired = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    message = TaskMessage(
        step.name, id="run-6-expired", args=[context], expires=expired
    )
    request = runtime.JobRequest(message, app=app, task=step)
    assert runtime.cancel_run("run-6")
    assert request.revoked() is True
    assert request.dropped
    assert state(app, "run-6-expired") == states.REVOKED  # not JobExpired
    assert runtime.DeadLetters("kept").records() == []
