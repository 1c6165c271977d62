"""Saga, parallel branches, wait_for timeouts, the job deadline and schedules,
from tests/e2e/specs/saga.yaml, on the session's dev server."""

from __future__ import annotations

import asyncio
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType
from typing import Any

import pytest
from temporalio.client import (
    ScheduleOverlapPolicy,
    WorkflowExecutionStatus,
    WorkflowFailureError,
)
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError
from temporalio.worker import Worker

from tests.e2e.handlers.saga import CALLS, RELEASE
from tests.support.temporal import (
    Server,
    activity_types,
    cancel_requested,
    history_of,
    until,
)

pytestmark = pytest.mark.e2e

Saga = dict[str, ModuleType]


def run_failing(temporal: Server, saga: Saga, start: Any) -> tuple[Any, Any, Any]:
    worker = saga["temporal_worker"]

    async def scenario() -> tuple[Any, Any, Any]:
        async with worker.running(temporal.client):
            handle = await start()
            with pytest.raises(WorkflowFailureError) as failed:
                await handle.result()
            status = await handle.query("status")
            return failed.value, status, await history_of(handle)

    return temporal.run(scenario())


def failed_trip(
    temporal: Server, saga: Saga, fail_at: str, note: dict[str, str] | None = None
) -> tuple[str, tuple[Any, Any, Any]]:
    """A trip that fails at `fail_at`, noted at once: its order and what
    run_failing gives."""
    client_mod = saga["temporal_client"]
    order = uuid.uuid4().hex

    async def start() -> Any:
        handle = await client_mod.start_trip(
            temporal.client, order=order, fail_at=fail_at
        )
        await client_mod.signal_trip_note(temporal.client, handle.id, note)
        return handle

    return order, run_failing(temporal, saga, start)


def test_trip_completes_and_wait_times_out_into_continue(
    temporal: Server, saga: Saga
) -> None:
    client_mod, worker = saga["temporal_client"], saga["temporal_worker"]
    order = uuid.uuid4().hex

    async def scenario() -> Any:
        async with worker.running(temporal.client):
            return await client_mod.run_trip(temporal.client, order=order)

    result = temporal.run(scenario())
    assert result["note"] is None  # no signal within 2s: on_timeout continue
    assert result["ship"] == {"shipped": f"bk_{order}", "note": None}
    assert result["tell_email"] == {"channel": "email"}
    assert result["tell_sms"] == {"channel": "sms"}
    assert sorted(CALLS[order]) == sorted(
        ["book", "pay", "notify:email", "notify:sms", "ship"]
    )


def test_failed_step_compensates_completed_steps_in_reverse(
    temporal: Server, saga: Saga
) -> None:
    order, (error, status, events) = failed_trip(
        temporal, saga, "ship", {"text": "fragile"}
    )
    assert isinstance(error.cause.cause, ApplicationError)  # the original error
    assert error.cause.cause.type == "Broken"
    assert error.cause.cause.message == "carrier refused"
    undo = activity_types(events)[-4:]
    assert sorted(undo[:2]) == [
        "trip.tell_email.compensate",
        "trip.tell_sms.compensate",
    ]
    assert undo[2:] == ["trip.pay.compensate", "trip.book.compensate"]
    assert CALLS[order][-2:] == ["refund", "unbook"]
    assert status["state"] == "failed"
    assert status["compensated"][2:] == ["pay", "book"]


def test_failing_compensation_still_runs_the_rest_and_reports_both(
    temporal: Server, saga: Saga
) -> None:
    order, (error, status, _) = failed_trip(temporal, saga, "refund")
    assert isinstance(error.cause, ApplicationError)
    assert error.cause.type == "CompensationFailed"
    message = error.cause.message
    assert "Broken: carrier refused" in message
    assert "compensation of pay failed: Broken: refund refused" in message
    assert CALLS[order][-2:] == ["refund", "unbook"]  # unbook ran after all
    assert "pay" not in status["compensated"]
    assert status["compensated"][-1] == "book"


def test_wait_timeout_with_fail_does_not_compensate(
    temporal: Server, saga: Saga
) -> None:
    client_mod = saga["temporal_client"]
    order = uuid.uuid4().hex

    error, status, events = run_failing(
        temporal, saga, lambda: client_mod.start_strict(temporal.client, order=order)
    )
    assert error.cause.type == "SignalTimeout"
    assert activity_types(events) == ["strict.book"]
    assert status["compensated"] == []
    assert CALLS[order] == ["book"]


