"""Every terminal outcome of a Celery job reaches its result handle as a clear
failure (and the dead-letter store): expired messages, pool processes that die,
missing result fields, attempts cut at total_timeout; ids whose claimer died
before sending; async handlers keep one event loop per worker process.

One spec (specs/celery_faults.yaml); one worker (one pool process) serves queue
`faults`; queue `expiring` gets a worker only once its messages have expired.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded, WorkerLostError
from celery.result import AsyncResult

from harness import workers
from lichc.devstack.servers import wait_until
from lichc.engines.celery.servers import RedisServer
from tests.e2e import celery_support as cs
from tests.e2e.handlers import celery_jobs as handlers

pytestmark = pytest.mark.e2e

SPEC = (Path(__file__).parent / "specs" / "celery_faults.yaml").read_text()
RESULT_TIMEOUT = 60
QUEUE_TIMEOUT = 1.0  # queue_timeout of Expiring and ExpiringChain.second


@pytest.fixture(scope="module")
def faults(
    tmp_path_factory: pytest.TempPathFactory, redis: RedisServer
) -> Iterator[cs.Project]:
    folder = tmp_path_factory.mktemp("celery-faults")
    with cs.served(
        folder, SPEC, "e2e_faults", redis, "faults", queues=["faults"], concurrency=1
    ) as proj:
        yield proj


def key() -> str:
    return uuid.uuid4().hex[:10]


def test_expired_job_fails_its_handle_and_is_dead_lettered(
    faults: cs.Project,
) -> None:
    runtime = faults.module("celery_runtime")
    k = key()
    sent = time.time()
    result = faults.client.start_expiring(key=k, seconds=0)
    _wait_past(sent + QUEUE_TIMEOUT + 0.5)  # expired; now a worker receives it
    with (
        cs.worker(faults, "expiring-single", queues=["expiring"]),
        pytest.raises(runtime.JobExpired, match=r"e2e_faults\.expiring expired"),
    ):
        result.get(timeout=RESULT_TIMEOUT)
    assert handlers.calls(k) == []  # it never ran
    record = cs.dead_letter(faults, result.id)
    assert record["attempts"] == 0
    assert "JobExpired" in record["error"]


def test_expired_job_waited_on_raises_job_expired_not_revoked(
    faults: cs.Project,
) -> None:
    """A client already waiting (subscribed) when the worker takes the expired
    message sees the job's failure, JobExpired: never a REVOKED state first."""
    runtime = faults.module("celery_runtime")
    k = key()
    sent = time.time()
    result = faults.client.start_expiring(key=k, seconds=0)
    _wait_past(sent + QUEUE_TIMEOUT + 0.5)
    raised: list[BaseException] = []

    def wait() -> None:
        try:
            result.get(timeout=RESULT_TIMEOUT)
        except BaseException as exc:
            raised.append(exc)

    waiter = threading.Thread(target=wait, daemon=True)
    waiter.start()
    channel = f"celery-task-meta-{result.id}"
    results = runtime.results_redis()
    wait_until(
        lambda: dict(results.pubsub_numsub(channel)).get(channel.encode()),
        "the client to subscribe to the result",
        RESULT_TIMEOUT,
    )
    with cs.worker(faults, "expiring-waited", queues=["expiring"]):
        waiter.join(RESULT_TIMEOUT)
    assert not waiter.is_alive()
    assert len(raised) == 1, raised
    assert isinstance(raised[0], runtime.JobExpired), raised
    assert handlers.calls(k) == []


def test_handler_that_calls_sys_exit_counts_as_an_attempt(
    faults: cs.Project,
) -> None:
    assert_lost_twice_then_dead_lettered(faults, faults.client.start_exits)


def test_expired_chain_step_fails_the_chain(faults: cs.Project) -> None:
    runtime = faults.module("celery_runtime")
    k = key()
    result = faults.client.start_expiring_chain(key=k)
    wait_until(lambda: handlers.calls(k), "the first step to finish", RESULT_TIMEOUT)
    # the second step's message was sent as the first step finished
    _wait_past(handlers.calls(k)[0]["at"] + QUEUE_TIMEOUT + 0.5)
    with (
        cs.worker(faults, "expiring-chain", queues=["expiring"]),
        pytest.raises(runtime.JobExpired, match=r"expiring_chain\.second expired"),
    ):
        result.get(timeout=RESULT_TIMEOUT)  # the chain's last task: the job
    assert len(handlers.calls(k)) == 1  # the second step (stamp) never ran
    records = [
        r
        for queue in runtime.DeadLetters.all()
        for r in queue.records()
        if r["task"] == "e2e_faults.expiring_chain.second"
        and r["args"][0]["input"] == {"key": k}
    ]
    assert len(records) == 1, records
    assert "JobExpired" in records[0]["error"]


def test_handler_that_kills_its_process_counts_as_an_attempt(
    faults: cs.Project,
) -> None:
    # attempts: 2 whatever retry_on says
    assert_lost_twice_then_dead_lettered(faults, faults.client.start_lost)


def assert_lost_twice_then_dead_lettered(
    faults: cs.Project, start: Callable[..., Any]
) -> None:
    """The job's worker process dies in both attempts: WorkerLostError, a dead
    letter after 2 attempts, and the message is not requeued (a job sent after
    it runs, and it does not run again)."""
    k = key()
    result = start(key=k)
    with pytest.raises(WorkerLostError):
        result.get(timeout=RESULT_TIMEOUT)
    assert len(handlers.calls(k)) == 2
    record = cs.dead_letter(faults, result.id)
    assert record["attempts"] == 2
    assert "WorkerLostError" in record["error"]
    marker = faults.client.start_once(key=f"{k}-after")
    assert marker.get(timeout=RESULT_TIMEOUT)["done"] == 1
    assert len(handlers.calls(k)) == 2


