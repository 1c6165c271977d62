"""Safe evolution (issue 12): jobs.yaml edited and rebuilt while runs are in
flight, on the session's dev server and real worker processes.

Every version of a project is built into the same temporary folder under the
same package name, as a user rebuilds theirs, so each version's worker is a
process of its own (`python -m <project>.temporal_worker`), stopped before
the next version's starts. A run started on an earlier version must replay on
the new code and finish on the path it started on; a run started on the new
code takes the new path. `lichc build` keeps the record of earlier shapes in
<output>/lichc.versions.json.

The handlers (tests/e2e/handlers/evolution.py) run in the worker processes:
a run's result, keyed by step, shows which steps ran. The waits come with and
without a timeout: without one, a naive rebuild replays and silently takes the
new path (a step inserted before the wait runs after it); with one, its timer
is in the history and the new code fails to replay it (non-determinism), so
the run is stuck. A run whose workflow task fails fails the test at once.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.enums.v1 import WorkflowTaskFailedCause
from temporalio.client import (
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowHistory,
    WorkflowQueryFailedError,
)
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError
from temporalio.worker import Replayer

from harness import ROOT
from harness.cli import Result, run_lichc, write_spec
from harness.workers import WorkerProcess, temporal_worker
from tests.support.temporal import Server, history_of, import_project, until

pytestmark = pytest.mark.e2e

JOB = "Evolve"
OTHER = "Steady"  # a job no edit touches
RECORD = "lichc.versions.json"
HANDLERS = "tests.e2e.handlers.evolution"
FINISH = 60.0  # seconds for a signalled run to complete: past it, it is stuck
READY = 90.0  # seconds for a fresh worker process to take a run to its wait


def run(name: str, handler: str = "") -> str:
    return f"{{name: {name}, run: {HANDLERS}:{handler or name}}}"


APPROVAL = "{name: approval, wait_for: {signal: approve}}"
# the same wait with a timeout: a timer in the history too, as in the example shop
TIMED_APPROVAL = (
    "{name: approval, wait_for: {signal: approve, timeout: 1h, on_timeout: fail}}"
)
WAITS = pytest.mark.parametrize(
    "approval", [APPROVAL, TIMED_APPROVAL], ids=["wait", "wait-with-timeout"]
)
PAUSE = "{name: pause, sleep: 1s}"


def spec(project: str, queue: str, steps: list[str]) -> str:
    listed = "".join(f"      - {step}\n" for step in steps)
    return f"""\
version: 1
project: {project}
output: generated
defaults:
  retry: {{attempts: 3, delay: 100ms, max_delay: 1s}}
  timeout: 30s
jobs:
  {JOB}:
    engine: temporal
    queue: {queue}
    input: {{key: str}}
    steps:
{listed}  {OTHER}:
    engine: temporal
    queue: {queue}
    input: {{key: str}}
    steps:
      - {run("first")}
      - {run("last")}
"""


@dataclass
class Project:
    """A user's folder: jobs.yaml, rebuilt in place version after version."""

    folder: Path
    name: str
    queue: str = field(default_factory=lambda: f"evolution-{uuid.uuid4().hex[:12]}")

    @property
    def output(self) -> Path:
        return self.folder / "generated"

    @property
    def record(self) -> Path:
        return self.output / RECORD

    def build(self, steps: list[str]) -> Result:
        """Write jobs.yaml with `steps` for job Evolve and run `lichc build`."""
        write_spec(self.folder, spec(self.name, self.queue, steps))
        built = run_lichc("build", cwd=self.folder)
        assert built.code == 0, built.out + built.err
        # a rebuild within the second of the last one must not meet stale bytecode
        shutil.rmtree(self.output / self.name / "__pycache__", ignore_errors=True)
        return built

    def record_text(self) -> str | None:
        return self.record.read_text(encoding="utf-8") if self.record.exists() else None

    @contextmanager
    def worker(self, temporal: Server, version: int) -> Iterator[WorkerProcess]:
        """This version's worker process; stopped (SIGTERM, then waited) on exit."""
        with temporal_worker(
            self.output, self.name, temporal.address, f"worker-v{version}"
        ) as process:
            yield process


def new_key() -> str:
    return uuid.uuid4().hex


def log_tail(worker: WorkerProcess) -> str:
    return f"\n--- {worker.name} log (tail) ---\n{worker.output()[-3000:]}"


def stop(worker: WorkerProcess) -> None:
    code = worker.stop(timeout=60)
    assert code == 0, f"{worker.name} exited {code}" + log_tail(worker)


async def start(temporal: Server, project: Project, key: str) -> Any:
    return await temporal.client.start_workflow(
        JOB,
        {"key": key},
        id=f"evolution-{key}",
        task_queue=project.queue,
    )


def waiting(
    temporal: Server,
    project: Project,
    key: str,
    worker: WorkerProcess,
    handles: list[Any],
) -> Any:
    """A new run of job Evolve (added to `handles`), once it waits at its
    approval on `worker`."""
    handle = temporal.run(start(temporal, project, key))
    handles.append(handle)
    temporal.run(at_step(handle, "approval", worker))
    return handle