def test_job_deadline_compensates_then_fails(temporal: Server, saga: Saga) -> None:
    client_mod = saga["temporal_client"]
    order = uuid.uuid4().hex

    error, status, events = run_failing(
        temporal, saga, lambda: client_mod.start_hurried(temporal.client, order=order)
    )
    assert error.cause.type == "JobTimeout"
    assert activity_types(events) == ["hurried.book", "hurried.book.compensate"]
    assert status["state"] == "failed"
    assert status["current"] == "linger"
    assert CALLS[order] == ["book", "unbook"]


def test_schedules_are_created_once_and_updated_in_place(
    temporal: Server, saga: Saga
) -> None:
    import importlib

    schedules = importlib.import_module("e2e_saga.temporal_schedules")

    async def scenario() -> tuple[list[str], list[str], Any]:
        first = await schedules.sync_schedules(temporal.client)
        second = await schedules.sync_schedules(temporal.client)
        handle = temporal.client.get_schedule_handle(first[0])
        return first, second, await handle.describe()

    first, second, described = temporal.run(scenario())
    assert first == second == ["e2e_saga.nightly.0"]
    spec = described.schedule.spec
    # the server stores the cron line as a calendar: 03:00 every day
    (calendar,) = spec.calendars
    assert [(r.start, r.end) for r in calendar.hour] == [(3, 3)]
    assert [(r.start, r.end) for r in calendar.minute] == [(0, 0)]
    assert spec.time_zone_name == "Europe/Paris"
    action = described.schedule.action
    assert action.workflow == "Nightly"
    assert action.task_queue == "trips"
    # runs are named like Celery's ticks: the job's id, then the scheduled time
    assert action.id == "nightly-nightly"
    # and, as on Celery, a tick due while the previous run still runs is skipped
    assert described.schedule.policy.overlap == ScheduleOverlapPolicy.SKIP


def test_parallel_fails_fast_and_compensates_what_ran(
    temporal: Server, saga: Saga
) -> None:
    client_mod = saga["temporal_client"]
    order = uuid.uuid4().hex

    started = time.monotonic()
    error, status, events = run_failing(
        temporal, saga, lambda: client_mod.start_race(temporal.client, order=order)
    )
    # `stubborn` retries forever and the deadline is 10 minutes away: the
    # failure of `doomed` ended the job, not the deadline
    assert time.monotonic() - started < 60
    assert isinstance(error.cause, ActivityError)
    assert isinstance(error.cause.cause, ApplicationError)
    assert error.cause.cause.type == "Broken"
    assert error.cause.cause.message == "refused at once"
    assert status["state"] == "failed"
    assert "stubborn" not in status["completed"]
    assert "doomed" not in status["compensated"]
    assert status["compensated"][-1] == "book"
    assert "quick" in status["compensated"]
    types = activity_types(events)
    assert "race.quick.compensate" in types
    assert "race.doomed.compensate" not in types
    assert types[-1] == "race.book.compensate"


def test_step_in_flight_at_the_deadline_is_awaited_and_compensated(
    temporal: Server, saga: Saga
) -> None:
    client_mod, worker = saga["temporal_client"], saga["temporal_worker"]
    order = uuid.uuid4().hex

    async def scenario() -> tuple[BaseException, Any, list[Any]]:
        async with worker.running(temporal.client):
            handle = await client_mod.start_overdue(temporal.client, order=order)
            try:
                await until(
                    lambda: cancel_requested(handle, "overdue.held"),
                    "the deadline cancels step held",
                )
            finally:
                RELEASE[order].set()  # `held` finishes after all: it took effect
            with pytest.raises(WorkflowFailureError) as failed:
                await handle.result()
            status = await client_mod.status_overdue(temporal.client, handle.id)
            return failed.value, status, await history_of(handle)

    error, status, events = temporal.run(scenario())
    assert isinstance(error.cause, ApplicationError)
    assert error.cause.type == "JobTimeout"
    assert status.completed == ["book", "nap", "held"]
    assert status.compensated == ["held", "book"]
    assert activity_types(events)[-2:] == [
        "overdue.held.compensate",
        "overdue.book.compensate",
    ]
    assert CALLS[order] == ["book", "hold", "unhold", "unbook"]


