"""`if` and `end` on Celery (tests/e2e/specs/flow_celery.yaml), on a real
worker process: an early end completes the chain with its result, skipping
the countdown of a later sleep; a false condition skips its step; an end
that fails fails the job with its message."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from lichc.engines.celery.servers import RedisServer
from tests.e2e import celery_support as cs
from tests.e2e.handlers import celery_jobs as handlers

pytestmark = pytest.mark.e2e

SPEC = (Path(__file__).parent / "specs" / "flow_celery.yaml").read_text()
RESULT_TIMEOUT = 60


@pytest.fixture(scope="module")
def flow(
    tmp_path_factory: pytest.TempPathFactory, redis: RedisServer
) -> Iterator[cs.Project]:
    folder = tmp_path_factory.mktemp("celery-flow")
    with cs.served(folder, SPEC, "e2e_cflow", redis, "cflow", queues=["cflow"]) as proj:
        yield proj


def steps_ran(order: str) -> list[str]:
    return [call["step"] for call in handlers.calls(order)]


def test_an_invalid_order_ends_early_with_the_end_steps_result(
    flow: cs.Project,
) -> None:
    order = uuid.uuid4().hex
    result = flow.client.start_order(order=order, amount=0)
    assert result.get(timeout=RESULT_TIMEOUT) == {
        "status": "failed",
        "reason": "validation",
        "order": order,
    }
    assert steps_ran(order) == ["validate"]


def test_an_end_before_an_hour_long_sleep_completes_the_job_at_once(
    flow: cs.Project,
) -> None:
    order = uuid.uuid4().hex
    result = flow.client.start_early(order=order)
    # within the deadline only if the 1h countdown of the last task was dropped
    assert result.get(timeout=RESULT_TIMEOUT) == order
    assert steps_ran(order) == []


def test_a_false_condition_skips_its_step_and_later_steps_read_null(
    flow: cs.Project,
) -> None:
    order = uuid.uuid4().hex
    result = flow.client.start_order(order=order, amount=50)
    assert result.get(timeout=RESULT_TIMEOUT) == {"shipped": order, "gift": None}
    assert steps_ran(order) == ["validate", "ship:None"]


def test_a_true_condition_runs_its_step(flow: cs.Project) -> None:
    order = uuid.uuid4().hex
    result = flow.client.start_order(order=order, amount=150, tags=["vip"])
    assert result.get(timeout=RESULT_TIMEOUT) == {"shipped": order, "gift": True}
    assert steps_ran(order) == ["validate", "gift", "ship:True"]


def test_an_end_with_fail_fails_the_job_with_its_message(flow: cs.Project) -> None:
    runtime = flow.module("celery_runtime")
    order = uuid.uuid4().hex
    result = flow.client.start_order(order=order, amount=5000)
    with pytest.raises(runtime.JobFailed, match=f"order {order} is too big: 5000.0"):
        result.get(timeout=RESULT_TIMEOUT)
    assert steps_ran(order) == ["validate"]
