"""The Celery runtime (compiler/lichc/engines/celery/runtime/), tested where it
is written rather than through a generated project.

Its `spec` module is the one lichc renders for tests.support.celery_runtime.SPEC,
loaded in place of the generated file (conftest.py); Redis is a real, private
redis-server.
"""

from __future__ import annotations

import ast
import asyncio
import base64
import json
import pickle
import time
import types
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support.celery_runtime import rendered_spec

RUNTIME = Path(__file__).resolve().parents[2] / "compiler/lichc/engines/celery/runtime"


def test_the_rendered_spec_binds_what_the_stub_declares() -> None:
    def bound(tree: ast.Module) -> set[str]:
        names = set()
        for node in tree.body:
            if isinstance(node, ast.Assign):
                names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names.add(node.target.id)
            elif isinstance(node, ast.FunctionDef):
                names.add(node.name)
        return names

    stub = ast.parse((RUNTIME / "spec.pyi").read_text())
    assert bound(ast.parse(rendered_spec())) == bound(stub)


def test_the_spec_holds_the_jobs_file_values(runtime: types.ModuleType) -> None:
    spec = runtime.spec
    assert spec.PROJECT == "rt"
    assert spec.KEY_PREFIX == "lichc:rt:"
    assert spec.DEAD_LETTER_RETENTION == {"brief": 2, "kept": 3600}
    assert spec.DEFAULT_RETENTION == 14 * 24 * 3600


def test_every_runtime_module_imports_its_siblings_relatively() -> None:
    for path in RUNTIME.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("lichc"), path.name
                # `..` would leave the runtime package: only the spec may
                assert node.level <= 1, path.name


# -- retries ---------------------------------------------------------------------


def test_retry_waits_grow_by_factor_up_to_max_delay(runtime: types.ModuleType) -> None:
    policy = runtime.RetryPolicy(attempts=5, delay=2, factor=3, max_delay=30)
    assert [policy.countdown(n) for n in (1, 2, 3, 4)] == [2, 6, 18, 30]


def test_jitter_draws_the_wait_from_zero_to_the_backoff(
    runtime: types.ModuleType,
) -> None:
    policy = runtime.RetryPolicy(
        attempts=5, delay=8, factor=1, max_delay=8, jitter=True
    )
    waits = {policy.countdown(1) for _ in range(50)}
    assert all(0 <= wait <= 8 for wait in waits)
    assert len(waits) > 1


def test_which_errors_are_retried(runtime: types.ModuleType) -> None:
    from celery.exceptions import SoftTimeLimitExceeded, WorkerLostError

    policy = runtime.RetryPolicy(
        attempts=3,
        delay=1,
        factor=1,
        max_delay=1,
        retry_on=(ConnectionError,),
        non_retryable=(ConnectionRefusedError,),
    )
    assert policy.retries(ConnectionResetError())
    assert not policy.retries(ConnectionRefusedError())  # non_retryable wins
    assert not policy.retries(ValueError())  # not in retry_on
    assert policy.retries(SoftTimeLimitExceeded())  # timeouts always are
    assert policy.retries(WorkerLostError())
    anything = runtime.RetryPolicy(attempts=3, delay=1, factor=1, max_delay=1)
    assert anything.retries(ValueError())
    assert not anything.retries(runtime.MissingField("no field"))


def job_task(app: Any, runtime: types.ModuleType, **policy: Any) -> Any:
    retry = runtime.RetryPolicy(attempts=3, delay=10, factor=1, max_delay=10)

    @app.task(bind=True, base=runtime.JobTask, name="rt.t", policy=None)
    def task(self: Any) -> None:
        return None

    task.policy = runtime.Policy(retry=retry, **policy)
    return task


def request(runtime: types.ModuleType, **fields: Any) -> Any:
    from celery.app.task import Context

    return Context({"retries": 0, "headers": {}, "args": [], **fields})


def test_retry_options_expire_at_the_earliest_limit(
    runtime: types.ModuleType, app: Any
) -> None:
    task = job_task(app, runtime, total_timeout=100, queue_timeout=20)
    first_due = time.time() - 50
    options = task.retry_options(
        ValueError(), request(runtime, headers={"lichc_first_due": first_due})
    )
    assert options["countdown"] == 10
    assert options["headers"] == {"lichc_first_due": first_due}
    # queue_timeout after the retry is due (now + 10 + 20) comes before
    # total_timeout after the first send was due (first_due + 100)
    expected = time.time() + 30
    assert abs(options["expires"].timestamp() - expected) < 2


