"""The plan: defaults merged key by key, engines chosen by the spec's rule."""

from __future__ import annotations

import textwrap
from datetime import timedelta

from lichc.plan.ir import BUILT_IN, RunStep
from tests.support.plans import plan_of


def test_retry_merges_key_by_key_and_remembers_where_each_key_came_from() -> None:
    plan = plan_of(
        """
        version: 1
        defaults:
          retry: {attempts: 5, delay: 2s}
        jobs:
          Job:
            engine: temporal
            retry: {max_delay: 30s}
            steps:
              - {name: a, run: m.x:a, retry: {attempts: 2}}
              - {name: b, run: m.x:b}
        """
    )
    a, b = plan.jobs[0].steps
    assert isinstance(a, RunStep)
    assert isinstance(b, RunStep)
    assert (a.retry.attempts, a.retry.delay, a.retry.max_delay, a.retry.factor) == (
        2,
        timedelta(seconds=2),
        timedelta(seconds=30),
        2.0,
    )
    assert b.retry.attempts == 5
    assert a.retry.origin("attempts") == ("jobs", "Job", "steps", 0, "retry")
    assert b.retry.origin("attempts") == ("defaults", "retry")
    assert a.retry.origin("max_delay") == ("jobs", "Job", "retry")
    assert a.retry.origin("factor") == BUILT_IN
    assert [a.retry.delay_before_retry(n) for n in (1, 2, 3, 4, 5)] == [2, 4, 8, 16, 30]


def test_fixed_backoff_and_unlimited_attempts() -> None:
    plan = plan_of(
        """
        version: 1
        jobs:
          Job: {run: m.x:a, retry: {attempts: unlimited, backoff: fixed, delay: 3s}}
        """
    )
    step = plan.jobs[0].steps[0]
    assert isinstance(step, RunStep)
    assert step.retry.attempts is None
    assert step.retry.coefficient == 1.0
    assert [step.retry.delay_before_retry(n) for n in (1, 5)] == [3, 3]


def test_timeouts_single_step_vs_multi_step() -> None:
    plan = plan_of(
        """
        version: 1
        defaults: {timeout: 2m}
        jobs:
          Single: {run: m.x:a, timeout: 30s, total_timeout: 5m}
          Multi:
            engine: temporal
            timeout: 1d
            heartbeat: 10s
            steps:
              - {name: a, run: m.x:a}
              - {name: b, run: m.x:b, timeout: 1m, heartbeat: 20s}
        """
    )
    single, multi = plan.jobs
    (step,) = single.steps
    assert isinstance(step, RunStep)
    assert (step.timeout, step.total_timeout, single.deadline) == (
        timedelta(seconds=30),
        timedelta(minutes=5),
        None,
    )
    assert step.name == "single"
    a, b = multi.steps
    assert isinstance(a, RunStep)
    assert isinstance(b, RunStep)
    assert multi.deadline == timedelta(days=1)
    assert a.timeout == timedelta(
        minutes=2
    )  # the job timeout bounds the job, not each step
    assert (a.heartbeat, b.heartbeat, b.timeout) == (
        timedelta(seconds=10),
        timedelta(seconds=20),
        timedelta(minutes=1),
    )


def test_queues_inherit_and_run_steps_are_named_after_their_function() -> None:
    plan = plan_of(
        """
        version: 1
        defaults: {queue: general}
        jobs:
          A: {run: m.x:a}
          B:
            engine: temporal
            queue: bq
            steps:
              - {run: m.x:first}
              - {name: both, parallel: [{run: m.x:left}, {run: m.x:right, queue: fast}]}
        """
    )
    a, b = plan.jobs
    assert a.queue == "general"
    assert [s.name for s in b.named_steps()] == ["first", "both", "left", "right"]
    assert [s.queue for s in b.run_steps()] == ["bq", "bq", "fast"]
    assert plan.queues_on("temporal") == ("bq", "fast")


def engine_of(job_yaml: str) -> tuple[str, str]:
    plan = plan_of(
        "version: 1\njobs:\n  Job:\n"
        + textwrap.indent(textwrap.dedent(job_yaml), "    ")
    )
    return plan.jobs[0].engine, plan.jobs[0].engine_reason


def test_auto_picks_celery_for_a_single_short_step() -> None:
    engine, reason = engine_of("run: m.x:a\ntimeout: 1h\n")
    assert engine == "celery"
    assert reason.startswith("engine: auto chose celery")


def test_auto_picks_temporal_and_says_why() -> None:
    cases = {
        "steps: [{name: a, run: m.x:a}, {name: b, run: m.x:b}]": "it has 2 steps",
        "steps: [{name: a, run: m.x:a, compensate: m.x:undo}]": "step a has a compensation",
        "steps: [{name: w, wait_for: {signal: go}}]": "step w waits for signal 'go'",
        "steps: [{name: nap, sleep: 5m}]": "step nap sleeps 5m",
        "run: m.x:a\nheartbeat: 5s\n": "step job heartbeats",
        "run: m.x:a\ntimeout: 2h\n": "its timeout of 2h is over 1h",
        "run: m.x:a\ntotal_timeout: 1h1s\n": "its total_timeout of 1h1s is over 1h",
        "steps: [{name: a, run: m.x:a}]\ntimeout: 3h\n": "its timeout of 3h is over 1h",
    }
    for job, why in cases.items():
        engine, reason = engine_of(job)
        assert engine == "temporal", job
        assert why in reason, (job, reason)


def test_explicit_engine_is_kept() -> None:
    assert engine_of("engine: temporal\nrun: m.x:a\n") == (
        "temporal",
        "set by `engine: temporal`",
    )
