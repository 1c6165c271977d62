"""Retry policies measured on a real server, heartbeats, and a worker process
killed in the middle of an activity (tests/e2e/specs/retries.yaml)."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError, CancelledError

from harness.workers import temporal_worker
from lichc.devstack.servers import wait_until
from tests.e2e.handlers.flaky import ATTEMPTS
from tests.support.temporal import (
    ActivityOutcomes,
    Server,
    client_with,
    history_of,
    started_attempts,
    wait_for,
)

pytestmark = pytest.mark.e2e

Project = dict[str, ModuleType]


def test_retries_follow_the_retry_policy(temporal: Server, retries: Project) -> None:
    client_mod, worker = retries["temporal_client"], retries["temporal_worker"]
    key = uuid.uuid4().hex

    async def scenario() -> tuple[Any, list[Any]]:
        async with worker.running(temporal.client):
            handle = await client_mod.start_flaky(temporal.client, key=key, failures=3)
            return await handle.result(), await history_of(handle)

    result, events = temporal.run(scenario())
    assert result == {"attempts": 4}
    assert started_attempts(events) == [4]
    times = ATTEMPTS[key]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # delay 300ms, factor 2, max_delay 700ms: 0.3s, 0.6s, then capped at 0.7s
    for gap, expected in zip(gaps, (0.3, 0.6, 0.7), strict=True):
        assert expected * 0.9 <= gap <= expected + 1.5, gaps


def test_attempts_run_out_and_unlisted_errors_fail_at_once(
    temporal: Server, retries: Project
) -> None:
    client_mod, worker = retries["temporal_client"], retries["temporal_worker"]
    flaky_key, picky_key = uuid.uuid4().hex, uuid.uuid4().hex

    async def scenario() -> tuple[BaseException, BaseException]:
        async with worker.running(temporal.client):
            with pytest.raises(WorkflowFailureError) as flaky:
                await client_mod.run_flaky(temporal.client, key=flaky_key, failures=9)
            with pytest.raises(WorkflowFailureError) as picky:
                await client_mod.run_picky(temporal.client, key=picky_key, failures=0)
            return flaky.value, picky.value

    flaky, picky = temporal.run(scenario())
    assert len(ATTEMPTS[flaky_key]) == 4  # attempts: 4, then the job fails
    assert flaky.cause.cause.type == "Transient"
    assert len(ATTEMPTS[picky_key]) == 1  # Permanent is not in retry_on
    assert picky.cause.cause.type == "Permanent"
    assert picky.cause.cause.non_retryable


def test_heartbeats_keep_long_activities_alive_and_carry_progress(
    temporal: Server, retries: Project
) -> None:
    client_mod, worker = retries["temporal_client"], retries["temporal_worker"]

    async def scenario() -> tuple[Any, Any, list[Any]]:
        async with worker.running(temporal.client):
            progress = await client_mod.start_progress(
                temporal.client, key="p", failures=0
            )
            details: list[Any] = []
            for _ in range(200):
                pending = (await progress.describe()).raw_description.pending_activities
                if pending and pending[0].heartbeat_details.payloads:
                    details = list(pending[0].heartbeat_details.payloads)
                    break
                await asyncio.sleep(0.05)
            # `quiet` reports nothing for 2.5s under a 1s heartbeat timeout
            quiet = await client_mod.run_quiet(temporal.client, key="q", failures=0)
            return await progress.result(), quiet, details

    progress, quiet, details = temporal.run(scenario())
    assert progress == {"key": "p"}  # 3.2s of work under a 1s heartbeat timeout
    assert quiet == {"key": "q"}
    assert details
    assert b'"done"' in details[0].data


def test_killed_worker_restarts_and_the_workflow_completes(
    temporal: Server, retries: Project, tmp_path: Path
) -> None:
    client_mod = retries["temporal_client"]
    output = Path(retries["inputs"].__file__).parents[1]
    marker = tmp_path / "started"
    with temporal_worker(output, "e2e_retries", temporal.address, "crashy-a") as first:
        handle = temporal.run(
            client_mod.start_crashy(temporal.client, marker=str(marker))
        )
        wait_until(marker.exists, "the first attempt in the worker process", 90)
        assert marker.read_text() == str(first.pid)
        first.kill()
    with temporal_worker(output, "e2e_retries", temporal.address, "crashy-b") as second:
        started = time.monotonic()
        result = temporal.run(handle.result(), timeout=120)
        assert result == {"pid": second.pid}
        assert time.monotonic() - started < 60
        events = temporal.run(history_of(handle))
        assert started_attempts(events) == [2]  # heartbeat timeout, then a retry
        assert second.stop(timeout=60) == 0, second.output()[-3000:]  # graceful


def test_a_handlers_own_application_error_keeps_its_retry_delay_and_details(
    temporal: Server, retries: Project
) -> None:
    client_mod, worker = retries["temporal_client"], retries["temporal_worker"]
    key = uuid.uuid4().hex

    async def scenario() -> BaseException:
        async with worker.running(temporal.client):
            with pytest.raises(WorkflowFailureError) as failed:
                await client_mod.run_throttled(temporal.client, key=key, failures=0)
            return failed.value

    failure = temporal.run(scenario())
    error = failure.cause.cause
    assert isinstance(error, ApplicationError)
    assert (error.type, error.non_retryable) == ("Throttled", False)
    assert error.details == ({"key": key},)
    times = ATTEMPTS[key]
    assert len(times) == 2  # retried although Throttled is not in retry_on
    # its next_retry_delay of 1s, not the policy's delay of 100ms
    assert times[1] - times[0] >= 0.9


def test_a_cancelled_heartbeating_activity_is_reported_cancelled(
    temporal: Server, retries: Project
) -> None:
    client_mod, worker = retries["temporal_client"], retries["temporal_worker"]
    key = uuid.uuid4().hex
    outcomes = ActivityOutcomes()
    client = client_with(temporal, outcomes)

    async def scenario() -> list[BaseException]:
        async with worker.running(client):
            handle = await client_mod.start_cancellable(client, key=key, failures=0)
            await wait_for(lambda: bool(ATTEMPTS[key]), "the activity to start")
            await handle.cancel()
            with pytest.raises(WorkflowFailureError):
                await handle.result()
            await wait_for(
                lambda: "cancellable" in outcomes.raised, "the activity to end"
            )
            return outcomes.raised["cancellable"]

    raised = temporal.run(scenario())
    assert [type(e) for e in raised] == [CancelledError]