async def at_step(
    handle: WorkflowHandle[Any, Any], step: str, worker: WorkerProcess
) -> None:
    """Return once the run's status query says it is at `step`: proves that
    `worker` polls and that the run got there on it."""

    async def there() -> bool:
        if worker.process.poll() is not None:
            raise AssertionError(f"{worker.name} exited" + log_tail(worker))
        try:
            status = await handle.query("status", rpc_timeout=timedelta(seconds=10))
        except (RPCError, WorkflowQueryFailedError):
            return False  # no workflow task completed yet
        return bool(status["current"] == step)

    await until(there, f"run {handle.id} waits at step {step} on {worker.name}", READY)


async def outcome(handle: WorkflowHandle[Any, Any], worker: WorkerProcess) -> Any:
    """The run's result. A run whose workflow task fails (non-determinism: the
    new code does not replay its history) fails the test at once, naming the
    failure; a run still open after FINISH seconds fails it as stuck."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + FINISH
    while True:
        described = await handle.describe()
        if described.status != WorkflowExecutionStatus.RUNNING:
            return await handle.result()
        failed = [
            e.workflow_task_failed_event_attributes
            for e in await history_of(handle)
            if e.HasField("workflow_task_failed_event_attributes")
        ]
        if failed:
            cause = WorkflowTaskFailedCause.Name(failed[0].cause)
            raise AssertionError(
                f"run {handle.id} is stuck: its workflow task failed on "
                f"{worker.name} ({cause}): {failed[0].failure.message}"
                + log_tail(worker)
            )
        if worker.process.poll() is not None:
            raise AssertionError(f"{worker.name} exited" + log_tail(worker))
        if loop.time() > deadline:
            raise AssertionError(
                f"run {handle.id} is stuck: still running {FINISH:.0f}s after its "
                "signal" + log_tail(worker)
            )
        await asyncio.sleep(0.25)


def approved_on_version_1(
    temporal: Server, project: Project, key: str
) -> tuple[Any, Any, WorkflowHistory]:
    """A run of version 1 approved by A: its handle, result and history."""
    handles: list[Any] = []
    try:
        with project.worker(temporal, 1) as v1:
            handle = waiting(temporal, project, key, v1, handles)
            temporal.run(handle.signal("approve", {"by": "A"}))
            result = temporal.run(outcome(handle, v1))
            history: WorkflowHistory = temporal.run(handle.fetch_history())
            stop(v1)
    finally:
        terminate(temporal, handles)
    return handle, result, history


def terminate(temporal: Server, handles: list[Any]) -> None:
    """End the runs a failed test left open (their queue has no worker any more)."""

    async def end() -> None:
        for handle in handles:
            try:
                described = await handle.describe()
                if described.status == WorkflowExecutionStatus.RUNNING:
                    await handle.terminate(reason="test cleanup")
            except RPCError:
                pass

    temporal.run(end())


def assert_recorded(project: Project, first: str | None) -> None:
    """The record was written by the first build and kept by the later ones."""
    assert first is not None, (
        f"the first lichc build wrote no {RECORD} in {project.output}"
    )
    json.loads(first)
    assert JOB in first, first
    assert project.record.exists(), f"a later lichc build removed {RECORD}"
    json.loads(project.record.read_text(encoding="utf-8"))


def ran(key: str, *steps: str, by: str) -> dict[str, Any]:
    """The result of job Evolve that went through `steps` (approval: the signal's)."""
    return {
        step: {"by": by} if step == "approval" else {"ran": step, "key": key}
        for step in steps
    }


@dataclass(frozen=True)
class Edit:
    """Version 1 and 2 of job Evolve (`APPROVAL` stands for its wait), and the
    steps a run started on each goes through."""

    v1: tuple[str, ...]
    v2: tuple[str, ...]
    path_v1: tuple[str, ...]
    path_v2: tuple[str, ...]

    def steps(self, version: tuple[str, ...], approval: str) -> list[str]:
        return [approval if step == APPROVAL else step for step in version]


EDITS = {
    # steps inserted before and after the wait
    "insert-around-wait": Edit(
        v1=(run("first"), APPROVAL, run("last")),
        v2=(
            run("first"),
            run("inserted_before"),
            APPROVAL,
            run("inserted_after"),
            run("last"),
        ),
        path_v1=("first", "approval", "last"),
        path_v2=("first", "inserted_before", "approval", "inserted_after", "last"),
    ),
    # a step after the wait removed (its handler stays in the module): the run
    # started on version 1 still runs it
    "remove-after-wait": Edit(
        v1=(run("first"), APPROVAL, run("middle"), run("last")),
        v2=(run("first"), APPROVAL, run("last")),
        path_v1=("first", "approval", "middle", "last"),
        path_v2=("first", "approval", "last"),
    ),
}


@pytest.mark.parametrize("edit", list(EDITS.values()), ids=list(EDITS))
@WAITS
def test_a_run_waiting_across_a_rebuild_finishes_on_its_own_path(
    temporal: Server, tmp_path: Path, edit: Edit, approval: str
) -> None:
    """Run A starts on version 1 and waits at its approval; version 2 is built,
    the first worker stopped and the second started; run B starts there and
    waits too; both are approved. A finishes on version 1's path, B on 2's."""
    project = Project(tmp_path, "e2e_evo_wait")
    project.build(edit.steps(edit.v1, approval))
    recorded = project.record_text()
    a, b = new_key(), new_key()
    handles: list[Any] = []
    try:
        with project.worker(temporal, 1) as first:
            run_a = waiting(temporal, project, a, first, handles)
            project.build(edit.steps(edit.v2, approval))
            stop(first)
        with project.worker(temporal, 2) as second:
            run_b = waiting(temporal, project, b, second, handles)
            temporal.run(run_a.signal("approve", {"by": "A"}))
            temporal.run(run_b.signal("approve", {"by": "B"}))
            result_a = temporal.run(outcome(run_a, second))
            result_b = temporal.run(outcome(run_b, second))
            stop(second)
    finally:
        terminate(temporal, handles)
    assert result_a == ran(a, *edit.path_v1, by="A"), (
        f"run A, started on version 1, went through {list(result_a)}"
    )
    assert result_b == ran(b, *edit.path_v2, by="B"), (
        f"run B, started on version 2, went through {list(result_b)}"
    )
    assert_recorded(project, recorded)


def test_a_history_recorded_on_version_1_replays_on_version_3(
    temporal: Server, tmp_path: Path
) -> None:
    project = Project(tmp_path, "e2e_evo_replay")
    project.build([run("first"), APPROVAL, run("last")])
    recorded = project.record_text()
    a = new_key()
    run_a, result_a, history = approved_on_version_1(temporal, project, a)
    assert result_a == ran(a, "first", "approval", "last", by="A")

    # version 2: a durable sleep before the wait; version 3: `last` renamed
    second = project.build([run("first"), PAUSE, APPROVAL, run("last")])
    third = project.build([run("first"), PAUSE, APPROVAL, run("final", "last")])

    workflows = import_project(project.output, project.name)["temporal_workflows"]
    replayer = Replayer(
        workflows=[workflows.EvolveWorkflow, workflows.SteadyWorkflow],
        data_converter=pydantic_data_converter,
    )
    try:
        temporal.run(replayer.replay_workflow(history))
    except Exception as error:
        raise AssertionError(
            f"the history of run {run_a.id}, recorded on version 1, does not "
            f"replay on version 3: {type(error).__name__}: {error}"
        ) from error

    # one line per changed job, saying what changed (the wording is not fixed)
    for version, built in ((2, second), (3, third)):
        said = built.out + built.err
        assert any(JOB in line for line in said.splitlines()), (
            f"the build of version {version} does not say that job {JOB} "
            f"changed:\n{said}"
        )
    assert_recorded(project, recorded)


def lichc_replay(project: Project, temporal: Server, *args: str) -> Any:
    """`lichc replay` in a process of its own (it ends with os._exit)."""
    import os
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "lichc", "replay", *args],
        cwd=project.folder,
        # the handlers, tests.e2e.handlers.evolution, import from the repository
        env={
            **os.environ,
            "TEMPORAL_ADDRESS": temporal.address,
            # the lichc of this tree, even where another one is installed
            "PYTHONPATH": os.pathsep.join([str(ROOT / "compiler"), str(ROOT)]),
        },
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_lichc_replay_checks_exported_and_fetched_histories_before_a_deploy(
    temporal: Server, tmp_path: Path
) -> None:
    """A run recorded on version 1, exported as `temporal workflow show
    --output json` does, replays on version 2 from the file and fetched from
    the server by job; after a new baseline (version 1 forgotten) it does not,
    and lichc replay names it and exits 1."""
    project = Project(tmp_path, "e2e_evo_cli_replay")
    project.build([run("first"), TIMED_APPROVAL, run("last")])
    run_a, _, history = approved_on_version_1(temporal, project, new_key())
    exported = tmp_path / f"{run_a.id}.json"
    exported.write_text(history.to_json(), encoding="utf-8")

    project.build([run("first"), run("inserted_before"), TIMED_APPROVAL, run("last")])
    replayed = lichc_replay(project, temporal, str(exported), "--job", JOB)
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    # the exported file, and the same run fetched from the server by job (the
    # job's task queue keeps out other tests' runs of a job named Evolve)
    assert "replayed 2 histories (1 from files, 1 fetched from the server): all " in (
        replayed.stdout
    )

    # version 1 forgotten: the run's history no longer matches the workflow
    write_spec(
        project.folder,
        spec(
            project.name,
            project.queue,
            [run("first"), run("inserted_before"), TIMED_APPROVAL, run("last")],
        ),
    )
    rebased = run_lichc("build", "--new-baseline", cwd=project.folder)
    assert rebased.code == 0, rebased.err
    diverged = lichc_replay(project, temporal, str(exported))
    assert diverged.returncode == 1, diverged.stdout + diverged.stderr
    assert f"{exported}: does not replay" in diverged.stderr
    assert "Nondeterminism" in diverged.stderr or "nondeterminism" in diverged.stderr
    assert "Traceback" not in diverged.stderr