def test_step_cancelled_while_it_ran_at_the_deadline_is_compensated(
    temporal: Server, saga: Saga
) -> None:
    client_mod = saga["temporal_client"]
    order = uuid.uuid4().hex

    error, status, events = run_failing(
        temporal, saga, lambda: client_mod.start_overbeat(temporal.client, order=order)
    )
    assert isinstance(error.cause, ApplicationError)
    assert error.cause.type == "JobTimeout"
    assert status["completed"] == ["nap"]  # it stopped part-way...
    assert status["compensated"] == ["beating"]  # ...and may have taken effect
    assert activity_types(events) == ["overbeat.beating", "overbeat.beating.compensate"]
    assert CALLS[order] == ["beat", "beat cancelled", "unhold"]


def cancel_errand(
    temporal: Server, saga: Saga, order: str, fail_at: str, at: str
) -> tuple[BaseException, Any, Any]:
    """Start Errand, cancel it in step `at` (`hold` runs, or `gate` waits);
    (error, status, describe)."""
    client_mod, worker = saga["temporal_client"], saga["temporal_worker"]
    if at == "gate":
        RELEASE[order].set()

    async def scenario() -> tuple[BaseException, Any, Any]:
        async with worker.running(temporal.client):
            handle = await client_mod.start_errand(
                temporal.client, order=order, fail_at=fail_at
            )

            async def arrived() -> bool:
                if at == "hold":  # its activity runs
                    return "hold" in CALLS[order]
                status = await client_mod.status_errand(temporal.client, handle.id)
                return bool(status.current == at)

            try:
                await until(arrived, f"step {at} is reached")
                await handle.cancel()
                with pytest.raises(WorkflowFailureError) as failed:
                    await handle.result()
            finally:
                RELEASE[order].set()
            status = await client_mod.status_errand(temporal.client, handle.id)
            return failed.value, status, await handle.describe()

    return temporal.run(scenario())


def test_cancel_during_an_activity_compensates_and_ends_cancelled(
    temporal: Server, saga: Saga
) -> None:
    order = uuid.uuid4().hex
    error, status, described = cancel_errand(temporal, saga, order, "none", "hold")
    assert isinstance(error.cause, CancelledError)
    assert described.status == WorkflowExecutionStatus.CANCELED
    assert status.state == "cancelled"
    assert status.current == "hold"
    assert status.compensated == ["pay"]
    assert status.problems == []
    assert CALLS[order] == ["pay", "hold", "refund"]


@pytest.mark.parametrize("at", ["hold", "gate"])
def test_failed_compensation_on_cancel_fails_the_run_and_says_why(
    temporal: Server, saga: Saga, at: str
) -> None:
    order = uuid.uuid4().hex
    error, status, described = cancel_errand(temporal, saga, order, "refund", at)
    problem = "compensation of pay failed: Broken: refund refused"
    assert isinstance(error.cause, ApplicationError)
    assert error.cause.type == "CompensationFailed"
    assert error.cause.message == f"job Errand was cancelled; {problem}"
    assert error.cause.details == (problem,)
    assert described.status == WorkflowExecutionStatus.FAILED
    assert status.state == "failed"
    assert status.current == at
    assert status.problems == [problem]
    assert status.compensated == []


def test_cancel_while_a_step_runs_whose_undo_needs_its_result_undoes_it(
    temporal: Server, saga: Saga
) -> None:
    client_mod, worker = saga["temporal_client"], saga["temporal_worker"]
    order = uuid.uuid4().hex

    async def scenario() -> tuple[BaseException, Any, Any]:
        async with worker.running(temporal.client):
            handle = await client_mod.start_rebook(temporal.client, order=order)
            try:
                await until(lambda: _async(lambda: "book" in CALLS[order]), "book runs")
                await handle.cancel()
                await until(
                    lambda: cancel_requested(handle, "rebook.book"),
                    "the cancel reaches step book",
                )
            finally:
                RELEASE[order].set()  # `book` finishes after all: it took effect
            with pytest.raises(WorkflowFailureError) as failed:
                await asyncio.wait_for(handle.result(), 60)
            status = await client_mod.status_rebook(temporal.client, handle.id)
            return failed.value, status, await handle.describe()

    error, status, described = temporal.run(scenario())
    assert_cancelled_and_undone(error, status, described, ["book"])
    assert status.completed == ["book"]
    assert CALLS[order] == ["book", "unbook"]


