"""Cancelling Celery runs (tests/e2e/specs/celery_cancel.yaml) on a real
worker process and Redis: `cancel_<job>` of the generated client and `lichc
cancel`. A cancelled run is REVOKED at once (its handle raises
TaskRevokedError), what is queued or held for a countdown never runs, a step
already running finishes and nothing after it runs, and nothing of it is
failed, retried or dead-lettered."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis as redis_client
from celery import states
from celery.exceptions import TaskRevokedError

from harness.cli import Result, run_lichc
from lichc.devstack.servers import wait_until
from lichc.engines.celery.servers import RedisServer
from tests.e2e import celery_support as cs
from tests.e2e.handlers import celery_jobs as handlers

pytestmark = pytest.mark.e2e

SPEC = (Path(__file__).parent / "specs" / "celery_cancel.yaml").read_text()
DEADLINE = 60  # seconds for anything a worker does, on a busy machine


@pytest.fixture(scope="module")
def proj(
    tmp_path_factory: pytest.TempPathFactory, redis: RedisServer
) -> Iterator[cs.Project]:
    folder = tmp_path_factory.mktemp("celery-cancel")
    with cs.served(
        folder, SPEC, "e2e_ccancel", redis, "ccancel", queues=["ccancel"]
    ) as served:
        yield served


def new_key() -> str:
    return uuid.uuid4().hex


def steps_ran(key: str) -> list[str]:
    return [call["step"] for call in handlers.calls(key)]


def release(proj: cs.Project, key: str) -> None:
    """Let a blocked step of run `key` go on (tests/e2e/handlers/celery_cancel.py)."""
    redis_client.Redis.from_url(proj.redis.url(0)).rpush(f"release:{key}", 1)


def held(proj: cs.Project) -> set[str]:
    """The ids of the tasks workers hold for their countdown."""
    scheduled = proj.app.control.inspect(timeout=1).scheduled() or {}
    return {entry["request"]["id"] for tasks in scheduled.values() for entry in tasks}


def in_state(result: Any, state: str) -> bool:
    return bool(result.state == state)


def dead_letters_of(proj: cs.Project, task_id: str) -> list[dict[str, Any]]:
    runtime = proj.module("celery_runtime")
    return [
        record
        for queue in runtime.DeadLetters.all()
        for record in queue.records()
        if record["task_id"] == task_id
    ]


def lichc(proj: cs.Project, *args: str) -> Result:
    return run_lichc(*args, "-f", str(proj.out_dir.parent / "jobs.yaml"))


def test_a_run_cancelled_in_its_sleep_is_revoked_and_its_later_steps_never_run(
    proj: cs.Project,
) -> None:
    key = new_key()
    result = proj.client.start_sleepy(key=key)
    second, first = result.parent, result.parent.parent  # the chain's handles
    wait_until(lambda: in_state(first, states.SUCCESS), "the first step", DEADLINE)
    wait_until(lambda: second.id in held(proj), "the second step's countdown", DEADLINE)

    assert proj.client.cancel_sleepy(result) is True
    # at once: the run's last task was never sent, and it is REVOKED all the same
    with pytest.raises(TaskRevokedError, match="cancelled"):
        result.get(timeout=DEADLINE)
    assert result.state == states.REVOKED
    assert proj.client.cancel_sleepy(result.id) is True  # twice is fine

    # the countdown ends: the worker drops the held step instead of running it
    wait_until(lambda: in_state(second, states.REVOKED), "the held step", DEADLINE)
    assert steps_ran(key) == ["first"]
    assert result.state == states.REVOKED


def test_a_step_running_at_cancel_finishes_and_nothing_after_it_runs(
    proj: cs.Project,
) -> None:
    key = new_key()
    result = proj.client.start_blocked(key=key)
    after, running = result.parent, result.parent.parent
    wait_until(lambda: steps_ran(key) == ["wait:started"], "the first step", DEADLINE)

    assert proj.client.cancel_blocked(result.id) is True
    with pytest.raises(TaskRevokedError):  # while its step still runs
        result.get(timeout=DEADLINE)

    release(proj, key)
    wait_until(lambda: in_state(running, states.SUCCESS), "the running step", DEADLINE)
    wait_until(lambda: in_state(after, states.REVOKED), "the next step", DEADLINE)
    assert steps_ran(key) == ["wait:started", "wait:finished"]  # not interrupted
    assert result.state == states.REVOKED


def test_a_step_failing_after_cancel_is_not_run_again_or_dead_lettered(
    proj: cs.Project,
) -> None:
    key = new_key()
    result = proj.client.start_failing(key=key)
    failing = result.parent
    wait_until(lambda: steps_ran(key) == ["fail"], "the failing step", DEADLINE)
    assert proj.client.cancel_failing(result) is True

    release(proj, key)  # it raises a retryable error, with attempts left
    wait_until(lambda: in_state(failing, states.REVOKED), "the failed step", DEADLINE)
    assert steps_ran(key) == ["fail"]
    assert result.state == states.REVOKED
    assert dead_letters_of(proj, failing.id) == []


def test_a_step_killed_at_its_hard_limit_after_cancel_is_not_failed(
    proj: cs.Project,
) -> None:
    keys = {"killed": new_key(), "killed_retried": new_key()}
    runs = {
        "killed": proj.client.start_killed(key=keys["killed"]),
        "killed_retried": proj.client.start_killed_retried(key=keys["killed_retried"]),
    }
    for name, key in keys.items():
        wait_until(lambda key=key: steps_ran(key) == ["hang"], name, DEADLINE)
    assert proj.client.cancel_killed(runs["killed"]) is True
    assert proj.client.cancel_killed_retried(runs["killed_retried"]) is True

    # the hard limit kills both attempts (none left for one, one for the other)
    for name, run in runs.items():
        hang = run.parent
        wait_until(lambda hang=hang: hang.ready(), f"{name}'s killed step", DEADLINE)
        assert hang.state == states.REVOKED, name  # not FAILURE, not retried
        assert run.state == states.REVOKED, name
        assert steps_ran(keys[name]) == ["hang"], name
        assert dead_letters_of(proj, hang.id) == [], name


def test_a_queued_single_step_job_never_runs_once_cancelled(proj: cs.Project) -> None:
    key = new_key()
    result = proj.client.start_queued(key=key)  # its queue has no worker yet
    assert proj.client.cancel_queued(result.id) is True
    with pytest.raises(TaskRevokedError):
        result.get(timeout=DEADLINE)

    with cs.worker(proj, "cqueued", queues=["cqueued"], concurrency=1):
        later = proj.client.start_queued(key=new_key())
        # one process takes the queue in order: the cancelled message came first
        assert later.get(timeout=DEADLINE) == {"step": "queued"}
    assert steps_ran(key) == []
    assert result.state == states.REVOKED
    assert dead_letters_of(proj, result.id) == []


def test_cancelling_a_finished_run_changes_nothing(proj: cs.Project) -> None:
    done = proj.client.start_quick(key=new_key())
    assert done.get(timeout=DEADLINE) == {"step": "quick"}
    assert proj.client.cancel_quick(done) is False
    assert done.state == states.SUCCESS
    assert done.get(timeout=DEADLINE) == {"step": "quick"}


def test_lichc_cancel_cancels_a_celery_run_and_refuses_a_finished_one(
    proj: cs.Project,
) -> None:
    run = proj.client.start_sleepy(key=new_key())
    cancelled = lichc(proj, "cancel", "Sleepy", run.id)
    assert (cancelled.code, cancelled.err) == (0, "")
    assert cancelled.out == f"cancelled Sleepy {run.id}\n"
    again = lichc(proj, "cancel", "Sleepy", run.id)
    assert (again.code, again.out) == (0, cancelled.out)
    with pytest.raises(TaskRevokedError):
        run.get(timeout=DEADLINE)
    status = lichc(proj, "status", "Sleepy", run.id)
    assert status.code == 0, status.err
    assert json.loads(status.out) == {
        "job": "Sleepy",
        "task_id": run.id,
        "state": "REVOKED",
        "error": "TaskRevokedError: cancelled",
    }

    done = proj.client.start_quick(key=new_key())
    done.get(timeout=DEADLINE)
    refused = lichc(proj, "cancel", "Quick", done.id)
    assert refused.code == 1
    assert f"Quick {done.id} had already finished (SUCCESS): not cancelled" in (
        refused.err
    )
    assert done.state == states.SUCCESS
