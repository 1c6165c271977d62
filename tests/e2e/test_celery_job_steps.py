"""job steps on Celery (tests/e2e/specs/job_steps_celery.yaml), on a real
worker process: the child's tasks run as part of the parent's chain (a
multi-step child and a single-step one), and the child's result is the
step's."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from lichc.engines.celery.servers import RedisServer
from tests.e2e import celery_support as cs
from tests.e2e.handlers.celery_jobs import calls

pytestmark = pytest.mark.e2e

SPEC = (Path(__file__).parent / "specs" / "job_steps_celery.yaml").read_text()


@pytest.fixture(scope="module")
def jobs(
    tmp_path_factory: pytest.TempPathFactory, redis: RedisServer
) -> Iterator[cs.Project]:
    folder = tmp_path_factory.mktemp("celery-jobs")
    queues = ["cjobs", "cjobs-children"]
    with cs.served(folder, SPEC, "e2e_cjobs", redis, "cjobs", queues=queues) as proj:
        yield proj


def test_the_childs_tasks_run_in_the_parents_chain_and_its_result_is_the_steps(
    jobs: cs.Project,
) -> None:
    key = uuid.uuid4().hex
    result = jobs.client.start_parent(key=key, n=1)
    assert result.get(timeout=60) == "confirmed 2; single done"
    assert [c["step"] for c in calls(key)] == [
        "count",
        "book",
        "confirm",
        "single",
        "finish",
    ]