def test_no_retry_past_total_timeout_attempts_or_deadline(
    runtime: types.ModuleType, app: Any
) -> None:
    task = job_task(app, runtime, total_timeout=100)
    late = {"lichc_first_due": time.time() - 95}  # the retry would be due after
    assert task.retry_options(ValueError(), request(runtime, headers=late)) is None
    assert task.retry_options(ValueError(), request(runtime, retries=2)) is None
    context = {"input": {}, "steps": {}, "deadline": time.time() + 5}
    assert task.retry_options(ValueError(), request(runtime, args=[context])) is None
    assert task.retry_options(ValueError(), request(runtime)) is not None


def test_first_due_is_stamped_once_for_the_projects_tasks(
    runtime: types.ModuleType,
) -> None:
    headers: dict[str, Any] = {"eta": "2026-01-01T00:00:00+00:00"}
    runtime.stamp_first_due(sender="rt.t", headers=headers)
    assert headers["lichc_first_due"] == datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    runtime.stamp_first_due(sender="rt.t", headers={**headers, "eta": None})
    assert headers["lichc_first_due"] == datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    other: dict[str, Any] = {}
    runtime.stamp_first_due(sender="celery.chord_unlock", headers=other)
    assert other == {}


# -- time limits of an attempt ---------------------------------------------------


def job_request(runtime: types.ModuleType, app: Any, task: Any, **kw: Any) -> Any:
    from celery.contrib.testing.mocks import TaskMessage

    message = TaskMessage(task.name, id="a-task", **kw)
    return runtime.JobRequest(message, app=app, task=task)


def test_an_attempt_ends_at_the_jobs_deadline(
    runtime: types.ModuleType, app: Any
) -> None:
    task = job_task(app, runtime)
    task.time_limit, task.soft_time_limit = 300, 290
    context = {"input": {}, "steps": {}, "deadline": time.time() + 60}
    hard, soft = job_request(runtime, app, task, args=[context]).time_limits
    assert 58 < hard <= 60
    assert soft == pytest.approx(hard - 1, abs=0.01)  # SOFT_LIMIT_MARGIN is 1s
    # far from the deadline: the task's own limits
    context["deadline"] = time.time() + 3600
    assert job_request(runtime, app, task, args=[context]).time_limits == (300, 290)


def test_a_short_attempt_keeps_a_tenth_between_its_limits(
    runtime: types.ModuleType, app: Any
) -> None:
    task = job_task(app, runtime, total_timeout=5)
    task.time_limit, task.soft_time_limit = 300, 290
    # FIRST_DUE is a header of the message (stamp_first_due)
    started = job_request(runtime, app, task, lichc_first_due=time.time())
    hard, soft = started.time_limits
    assert 4 < hard <= 5
    assert soft == pytest.approx(hard * 0.9, abs=0.01)


def test_message_limits_replace_the_tasks(runtime: types.ModuleType, app: Any) -> None:
    task = job_task(app, runtime)
    task.time_limit, task.soft_time_limit = 300, 290
    job = job_request(runtime, app, task)
    job.time_limits = (30, 20)
    assert job.time_limits == (30, 20)


# -- chains ----------------------------------------------------------------------


def test_a_context_carries_input_results_deadline_and_run(
    runtime: types.ModuleType,
) -> None:
    context = runtime.new_context({"n": 1}, timeout=None)
    run = context["run"]  # the chain's id: a new one unless given
    assert context == {"input": {"n": 1}, "steps": {}, "deadline": None, "run": run}
    assert len(run) == 36
    assert runtime.new_context({}, None)["run"] != run
    assert runtime.new_context({}, None, run="order-1")["run"] == "order-1"
    after = runtime.with_result(context, "add", {"sum": 3})
    assert context["steps"] == {}  # never mutated: a retry gets the original
    assert runtime.step_field(after, "add", "sum") == 3
    with pytest.raises(runtime.MissingField, match="step add returned no field 'x'"):
        runtime.step_field(after, "add", "x")
    joined = runtime.merge([after, runtime.with_result(context, "mul", 6)])
    assert joined["steps"] == {"add": {"sum": 3}, "mul": 6}
    timed = runtime.new_context({}, timeout=10)
    assert time.time() < timed["deadline"] <= time.time() + 10
    assert runtime.job_deadline([timed]) == timed["deadline"]
    assert runtime.job_deadline([[timed]]) == timed["deadline"]  # a chord's join
    assert runtime.job_deadline([]) is None


