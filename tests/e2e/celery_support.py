"""Generated Celery projects on real workers, for the end-to-end tests.

The projects and workers are shared with the benchmarks
(harness/celery_project.py); what only the tests read is here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from harness import ROOT
from harness.celery_project import Project, done_at, project, worker
from lichc.devstack.servers import wait_until
from lichc.engines.celery.servers import RedisServer

# all but dead_letter and served come from harness/: re-exported for `cs.project` and co.
__all__ = [
    "ROOT",
    "Project",
    "dead_letter",
    "done_at",
    "project",
    "served",
    "worker",
]


def dead_letter(proj: Project, task_id: str) -> dict[str, Any]:
    """The task's one dead letter (stored just after its FAILURE state)."""
    runtime = proj.module("celery_runtime")

    def found() -> list[dict[str, Any]]:
        return [
            record
            for queue in runtime.DeadLetters.all()
            for record in queue.records()
            if record["task_id"] == task_id
        ]

    wait_until(found, f"dead letter of {task_id}", 10)
    assert len(found()) == 1, found()
    return found()[0]


@contextmanager
def served(
    folder: Path,
    spec: str,
    name: str,
    redis: RedisServer,
    worker_name: str,
    **worker_options: Any,
) -> Iterator[Project]:
    """`spec` built in `folder` as project `name`, with one worker process
    (`worker_options`: see harness.celery_project.worker)."""
    with (
        project(folder, spec, name, redis) as proj,
        worker(proj, worker_name, **worker_options),
    ):
        yield proj
