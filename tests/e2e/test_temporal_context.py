"""Handlers given a JobContext on a real Temporal server
(tests/e2e/specs/context_temporal.yaml): a step's, a single-step job's and a
compensation's handler see job, step, workflow id, attempt (1, then 2 after
a failure) and when the attempt was scheduled; handlers without `context`,
and one that jobs.yaml passes an argument called `context`, are called as
before."""

from __future__ import annotations

import importlib
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from temporalio.client import WorkflowFailureError

from harness.cli import build
from harness.temporal import import_project
from tests.e2e.handlers.context import SEEN
from tests.support.temporal import Server

pytestmark = pytest.mark.e2e

SPEC = Path(__file__).parent / "specs" / "context_temporal.yaml"


@pytest.fixture(scope="module")
def proj(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ModuleType]:
    output = build(tmp_path_factory.mktemp("tcontext"), SPEC)
    modules = import_project(output, "e2e_tcontext")
    modules["context"] = importlib.import_module("e2e_tcontext.context")
    return modules


def test_handlers_see_their_job_step_run_and_attempt(
    temporal: Server, proj: dict[str, ModuleType]
) -> None:
    client_mod, worker = proj["temporal_client"], proj["temporal_worker"]
    counted, single, undone = (uuid.uuid4().hex for _ in range(3))

    async def scenario() -> tuple[Any, ...]:
        async with worker.running(temporal.client):
            multi = await client_mod.start_counted(temporal.client, key=counted)
            one = await client_mod.start_single(temporal.client, key=single)
            failing = await client_mod.start_undone(temporal.client, key=undone)
            with pytest.raises(WorkflowFailureError):
                await failing.result()
            return multi.id, await multi.result(), one.id, await one.result()

    multi_id, multi_result, single_id, single_result = temporal.run(scenario())

    assert multi_id == f"counted-{counted}"
    assert [s["attempt"] for s in SEEN[counted]] == [1, 2]
    first, second = SEEN[counted]
    for seen in (first, second):
        assert seen["type"] == "JobContext"
        assert (seen["job"], seen["step"], seen["run_id"]) == (
            "Counted",
            "flaky",
            multi_id,
        )
        assert seen["logs"]
    assert first["scheduled_at"] < second["scheduled_at"]  # the retry's, later
    assert first["scheduled_at"].utcoffset().total_seconds() == 0
    # the handler without `context` and the one passed `context` by jobs.yaml
    assert multi_result["plain"] == f"plain {counted}"
    assert multi_result["named"] == "from jobs.yaml"

    assert single_result == {"attempt": 2}
    assert [(s["job"], s["step"], s["run_id"], s["attempt"]) for s in SEEN[single]] == [
        ("Single", None, single_id, 1),
        ("Single", None, single_id, 2),
    ]

    (compensation,) = SEEN[undone]  # async, keyword-only `context`
    assert (compensation["job"], compensation["step"], compensation["attempt"]) == (
        "Undone",
        "book",
        1,
    )


def test_the_context_class_is_the_projects_and_frozen(
    proj: dict[str, ModuleType],
) -> None:
    job_context = proj["context"].JobContext
    runtime = importlib.import_module("e2e_tcontext.temporal_activity_runtime")
    assert runtime.JobContext is job_context
    made = job_context(
        job="J", step=None, run_id="r", attempt=1, scheduled_at=None, logger=None
    )
    with pytest.raises(AttributeError):
        made.attempt = 2