def test_missing_result_field_fails_at_once(faults: cs.Project) -> None:
    runtime = faults.module("celery_runtime")
    x = int(time.time() * 1000) % 1_000_000
    result = faults.client.start_missing(x=x)
    with pytest.raises(runtime.MissingField, match="step add returned no field 'sum'"):
        result.get(timeout=RESULT_TIMEOUT)
    record = cs.dead_letter(faults, result.id)
    assert record["attempts"] == 1  # not retried (retry.attempts: 3)
    assert "MissingField" in record["error"]
    assert [c for c in handlers.calls("double") if c["value"] == x + 1] == []


def test_total_timeout_cuts_the_attempt_in_progress(faults: cs.Project) -> None:
    k = key()
    result = faults.client.start_tight(key=k, seconds=30)
    with pytest.raises((SoftTimeLimitExceeded, TimeLimitExceeded)):
        result.get(timeout=RESULT_TIMEOUT)
    calls = handlers.calls(k)
    assert len(calls) == 2, calls  # failed at once, then retried after 5s
    first, second = calls
    ended = cs.done_at(faults.app.backend.get_task_meta(result.id, cache=False))
    # total_timeout 8s from the first send: at most ~3s were left for the
    # second attempt, whose own timeout (6s, soft 5.4s) would run past it
    assert ended - second["at"] < 4.5, (first, second, ended)
    assert ended - first["at"] < 8 + 2
    assert handlers.calls(f"{k}:slept") == []


def test_job_deadline_cuts_the_step_in_progress(faults: cs.Project) -> None:
    runtime = faults.module("celery_runtime")
    k = key()
    result = faults.client.start_deadline(key=k)
    with pytest.raises(
        runtime.JobDeadlineExceeded, match=r"deadline\.second was still"
    ):
        result.get(timeout=RESULT_TIMEOUT)
    first = handlers.calls(f"{k}:start")[0]
    ended = cs.done_at(faults.app.backend.get_task_meta(result.id, cache=False))
    # the second step started ~3s in; its own timeout (6s, soft 5.4s) would
    # have run ~2.4s past the job's 6s, its limits ended at the deadline
    assert ended - (first["at"] + 6) < 1.5, (first, ended)
    assert len(handlers.calls(k)) == 1  # only the first step finished


def test_id_claimed_by_a_client_that_died_is_sent_by_the_next(
    faults: cs.Project,
) -> None:
    runtime = faults.module("celery_runtime")
    k = key()
    task_id = f"once-{k}"
    # A client that claims the id as the generated client does, then dies
    # before its message is sent.
    dies = "import os, sys\nfrom e2e_faults import celery_runtime as rt\n"
    dies += "rt.send_once(sys.argv[1], lambda: os._exit(3))\n"
    env = {
        **os.environ,
        **faults.env(),
        "PYTHONPATH": workers.pythonpath(faults.out_dir),
    }
    died = subprocess.run(
        [sys.executable, "-c", dies, task_id], env=env, timeout=60, check=False
    )
    assert died.returncode == 3
    claim = runtime.results_redis().get(f"{runtime.spec.KEY_PREFIX}id:{task_id}")
    assert claim is not None
    assert claim.startswith(b"sending")  # left behind, never sent

    result = faults.client.start_once(key=k)
    assert result.id == task_id
    assert result.get(timeout=RESULT_TIMEOUT) == {"key": k, "done": 1}
    assert len(handlers.calls(f"{k}:start")) == 1


def test_client_whose_claim_lapsed_does_not_mark_the_id_sent(
    faults: cs.Project,
) -> None:
    """A send that outlasts its claim, taken over meanwhile by another start:
    the first client leaves the other's claim alone (no "sent" over it)."""
    runtime = faults.module("celery_runtime")
    task_id = f"lapsed-{key()}"
    claim_key = f"{runtime.spec.KEY_PREFIX}id:{task_id}"
    results = runtime.results_redis()
    other = "sending:the-other-start"

    def send() -> object:
        results.set(claim_key, other, ex=60)  # lapsed, and claimed by another
        return AsyncResult(task_id, app=faults.app)

    runtime.send_once(task_id, send)
    assert results.get(claim_key) == other.encode()


def test_concurrent_starts_of_one_id_send_once(faults: cs.Project) -> None:
    k = key()
    starters = 4
    barrier = threading.Barrier(starters)
    ids: list[str] = []

    def start() -> None:
        barrier.wait(timeout=30)
        ids.append(faults.client.start_once(key=k, seconds=0.5).id)

    threads = [threading.Thread(target=start) for _ in range(starters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert ids == [f"once-{k}"] * starters
    assert faults.client.start_once(key=k).get(timeout=RESULT_TIMEOUT)["done"] == 1
    marker = faults.client.start_once(key=f"{k}-after")
    assert marker.get(timeout=RESULT_TIMEOUT)["done"] == 1  # the queue moved past
    assert len(handlers.calls(f"{k}:start")) == 1


def test_async_handler_keeps_its_event_loop_across_calls(faults: cs.Project) -> None:
    k = key()
    results = [
        faults.client.start_looped(key=k).get(timeout=RESULT_TIMEOUT) for _ in range(3)
    ]
    assert [r["calls"] for r in results] == [1, 2, 3]  # no call was retried
    assert len({r["pid"] for r in results}) == 1  # one pool process ran them all
    assert len({c["loop"] for c in handlers.calls(k)}) == 1
    assert all(r["same_loop"] for r in results)


def _wait_past(moment: float) -> None:
    """Until the clock has passed `moment` (an expiry time)."""
    time.sleep(max(0.0, moment - time.time()))
