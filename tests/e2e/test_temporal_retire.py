"""`lichc versions --runs` and `lichc retire` against a real dev server.

Version 1 of job Evolve waits for an approval; version 2 inserts a step. A
run on each version waits. Retiring version 1 is refused while run A is on
it, naming it; once A finishes, version 1 is retired: the rebuilt workflow
keeps version 2's patch as `workflow.deprecate_patch`, run B (started on
version 2, carrying its marker) finishes on the rebuilt worker, and its
history replays on the rebuilt code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness import ROOT
from harness.workers import pythonpath
from tests.e2e.test_temporal_evolution import (
    APPROVAL,
    JOB,
    Project,
    new_key,
    outcome,
    ran,
    run,
    stop,
    terminate,
    waiting,
)
from tests.support.temporal import Server, import_project

pytestmark = pytest.mark.e2e

V1 = [run("first"), APPROVAL, run("last")]
V2 = [run("first"), run("audit", "inserted_before"), APPROVAL, run("last")]


def lichc(
    project: Project, temporal: Server, *args: str
) -> subprocess.CompletedProcess[str]:
    """The CLI in a process of its own (it ends with os._exit after talking
    to Temporal), pointed at the test's server as an operator's shell is."""
    env = {
        **os.environ,
        "TEMPORAL_ADDRESS": temporal.address,
        # the handlers' package too, after the lichc of this tree (even where
        # another one is installed)
        "PYTHONPATH": os.pathsep.join(
            [str(ROOT / "compiler"), pythonpath(project.output)]
        ),
    }
    return subprocess.run(
        [sys.executable, "-m", "lichc", *args],
        cwd=project.folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_retire_waits_for_the_runs_on_a_version_then_drops_its_path(
    temporal: Server, tmp_path: Path
) -> None:
    project = Project(tmp_path, "e2e_evo_retire")
    project.build(V1)
    a, b = new_key(), new_key()
    handles: list[Any] = []
    try:
        with project.worker(temporal, 1) as first:
            run_a = waiting(temporal, project, a, first, handles)
            project.build(V2)
            stop(first)
        with project.worker(temporal, 2) as second:
            run_b = waiting(temporal, project, b, second, handles)

            listed = lichc(project, temporal, "versions", "--runs", JOB)
            assert listed.returncode == 0, listed.stderr
            lines = listed.stdout.splitlines()
            assert any(
                line.startswith("  v1  ") and "1 open run)" in line for line in lines
            ), listed.stdout
            assert any(
                line.startswith("  v2  ") and "1 open run)" in line for line in lines
            ), listed.stdout

            refused = lichc(project, temporal, "retire", JOB)
            assert refused.returncode == 1, refused.stdout + refused.stderr
            assert "version 1 cannot be retired: 1 open run is on it" in refused.stderr
            assert run_a.id in refused.stderr
            assert (
                json.loads(project.record.read_text())["jobs"][JOB].get(
                    "oldest_live", 1
                )
                == 1
            )

            temporal.run(run_a.signal("approve", {"by": "A"}))
            assert temporal.run(outcome(run_a, second)) == ran(
                a, "first", "approval", "last", by="A"
            )

            retired = lichc(project, temporal, "retire", JOB)
            assert retired.returncode == 0, retired.stdout + retired.stderr
            assert f"{JOB}: retired version 1" in retired.stdout
            stop(second)

        record = json.loads(project.record.read_text())["jobs"][JOB]
        assert record["oldest_live"] == 2
        assert [v["version"] for v in record["versions"]] == [1, 2]  # kept, retired
        patch = record["versions"][1]["patch"]
        workflows = (
            project.output / project.name / "temporal_workflows.py"
        ).read_text()
        assert f"deprecated={json.dumps(patch)}" in workflows
        assert "job.version" not in workflows  # no path of version 1 is left

        with project.worker(temporal, 3) as third:
            temporal.run(run_b.signal("approve", {"by": "B"}))
            result_b = temporal.run(outcome(run_b, third))
            stop(third)
        path_v2 = ("first", "audit", "approval", "last")
        assert result_b == {
            **ran(b, *path_v2, by="B"),
            "audit": {"ran": "inserted_before", "key": b},
        }
    finally:
        terminate(temporal, handles)

    # B's history (version 2's marker, then the rebuilt worker's commands)
    # replays on the rebuilt code
    from temporalio.contrib.pydantic import pydantic_data_converter
    from temporalio.worker import Replayer

    workflows = import_project(project.output, project.name)["temporal_workflows"]
    history = temporal.run(run_b.fetch_history())
    replayed = temporal.run(
        Replayer(
            workflows=[workflows.EvolveWorkflow, workflows.SteadyWorkflow],
            data_converter=pydantic_data_converter,
        ).replay_workflow(history, raise_on_replay_failure=False)
    )
    assert replayed.replay_failure is None, replayed.replay_failure
