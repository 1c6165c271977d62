"""The Temporal execution-timeout backstop leaves room for the saga."""

from __future__ import annotations

from datetime import timedelta

from lichc.engines.temporal import options
from lichc.plan.ir import Job, RunStep
from tests.support.plans import plan_of

SPEC = """
    version: 1
    project: backstop
    jobs:
      Order:
        engine: temporal
        queue: orders
        input: {order: str}
        timeout: 10m
        steps:
          - {name: check, run: shop.orders:check, timeout: 8m}
          - name: charge
            run: shop.orders:charge
            timeout: 5m
            retry: {attempts: 3, delay: 2s, factor: 2, max_delay: 60s}
            compensate: shop.orders:refund
          - name: reserve
            run: shop.orders:reserve
            timeout: 2m
            retry: {attempts: 4, backoff: fixed, delay: 10s}
            compensate: shop.orders:release
"""


def job_of(yaml_text: str) -> Job:
    (job,) = plan_of(yaml_text).jobs
    return job


def step(job: Job, name: str) -> RunStep:
    return next(s for s in job.run_steps() if s.name == name)


def test_worst_case_is_every_attempt_timing_out_plus_the_retry_delays() -> None:
    job = job_of(SPEC)
    # 3 x 5m, then 2s and 4s between the attempts
    assert options.worst_case(step(job, "charge")) == timedelta(minutes=15, seconds=6)
    # 4 x 2m, fixed 10s between them
    assert options.worst_case(step(job, "reserve")) == timedelta(minutes=8, seconds=30)


def test_backstop_covers_the_step_in_flight_and_every_compensation() -> None:
    job = job_of(SPEC)
    # the longest undoable step in flight (5m; `check`, 8m, has nothing to undo),
    # then both compensations, then the 1-minute margin
    saga = timedelta(minutes=5) + timedelta(minutes=15, seconds=6 + 8 * 60 + 30)
    assert options.saga_allowance(job) == saga
    assert options.execution_timeout(job) == timedelta(minutes=10 + 1) + saga


def test_total_timeout_bounds_a_compensation_and_unlimited_attempts() -> None:
    spec = SPEC.replace(
        "retry: {attempts: 3, delay: 2s, factor: 2, max_delay: 60s}",
        "retry: {attempts: unlimited}\n            total_timeout: 20m",
    ).replace("{attempts: 4, backoff: fixed, delay: 10s}", "{attempts: 1}")
    job = job_of(spec)
    assert options.worst_case(step(job, "charge")) == timedelta(minutes=20)
    assert options.worst_case(step(job, "reserve")) == timedelta(minutes=2)


def test_unlimited_attempts_without_total_timeout_get_a_fixed_allowance() -> None:
    spec = SPEC.replace(
        "{attempts: 3, delay: 2s, factor: 2, max_delay: 60s}",
        "{attempts: unlimited, backoff: fixed, delay: 1s}",
    )
    job = job_of(spec)
    attempts = options.UNLIMITED_ATTEMPTS_ALLOWANCE
    assert options.worst_case(step(job, "charge")) == timedelta(
        minutes=5 * attempts, seconds=attempts - 1
    )


def test_a_job_without_compensations_keeps_the_plain_margin() -> None:
    spec = SPEC.replace("compensate: shop.orders:refund", "").replace(
        "compensate: shop.orders:release", ""
    )
    job = job_of(spec)
    assert options.saga_allowance(job) == timedelta(0)
    assert options.execution_timeout(job) == timedelta(minutes=11)


def test_queue_wait_counts_for_every_attempt_and_the_step_in_flight() -> None:
    spec = (
        SPEC.replace("timeout: 5m\n", "timeout: 5m\n            queue_timeout: 1m\n")
        .replace(
            "{attempts: 4, backoff: fixed, delay: 10s}",
            "{attempts: 4, backoff: fixed, delay: 10s}\n            total_timeout: 9m",
        )
        .replace("timeout: 2m\n", "timeout: 2m\n            queue_timeout: 30s\n")
    )
    job = job_of(spec)
    # 3 x (1m in the queue + 5m), then 2s and 4s between the attempts
    charge = timedelta(minutes=18, seconds=6)
    assert options.worst_case(step(job, "charge")) == charge
    # 4 x (30s + 2m) + 3 x 10s = 10m 30s, capped at total_timeout
    assert options.worst_case(step(job, "reserve")) == timedelta(minutes=9)
    # in flight: charge may wait 1m in the queue, then run 5m
    saga = timedelta(minutes=6) + charge + timedelta(minutes=9)
    assert options.saga_allowance(job) == saga
