"""Handlers as the worker finds them at run time: a handler changed between
`def` and `async def` needs no rebuild, and a worker whose handler cannot take
what its job passes refuses to start, naming it (a real server and worker)."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from harness.cli import build, run_lichc
from harness.workers import temporal_worker
from tests.support.temporal import Server

pytestmark = pytest.mark.e2e

SPEC = """\
version: 1
project: e2e_shapes
jobs:
  Which:
    engine: temporal
    queue: shapes
    run: shape_probe:which
    input: {key: str}
"""

SYNC = """\
def which(key: str) -> dict[str, str]:
    return {"key": key, "shape": "def"}
"""

ASYNC = """\
import asyncio


async def which(key: str) -> dict[str, str]:
    await asyncio.sleep(0)
    return {"key": key, "shape": "async def"}
"""


def run_which(temporal: Server, output: Path) -> Any:
    key = uuid.uuid4().hex
    with temporal_worker(output, "e2e_shapes", temporal.address) as worker:
        result = temporal.run(
            temporal.client.execute_workflow(
                "Which", {"key": key}, id=f"which-{key}", task_queue="shapes"
            )
        )
        assert worker.stop(timeout=60) == 0, worker.output()[-3000:]
    assert result["key"] == key
    return result["shape"]


def test_a_handler_changed_to_async_def_runs_without_a_rebuild(
    temporal: Server, tmp_path: Path
) -> None:
    (tmp_path / "shape_probe.py").write_text(SYNC, encoding="utf-8")
    output = build(tmp_path, SPEC)
    activities = output / "e2e_shapes" / "temporal_activities.py"
    before = activities.read_bytes()
    assert run_which(temporal, output) == "def"

    (tmp_path / "shape_probe.py").write_text(ASYNC, encoding="utf-8")
    checked = run_lichc("check", cwd=tmp_path)
    assert checked.code == 0, checked.out + checked.err  # still fresh, and truly
    assert run_lichc("build", "--force", cwd=tmp_path).code == 0
    assert activities.read_bytes() == before
    assert run_which(temporal, output) == "async def"


def test_a_worker_refuses_to_start_with_a_handler_its_job_cannot_call(
    temporal: Server, tmp_path: Path
) -> None:
    (tmp_path / "shape_probe.py").write_text(SYNC, encoding="utf-8")
    output = build(tmp_path, SPEC)
    # the handler now wants an argument the job never supplies
    (tmp_path / "shape_probe.py").write_text(
        SYNC.replace("key: str)", "key: str, region: str)"), encoding="utf-8"
    )
    with temporal_worker(output, "e2e_shapes", temporal.address) as worker:
        try:
            code = worker.process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            pytest.fail("the worker started with a mismatched handler")
    log = worker.output()
    assert code == 1, log[-3000:]
    assert "shape_probe:which cannot be called with key" in log, log[-3000:]
    assert "missing a required argument: 'region'" in log
    assert "Traceback" not in log
