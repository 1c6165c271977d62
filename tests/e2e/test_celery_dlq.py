"""Dead letters on real Redis and a real worker: replay with a new deadline,
bulk replay (`--job`, `--all`) and the retention of records.

A project of its own (e2e_dlq), so `--all` sees only this module's records.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from harness.cli import run_lichc
from lichc.devstack.servers import wait_until
from lichc.engines.celery.servers import RedisServer
from tests.e2e import celery_support as cs
from tests.e2e.handlers import celery_jobs as handlers

pytestmark = pytest.mark.e2e

RESULT_TIMEOUT = 60
SPEC = """
version: 1
project: e2e_dlq
defaults:
  retry: {attempts: 1}
  timeout: 5s
jobs:
  Refuse:
    engine: celery
    run: tests.e2e.handlers.celery_jobs:refuse
    input: {key: str}
    dead_letter: {queue: refused, retention: 1h}
  Brief:
    engine: celery
    run: tests.e2e.handlers.celery_jobs:refuse
    input: {key: str}
    dead_letter: {queue: brief, retention: 2s}
  Late:
    engine: celery
    timeout: 2s
    dead_letter: {queue: late}
    input: {key: str}
    steps:
      - {name: first, run: "tests.e2e.handlers.celery_jobs:work",
         args: {key: "${input.key}", seconds: 1.5}, timeout: 2s}
      - {name: wait, sleep: 1s}
      - {name: second, run: "tests.e2e.handlers.celery_jobs:stamp",
         args: {key: "${input.key}"}, timeout: 2s}
"""


@pytest.fixture(scope="module")
def dlq(
    tmp_path_factory: pytest.TempPathFactory, redis: RedisServer
) -> Iterator[cs.Project]:
    folder = tmp_path_factory.mktemp("celery-dlq")
    with cs.served(folder, SPEC, "e2e_dlq", redis, "dlq-worker") as proj:
        yield proj


def key() -> str:
    return uuid.uuid4().hex[:10]


def lichc_dlq(proj: cs.Project, *args: str) -> str:
    result = run_lichc("dlq", *args, "-f", str(proj.out_dir.parent / "jobs.yaml"))
    assert result.code == 0, result.err
    return result.out


def dead_letters(proj: cs.Project, task_id: str) -> list[dict[str, Any]]:
    runtime = proj.module("celery_runtime")
    return [
        record
        for queue in runtime.DeadLetters.all()
        for record in queue.records()
        if record["task_id"] == task_id
    ]


def dead_letter(proj: cs.Project, task_id: str) -> dict[str, Any]:
    """The task's one dead letter (stored just after its FAILURE state)."""
    wait_until(lambda: dead_letters(proj, task_id), f"dead letter of {task_id}", 30)
    (record,) = dead_letters(proj, task_id)
    return record


def status(proj: cs.Project, task_id: str) -> str:
    return str(proj.app.backend.get_task_meta(task_id, cache=False)["status"])


def refused(proj: cs.Project, start: Any, k: str) -> tuple[str, dict[str, Any]]:
    """Start a job whose handler refuses `k`; its task id and dead letter."""
    handlers._redis().set(f"refuse:{k}", 1)
    result = start(key=k)
    with pytest.raises(handlers.PermanentError):
        result.get(timeout=RESULT_TIMEOUT)
    return result.id, dead_letter(proj, result.id)


def succeeded(proj: cs.Project, task_id: str) -> Any:
    wait_until(lambda: status(proj, task_id) == "SUCCESS", f"{task_id} to succeed", 60)
    return proj.app.backend.get_task_meta(task_id, cache=False)["result"]


def test_a_step_past_the_deadline_replays_with_a_new_deadline(
    dlq: cs.Project,
) -> None:
    k = key()
    result = dlq.client.start_late(key=k)
    with pytest.raises(Exception, match="deadline"):
        result.get(timeout=RESULT_TIMEOUT)
    record = dead_letter(dlq, result.id)
    assert record["task"] == "e2e_dlq.late.second"
    # replayed as it was, the step is still past the deadline: it fails at once
    lichc_dlq(dlq, "replay", record["id"])
    again = dead_letter(dlq, result.id)
    assert again["id"] != record["id"]
    assert "JobDeadlineExceeded" in again["error"]
    out = lichc_dlq(dlq, "replay", again["id"], "--new-deadline", "1m")
    assert "with a new deadline of" in out
    assert isinstance(succeeded(dlq, result.id), float)  # `stamp` ran
    assert dead_letters(dlq, result.id) == []


def test_replay_every_dead_letter_of_a_job_then_all(dlq: cs.Project) -> None:
    keys = [key(), key()]
    ids = [refused(dlq, dlq.client.start_refuse, k)[0] for k in keys]
    brief_key = key()
    brief_id, _ = refused(dlq, dlq.client.start_brief, brief_key)
    for k in [*keys, brief_key]:
        handlers._redis().delete(f"refuse:{k}")
    out = lichc_dlq(dlq, "replay", "--job", "Refuse")
    assert out.count("replayed ") == 2, out
    for task_id, k in zip(ids, keys, strict=True):
        assert succeeded(dlq, task_id) == {"key": k, "accepted": True}
    assert status(dlq, brief_id) == "FAILURE"  # another job: not replayed
    assert len(handlers.calls(brief_key)) == 1

    last = key()
    last_id, _ = refused(dlq, dlq.client.start_refuse, last)
    handlers._redis().delete(f"refuse:{last}")
    lichc_dlq(dlq, "replay", "--all")
    assert succeeded(dlq, last_id) == {"key": last, "accepted": True}
    assert "no dead letters" in lichc_dlq(dlq, "list")


def test_dead_letters_expire_after_their_retention(dlq: cs.Project) -> None:
    runtime = dlq.module("celery_runtime")
    client = handlers._redis()
    kept_id, _ = refused(dlq, dlq.client.start_refuse, key())
    brief_id, brief = refused(dlq, dlq.client.start_brief, key())
    stored = time.time()
    assert 0 < client.ttl(runtime.DeadLetters("refused").key) <= 3601
    assert 0 < client.ttl(runtime.DeadLetters("brief").key) <= 3
    wait_until(
        lambda: not dead_letters(dlq, brief_id), "the brief dead letter to expire", 30
    )
    assert time.time() - stored > 1  # kept until its 2s had (nearly) passed
    assert brief["id"] not in lichc_dlq(dlq, "list")
    assert not client.hexists(runtime.DeadLetters("brief").key, brief["id"])
    assert len(dead_letters(dlq, kept_id)) == 1  # 1h: still there
    missing = run_lichc(
        "dlq", "replay", brief["id"], "-f", str(dlq.out_dir.parent / "jobs.yaml")
    )
    assert missing.code == 1
    assert "no dead letter" in missing.err
