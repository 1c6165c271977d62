"""Generated Celery projects on real workers, for the end-to-end tests.

The projects and workers are shared with the benchmarks
(harness/celery_project.py); what only the tests read is here.
"""

from __future__ import annotations

from typing import Any

from harness import ROOT
from harness.celery_project import Project, done_at, project, worker
from lichc.devstack.servers import wait_until

# all but dead_letter come from harness/: re-exported for `cs.project` and co.
__all__ = [
    "ROOT",
    "Project",
    "dead_letter",
    "done_at",
    "project",
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
