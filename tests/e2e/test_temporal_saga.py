"""Saga, parallel branches, wait_for timeouts, the job deadline and schedules,
from tests/e2e/specs/saga.yaml, on the session's dev server."""

from __future__ import annotations

import uuid
from types import ModuleType
from typing import Any

import pytest
from temporalio.client import ScheduleOverlapPolicy, WorkflowFailureError
from temporalio.exceptions import ApplicationError

from tests.e2e.handlers.saga import CALLS
from tests.support.temporal import Server, activity_types, history_of

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
    client_mod = saga["temporal_client"]
    order = uuid.uuid4().hex

    async def start() -> Any:
        handle = await client_mod.start_trip(
            temporal.client, order=order, fail_at="ship"
        )
        await client_mod.signal_trip_note(
            temporal.client, handle.id, {"text": "fragile"}
        )
        return handle

    error, status, events = run_failing(temporal, saga, start)
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
    client_mod = saga["temporal_client"]
    order = uuid.uuid4().hex

    async def start() -> Any:
        handle = await client_mod.start_trip(
            temporal.client, order=order, fail_at="refund"
        )
        await client_mod.signal_trip_note(temporal.client, handle.id)
        return handle

    error, status, _ = run_failing(temporal, saga, start)
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
