"""A worker SIGKILLed mid-task: the job is redelivered and completes (at least
once), and a job with an `id` that completed never runs again."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from lichc.devstack.servers import wait_until
from lichc.engines.celery.servers import RedisServer
from tests.e2e import celery_support as cs
from tests.e2e.handlers import celery_jobs as handlers

pytestmark = pytest.mark.e2e

SPEC = (Path(__file__).parent / "specs" / "celery_crash.yaml").read_text()


def test_killed_worker_loses_nothing_and_completed_id_never_reruns(
    tmp_path: Path, redis: RedisServer
) -> None:
    k = uuid.uuid4().hex[:10]
    with cs.project(tmp_path, SPEC, "e2e_crash", redis) as proj:
        visibility = proj.app.conf.broker_transport_options["visibility_timeout"]
        assert visibility < 20  # 4s attempt + 200ms countdown + 10s margin
        with cs.worker(proj, "crash-a") as first:
            result = proj.client.start_work(key=k, seconds=3)
            wait_until(lambda: handlers.calls(f"{k}:start"), "the task to start", 30)
            killed_at = time.time()
            first.kill()  # the whole worker, mid-task: the message is not acknowledged
        assert handlers.calls(k) == []  # it never finished
        # Redis hands the unacknowledged message out again after the visibility
        # timeout; a worker starting after that restores it at once.
        time.sleep(max(0.0, killed_at + visibility + 1 - time.time()))
        with cs.worker(proj, "crash-b"):
            assert result.get(timeout=60) == {"key": k, "done": 1}
            assert len(handlers.calls(f"{k}:start")) == 2  # at least once
            # The same message delivered again (as after a crash right after it
            # completed): the task sees its id completed and does not run.
            again = proj.app.send_task(
                "e2e_crash.work", kwargs={"key": k, "seconds": 0}, task_id=result.id
            )
            assert again.id == f"work-{k}"
            marker = proj.client.start_work(key=f"{k}-after", seconds=0)
            assert marker.get(timeout=60)["done"] == 1  # the queue has moved past it
            time.sleep(0.5)
            assert len(handlers.calls(f"{k}:start")) == 2
            assert len(handlers.calls(k)) == 1