def test_step_completed_in_the_activation_of_the_cancel_is_compensated(
    temporal: Server, saga: Saga
) -> None:
    """`held` completes while no workflow worker runs, then the run is
    cancelled: the worker that comes back sees both at once (Temporal raises
    a bare CancelledError there), and `held` must still be undone."""
    client_mod, acts = saga["temporal_client"], saga["temporal_activities"]
    workflows = saga["temporal_workflows"]
    order = uuid.uuid4().hex

    def workflow_worker() -> Worker:
        return Worker(
            temporal.client,
            task_queue="trips",
            workflows=[workflows.ParkedWorkflow],
            max_cached_workflows=0,
        )

    async def completed(handle: Any) -> bool:
        return any(
            e.HasField("activity_task_completed_event_attributes")
            for e in await history_of(handle)
        )

    async def scenario() -> tuple[BaseException, Any, Any]:
        with ThreadPoolExecutor(4) as pool:
            async with Worker(
                temporal.client,
                task_queue="trips",
                activities=[acts.parked_held, acts.parked_held_compensate],
                activity_executor=pool,
            ):
                handle = await client_mod.start_parked(temporal.client, order=order)
                try:
                    async with workflow_worker():
                        await until(
                            lambda: _async(lambda: "hold" in CALLS[order]),
                            "held runs",
                        )
                finally:
                    RELEASE[order].set()
                await until(lambda: completed(handle), "held completes")
                await handle.cancel()
                async with workflow_worker():
                    with pytest.raises(WorkflowFailureError) as failed:
                        await asyncio.wait_for(handle.result(), 60)
                    status = await client_mod.status_parked(temporal.client, handle.id)
                return failed.value, status, await handle.describe()

    error, status, described = temporal.run(scenario())
    assert_cancelled_and_undone(error, status, described, ["held"])
    assert CALLS[order] == ["hold", "unhold"]


def test_cancel_during_compensation_lets_the_undo_finish(
    temporal: Server, saga: Saga
) -> None:
    client_mod, worker = saga["temporal_client"], saga["temporal_worker"]
    order = uuid.uuid4().hex

    async def cancel_recorded(handle: Any) -> bool:
        return any(
            e.HasField("workflow_execution_cancel_requested_event_attributes")
            for e in await history_of(handle)
        )

    async def scenario() -> tuple[BaseException, Any, list[Any]]:
        async with worker.running(temporal.client):
            handle = await client_mod.start_unwind(temporal.client, order=order)
            try:
                await until(
                    lambda: _async(lambda: "unbook" in CALLS[order]),
                    "the undo of book runs",
                )
                await handle.cancel()
                await until(lambda: cancel_recorded(handle), "the cancel arrives")
            finally:
                RELEASE[order].set()
            with pytest.raises(WorkflowFailureError) as failed:
                await asyncio.wait_for(handle.result(), 60)
            status = await client_mod.status_unwind(temporal.client, handle.id)
            return failed.value, status, await history_of(handle)

    error, status, events = temporal.run(scenario())
    # the step's failure is what ended the run; the undo was not cancelled
    assert isinstance(error.cause, ActivityError)
    assert error.cause.cause.type == "Broken"
    assert status.state == "failed"
    assert status.compensated == ["book"]
    assert status.problems == []
    assert CALLS[order] == ["book", "book", "unbook", "unbooked"]
    assert not any(
        e.HasField("activity_task_cancel_requested_event_attributes") for e in events
    )


async def _async(condition: Any) -> bool:
    return bool(condition())


def assert_cancelled_and_undone(
    error: BaseException, status: Any, described: Any, compensated: list[str]
) -> None:
    """A run cancelled through its handle: cancelled in Temporal and in its own
    status, with exactly `compensated` undone and no problem left."""
    assert isinstance(error, WorkflowFailureError)
    assert isinstance(error.cause, CancelledError)
    assert described.status == WorkflowExecutionStatus.CANCELED
    assert status.state == "cancelled"
    assert status.compensated == compensated
    assert status.problems == []
