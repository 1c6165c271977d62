"""for_each on Celery (tests/e2e/specs/for_each_celery.yaml), on a real
worker process: elements run as a chord of max_parallel lanes with results
in list order, an `if` reading ${item} passes single elements over, and a
failed element fails the job; the elements queued behind it never run."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from lichc.engines.celery.servers import RedisServer
from tests.e2e import celery_support as cs
from tests.e2e.handlers import celery_elements as handlers
from tests.e2e.handlers.celery_jobs import calls

pytestmark = pytest.mark.e2e

SPEC = (Path(__file__).parent / "specs" / "for_each_celery.yaml").read_text()
RESULT_TIMEOUT = 60


@pytest.fixture(scope="module")
def each(
    tmp_path_factory: pytest.TempPathFactory, redis: RedisServer
) -> Iterator[cs.Project]:
    folder = tmp_path_factory.mktemp("celery-each")
    with cs.served(
        folder, SPEC, "e2e_ceach", redis, "ceach", queues=["ceach"], concurrency=4
    ) as proj:
        yield proj


def test_elements_run_at_most_max_parallel_at_once_and_results_keep_list_order(
    each: cs.Project,
) -> None:
    batch = uuid.uuid4().hex
    images = ["a.png", "skip.png", "c.png", "d.png", "e.png"]
    result = each.client.start_batch(batch=batch, images=images, size=64)
    # the `if` reads ${item}: the element passed over keeps its place as None
    assert result.get(timeout=RESULT_TIMEOUT) == [
        None if p == "skip.png" else f"stamped {p}@64" for p in images
    ]
    thumbnails = [c["path"] for c in calls(batch) if c["step"] == "thumbnail"]
    assert sorted(thumbnails) == sorted(images)
    # four worker processes, two lanes (max_parallel: 2)
    assert handlers.most_at_once(batch) == 2
    stamps = [c["path"] for c in calls(batch) if c["step"] == "stamp"]
    assert sorted(stamps) == sorted(f"{p}@64" for p in images if p != "skip.png")


def test_a_failed_element_fails_the_job_and_no_later_element_or_step_runs(
    each: cs.Project,
) -> None:
    batch = uuid.uuid4().hex
    images = ["ok1.png", "bad.png", "ok2.png", "ok3.png"]
    result = each.client.start_fragile(batch=batch, images=images)
    with pytest.raises(Exception, match=r"cannot read bad\.png"):
        result.get(timeout=RESULT_TIMEOUT)
    ran = [c["path"] for c in calls(batch)]
    # one lane (max_parallel: 1): two attempts of bad.png, then nothing more
    assert ran == ["ok1.png", "bad.png", "bad.png"]


def test_an_empty_list_runs_no_element_and_the_job_goes_on(each: cs.Project) -> None:
    batch = uuid.uuid4().hex
    result = each.client.start_fragile(batch=batch, images=[])
    assert result.get(timeout=RESULT_TIMEOUT) == "stamped after"
    assert [c["path"] for c in calls(batch)] == ["after"]


def test_a_failed_element_stops_the_elements_queued_in_other_lanes(
    each: cs.Project,
) -> None:
    batch = uuid.uuid4().hex
    # lane 1 runs s1, s3, s5; lane 0 fails on bad.png while s1 runs
    images = ["bad.png", "s1.png", "s2.png", "s3.png", "s4.png", "s5.png"]
    result = each.client.start_halting(batch=batch, images=images)
    with pytest.raises(Exception, match=r"cannot read bad\.png"):
        result.get(timeout=RESULT_TIMEOUT)
    ran = [c["path"] for c in calls(batch)]
    assert ran == ["bad.png", "bad.png", "s1.png"]


def test_a_cancel_stops_the_elements_not_yet_started(each: cs.Project) -> None:
    from celery.exceptions import TaskRevokedError

    from lichc.devstack.servers import wait_until

    batch = uuid.uuid4().hex
    # one lane of two-second elements: cancelled while the first one runs
    images = ["s1.png", "s2.png", "s3.png", "s4.png"]
    result = each.client.start_slow_batch(batch=batch, images=images)
    wait_until(lambda: bool(handlers.started(batch)), "the first element to start", 60)
    assert each.client.cancel_slow_batch(result.id) is True
    with pytest.raises(TaskRevokedError):
        result.get(timeout=RESULT_TIMEOUT)
    wait_until(lambda: len(calls(batch)) >= 1, "the running element to finish", 60)
    assert [c["path"] for c in calls(batch)] == ["s1.png"]