def test_call_runs_async_handlers_on_one_kept_loop(runtime: types.ModuleType) -> None:
    async def loop_of() -> asyncio.AbstractEventLoop:
        return asyncio.get_running_loop()

    def double(n: int) -> int:
        return 2 * n

    assert runtime.call(double, 4) == 8
    first = runtime.call(loop_of)
    assert runtime.call(loop_of) is first


# -- ids -------------------------------------------------------------------------


def test_the_pending_claim_outlasts_the_longest_send(runtime: types.ModuleType) -> None:
    conf = types.SimpleNamespace(
        task_publish_retry_policy={
            "max_retries": 3,
            "interval_start": 0,
            "interval_step": 0.2,
            "interval_max": 0.3,
        },
        broker_connection_timeout=4,
    )
    # 4 tries of 4s, waits 0 + 0.2 + 0.3, plus CLAIM_PENDING_TTL 10, rounded up
    assert runtime.ids.pending_claim_ttl(conf) == 27


def test_a_job_id_is_sent_once(runtime: types.ModuleType, app: Any) -> None:
    sent = []

    def send() -> Any:
        sent.append(1)
        return app.AsyncResult("once-1")

    first = runtime.send_once("once-1", send)
    second = runtime.send_once("once-1", send)
    assert first.id == second.id == "once-1"
    assert sent == [1]
    claim = runtime.results_redis().get("lichc:rt:id:once-1")
    assert claim == b"sent"
    assert 0 < runtime.results_redis().ttl("lichc:rt:id:once-1") <= 86400


def test_a_failed_send_releases_the_claim(runtime: types.ModuleType, app: Any) -> None:
    def fails() -> Any:
        raise ConnectionError("broker down")

    with pytest.raises(ConnectionError):
        runtime.send_once("once-2", fails)
    assert runtime.results_redis().get("lichc:rt:id:once-2") is None


def test_only_the_claims_owner_marks_or_releases_it(
    runtime: types.ModuleType, app: Any
) -> None:
    client, key = runtime.results_redis(), "lichc:rt:id:taken"
    client.set(key, "sending:other")
    assert not runtime.ids.mark_sent(client, key, "sending:mine")
    runtime.ids.release_claim(client, key, "sending:mine")
    assert client.get(key) == b"sending:other"
    assert runtime.ids.mark_sent(client, key, "sending:other")
    assert client.get(key) == b"sent"


# -- dead letters ----------------------------------------------------------------


def test_dead_letters_keep_records_for_their_queues_retention(
    runtime: types.ModuleType, app: Any
) -> None:
    brief, kept = runtime.DeadLetters("brief"), runtime.DeadLetters("kept")
    assert (brief.retention, kept.retention) == (2, 3600)
    assert runtime.DeadLetters("gone").retention == 14 * 24 * 3600
    record = {"task": "rt.t", "task_id": "t1", "args": [], "kwargs": {}, "chain": []}
    first = kept.add(record)
    assert [r["id"] for r in kept.records()] == [first]
    assert kept.get(first)["queue"] == "kept"
    assert 3590 < runtime.broker_redis().ttl(kept.key) <= 3601
    brief_id = brief.add(record)
    assert [q.queue for q in runtime.DeadLetters.all()] == ["brief", "kept"]
    assert runtime.find_dead_letter(brief_id).queue == "brief"
    # an expired record is pruned when the queue is next read
    runtime.broker_redis().zadd(brief.expiry_key, {brief_id: time.time() - 1})
    assert brief.records() == []
    assert runtime.find_dead_letter(brief_id) is None


def test_replay_sends_the_task_again_then_removes_the_record(
    runtime: types.ModuleType, app: Any
) -> None:
    queue = runtime.DeadLetters("kept")
    context = {"input": {}, "steps": {}, "deadline": 1.0}
    record_id = queue.add(
        {"task": "rt.t", "task_id": "t2", "args": [context], "kwargs": {}, "chain": []}
    )
    result = queue.replay(record_id, deadline=99.0)
    assert result.id == "t2"
    assert queue.get(record_id) is None
    assert queue.replay(record_id) is None
    message = json.loads(runtime.broker_redis().lpop("celery"))
    args, _, _ = json.loads(base64.b64decode(message["body"]))
    assert args == [{**context, "deadline": 99.0}]


