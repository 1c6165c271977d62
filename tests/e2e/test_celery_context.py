"""Handlers given a JobContext on a real Celery worker and Redis
(tests/e2e/specs/context_celery.yaml): a step's and a single-step job's
handler see job, step, run id (the chain's, or the task's), attempt (1, then
2 after a failure) and when the attempt was due; a handler without
`context`, and one that jobs.yaml passes an argument called `context`, are
called as before."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from lichc.engines.celery.servers import RedisServer
from tests.e2e import celery_support as cs
from tests.e2e.handlers.celery_jobs import calls

pytestmark = pytest.mark.e2e

SPEC = (Path(__file__).parent / "specs" / "context_celery.yaml").read_text()
DEADLINE = 60  # seconds for anything a worker does, on a busy machine


@pytest.fixture(scope="module")
def proj(
    tmp_path_factory: pytest.TempPathFactory, redis: RedisServer
) -> Iterator[cs.Project]:
    folder = tmp_path_factory.mktemp("celery-context")
    with cs.served(
        folder, SPEC, "e2e_ccontext", redis, "ccontext", queues=["ccontext"]
    ) as served:
        yield served


def test_handlers_see_their_job_step_run_and_attempt(proj: cs.Project) -> None:
    counted, single = uuid.uuid4().hex, uuid.uuid4().hex
    multi = proj.client.start_counted(key=counted)
    one = proj.client.start_single(key=single)
    assert multi.get(timeout=DEADLINE) == f"plain {counted}"
    assert one.get(timeout=DEADLINE) == {"attempt": 2}

    *seen, named = calls(counted)
    assert [s["attempt"] for s in seen] == [1, 2]
    for entry in seen:
        assert entry["type"] == "JobContext"
        # the chain's run id: what start_counted returned
        assert (entry["job"], entry["step"], entry["run_id"]) == (
            "Counted",
            "flaky",
            multi.id,
        )
        assert entry["logs"]
    first, second = (datetime.fromisoformat(s["scheduled_at"]) for s in seen)
    assert first < second  # the retry's ETA, after the first send
    assert first.utcoffset() is not None
    assert first.utcoffset().total_seconds() == 0
    assert named["named"] == "from jobs.yaml"

    assert [
        (s["job"], s["step"], s["run_id"], s["attempt"]) for s in calls(single)
    ] == [
        ("Single", None, one.id, 1),
        ("Single", None, one.id, 2),
    ]
