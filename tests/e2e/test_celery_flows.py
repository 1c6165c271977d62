"""Generated Celery code on real workers: retries, timeouts, ids, chains, dead letters.

One spec (specs/celery_flows.yaml), one build and two workers for the module;
handlers in tests/e2e/handlers record every call in Redis.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery.exceptions import TimeLimitExceeded

from harness.cli import run_lichc
from lichc.devstack.servers import wait_until
from lichc.engines.celery.servers import RedisServer
from tests.e2e import celery_support as cs
from tests.e2e.handlers import celery_jobs as handlers

pytestmark = pytest.mark.e2e

SPEC = (Path(__file__).parent / "specs" / "celery_flows.yaml").read_text()
RESULT_TIMEOUT = 60


@pytest.fixture(scope="module")
def flows(
    tmp_path_factory: pytest.TempPathFactory, redis: RedisServer
) -> Iterator[cs.Project]:
    folder = tmp_path_factory.mktemp("celery-flows")
    with cs.project(folder, SPEC, "e2e_flows", redis) as proj:
        queues = ["default", "flaky", "flows"]
        with (
            cs.worker(proj, "flows-a", queues=queues),
            cs.worker(proj, "flows-b", queues=queues),
        ):
            yield proj


def key() -> str:
    return uuid.uuid4().hex[:10]


def test_flaky_handler_retries_with_the_spec_delays(flows: cs.Project) -> None:
    k = key()
    result = flows.client.start_flaky(key=k, failures=4)
    assert result.get(timeout=RESULT_TIMEOUT) == {"key": k, "calls": 5}
    starts = [c["at"] for c in handlers.calls(k)]
    waits = [b - a for a, b in itertools.pairwise(starts)]
    # retry n waits min(max_delay, delay * factor**(n-1)): 200ms, 400ms, 600ms (cap), 600ms
    expected = [0.2, 0.4, 0.6, 0.6]
    assert len(waits) == len(expected)
    for measured, wanted in zip(waits, expected, strict=True):
        assert wanted - 0.02 <= measured <= wanted + 0.4, (waits, expected)


def test_retries_stop_after_the_last_attempt_and_dead_letter(flows: cs.Project) -> None:
    k = key()
    result = flows.client.start_flaky(key=k, failures=10)
    with pytest.raises(handlers.FlakyError):
        result.get(timeout=RESULT_TIMEOUT)
    assert len(handlers.calls(k)) == 5  # attempts: 5
    record = cs.dead_letter(flows, result.id)
    assert record["attempts"] == 5
    assert record["kwargs"] == {"key": k, "failures": 10}
    assert "FlakyError" in record["error"]
    assert "Traceback" in record["traceback"]


def test_error_outside_retry_on_fails_at_once(flows: cs.Project) -> None:
    k = key()
    result = flows.client.start_wrong_kind(key=k)
    with pytest.raises(KeyError):
        result.get(timeout=RESULT_TIMEOUT)
    assert len(handlers.calls(k)) == 1
    assert cs.dead_letter(flows, result.id)["attempts"] == 1


def test_non_retryable_goes_to_dead_letter_then_replay_succeeds(
    flows: cs.Project, redis: RedisServer
) -> None:
    k = key()
    handlers._redis().set(f"refuse:{k}", 1)
    result = flows.client.start_refuse(key=k)
    with pytest.raises(handlers.PermanentError):
        result.get(timeout=RESULT_TIMEOUT)
    assert len(handlers.calls(k)) == 1  # non_retryable: no second attempt
    record = cs.dead_letter(flows, result.id)
    assert record["queue"] == "refused"
    assert record["task"] == "e2e_flows.refuse"
    assert record["attempts"] == 1
    assert "PermanentError" in record["error"]

    spec = str(flows.out_dir.parent / "jobs.yaml")
    listed = run_lichc("dlq", "list", "-f", spec)
    assert listed.code == 0, listed.err
    assert record["id"] in listed.out
    assert "e2e_flows.refuse" in listed.out

    handlers._redis().delete(f"refuse:{k}")
    replayed = run_lichc("dlq", "replay", record["id"], "-f", spec)
    assert replayed.code == 0, replayed.err
    assert _wait_for_success(flows, result.id) == {"key": k, "accepted": True}
    assert len(handlers.calls(k)) == 2
    assert record["id"] not in run_lichc("dlq", "list", "-f", spec).out
    missing = run_lichc("dlq", "replay", record["id"], "-f", spec)
    assert missing.code == 1
    assert "no dead letter" in missing.err


def test_hard_timeout_is_a_failed_attempt_and_retried(flows: cs.Project) -> None:
    k = key()
    started = time.monotonic()
    result = flows.client.start_hang(key=k, seconds=30)
    assert result.get(timeout=RESULT_TIMEOUT) == {"key": k, "calls": 2}
    assert time.monotonic() - started < 15  # the first attempt was killed at 1s
    assert handlers.calls(f"{k}:soft"), "the soft limit reached the handler first"
    assert len(handlers.calls(k)) == 2


def test_last_attempt_killed_by_the_hard_time_limit_is_dead_lettered(
    flows: cs.Project,
) -> None:
    # Celery calls on_failure after a hard time limit only since 5.7 (the floor)
    k = key()
    result = flows.client.start_hang_every_time(key=k, seconds=30)
    with pytest.raises(TimeLimitExceeded):
        result.get(timeout=RESULT_TIMEOUT)
    assert len(handlers.calls(k)) == 2  # attempts: 2
    record = cs.dead_letter(flows, result.id)
    assert record["attempts"] == 2
    assert "TimeLimitExceeded" in record["error"]


def test_soft_timeout_reaches_the_handler_and_is_retried(flows: cs.Project) -> None:
    k = key()
    result = flows.client.start_slow_once(key=k, seconds=10)
    assert result.get(timeout=RESULT_TIMEOUT) == {"key": k, "calls": 2}
    soft = handlers.calls(f"{k}:soft")
    assert len(soft) == 1
    first = handlers.calls(k)[0]["at"]
    assert 0.45 <= soft[0]["at"] - first <= 1.5  # soft_timeout: 500ms


def test_same_id_twice_runs_once(flows: cs.Project) -> None:
    k = key()
    first = flows.client.start_once(key=k, seconds=0.5)
    second = flows.client.start_once(key=k, seconds=0.5)
    assert first.id == second.id == f"once-{k}"
    assert first.get(timeout=RESULT_TIMEOUT)["done"] == 1
    third = flows.client.start_once(key=k)
    assert third.get(timeout=RESULT_TIMEOUT) == first.get(timeout=RESULT_TIMEOUT)
    time.sleep(0.5)  # would a second message have run, it would have by now
    assert len(handlers.calls(k)) == 1


def test_chain_passes_results_between_steps(flows: cs.Project) -> None:
    x, y = 3, int(time.time()) % 1000
    result = flows.client.start_flow(x=x, y=y, label="check")
    total = x + y
    assert result.id == f"flow-{x}-{y}"
    assert result.get(timeout=RESULT_TIMEOUT) == {
        "label": "check",
        "total": total,
        "doubled": total * 2,
    }
    summaries = [c for c in handlers.calls("summary") if c["negated"] == -2 * total]
    assert summaries == [
        {**summaries[0], "squared": (2 * total) ** 2, "negated": -2 * total}
    ]
    adds = [c["at"] for c in handlers.calls("add") if c["y"] == y]
    doubles = [c["at"] for c in handlers.calls("double") if c["value"] == total]
    assert doubles[0] - adds[0] >= 0.3  # sleep: 300ms before the next step


def test_no_step_starts_after_the_job_deadline(flows: cs.Project) -> None:
    k = key()
    result = flows.client.start_late(key=k)
    with pytest.raises(Exception, match="deadline"):
        result.get(timeout=RESULT_TIMEOUT)
    assert len(handlers.calls(k)) == 1  # the first step ran; the second never did
    assert "deadline" in cs.dead_letter(flows, result.id)["error"]


def _wait_for_success(flows: cs.Project, task_id: str) -> Any:
    """The result once the task succeeds (read uncached: it failed before)."""

    def succeeded() -> bool:
        meta = flows.app.backend.get_task_meta(task_id, cache=False)
        return bool(meta["status"] == "SUCCESS")

    wait_until(succeeded, f"{task_id} to succeed", RESULT_TIMEOUT)
    return flows.app.backend.get_task_meta(task_id, cache=False)["result"]


def test_total_timeout_stops_retrying(flows: cs.Project) -> None:
    k = key()
    started = time.monotonic()
    result = flows.client.start_bounded(key=k, failures=1000)
    with pytest.raises(handlers.FlakyError):
        result.get(timeout=RESULT_TIMEOUT)
    assert time.monotonic() - started < 5
    # attempts every ~200ms until 1s after the first send was due
    assert 3 <= len(handlers.calls(k)) <= 6
