"""The recorded histories of the example's Temporal jobs (tests/histories,
written by `python -m tests.histories.record`) replay on the workflows
generated now, from every version kept: an edit of jobs.yaml that would
strand a run recorded on an earlier version fails here, before a deploy.

Replayed twice: with Temporal's Replayer against the example built afresh,
and with `lichc replay` against the checked-in generated/, as a CI step would.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from harness import ROOT

pytestmark = pytest.mark.e2e

HISTORIES = sorted((ROOT / "tests" / "histories").glob("*.json"))


def test_every_example_job_has_recorded_histories() -> None:
    jobs = {path.name.split(".")[0] for path in HISTORIES}
    assert jobs == {"ProcessOrder", "UserOnboarding"}


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
def test_a_recorded_history_replays_on_the_generated_workflows(
    path: Path, shop: dict[str, ModuleType]
) -> None:
    workflows = shop["temporal_workflows"]
    history = WorkflowHistory.from_json(path.stem, path.read_text(encoding="utf-8"))
    replayer = Replayer(
        workflows=[workflows.ProcessOrderWorkflow, workflows.UserOnboardingWorkflow],
        data_converter=pydantic_data_converter,
    )
    result: Any = asyncio.run(
        replayer.replay_workflow(history, raise_on_replay_failure=False)
    )
    assert result.replay_failure is None, f"{path.name}: {result.replay_failure}"


def test_lichc_replay_replays_them_against_generated() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lichc", "replay", *map(str, HISTORIES)],
        cwd=ROOT,
        # the lichc of this tree, even where another one is installed
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(ROOT / "compiler"), str(ROOT)]),
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"replayed {len(HISTORIES)} histories ({len(HISTORIES)} from files" in (
        done.stdout
    )