# -- beat ------------------------------------------------------------------------


def test_a_zoned_crontab_runs_in_its_own_timezone(runtime: types.ModuleType) -> None:
    paris = runtime.zoned_crontab(minute="0", hour="9", timezone="Europe/Paris")
    last = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)  # 08:00 in Paris
    start, delta, _ = paris.remaining_delta(last)
    due = (start + delta).astimezone(UTC)
    assert due == datetime(2026, 1, 5, 8, 0, tzinfo=UTC)  # 09:00 in Paris
    again = pickle.loads(pickle.dumps(paris))  # beat's schedule file keeps it
    assert (again.fields, again.timezone) == (paris.fields, "Europe/Paris")


def test_a_ticks_id_names_its_scheduled_time(runtime: types.ModuleType) -> None:
    from celery.beat import ScheduleEntry
    from celery.schedules import crontab

    entry = ScheduleEntry(
        name="hourly",
        task="rt.t",
        schedule=crontab(minute="0"),
        last_run_at=datetime(2026, 1, 5, 7, 0, 5, tzinfo=UTC),
    )
    scheduled = runtime.beat.scheduled_time(entry)
    assert scheduled == datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    assert runtime.scheduled_id("given") == "given"  # outside a task


def test_a_finished_run_is_not_still_running(
    runtime: types.ModuleType, app: Any
) -> None:
    still_running = runtime.beat.still_running
    assert still_running("never-sent", chain=False)  # unknown: counts as running
    app.backend.mark_as_done("done-1", "ok")
    assert not still_running("done-1", chain=False)
    app.backend.mark_as_done("launcher-1", "chain-1")  # a launcher returns its chain
    assert still_running("launcher-1", chain=True)
    app.backend.mark_as_failure("chain-1", ValueError("x"))
    assert not still_running("launcher-1", chain=True)


def test_a_soft_limit_near_the_deadline_is_the_deadlines(
    runtime: types.ModuleType,
) -> None:
    # within SOFT_LIMIT_MARGIN (1s) of the deadline
    assert runtime.policy.reached(time.time() + 0.5)
    assert not runtime.policy.reached(time.time() + 5)
    assert not runtime.policy.reached(None)


def test_each_tick_is_a_run_and_skipped_while_the_last_runs(
    runtime: types.ModuleType, app: Any, tmp_path: Path
) -> None:
    from celery.beat import ScheduleEntry
    from celery.schedules import crontab

    scheduler = runtime.JobScheduler(
        app, lazy=True, schedule_filename=str(tmp_path / "beat")
    )

    def tick(last_run: datetime, chain: bool) -> Any:
        entry = ScheduleEntry(
            name="hourly",
            task="rt.launch" if chain else "rt.t",
            schedule=crontab(minute="0"),
            last_run_at=last_run,
            options={"lichc_tick": {"id": "hourly", "chain": chain}},
            app=app,
        )
        return scheduler.apply_async(entry, advance=False)

    first = tick(datetime(2026, 1, 5, 7, 0, 5, tzinfo=UTC), chain=False)
    assert first.id == "hourly-2026-01-05T08:00:00Z"
    assert runtime.results_redis().get("lichc:rt:tick:hourly") == first.id.encode()
    # the next tick, while the first has not finished: skipped
    assert tick(datetime(2026, 1, 5, 8, 0, 5, tzinfo=UTC), chain=False) is None
    app.backend.mark_as_done(first.id, None)
    launcher = tick(datetime(2026, 1, 5, 8, 0, 5, tzinfo=UTC), chain=True)
    assert launcher.id == "hourly-2026-01-05T09:00:00Z-launcher"
    sent = [json.loads(m) for m in runtime.broker_redis().lrange("celery", 0, -1)]
    # the launcher starts its chain under the tick's own id (scheduled_id)
    assert {m["headers"].get("lichc_run_id") for m in sent} == {
        None,
        "hourly-2026-01-05T09:00:00Z",
    }
