"""Random edit sequences of a Temporal job under runs in flight (issue 12),
for bench/evolution.py and its small version in the test suite.

A job of run steps, sleeps and one wait (`hold`, on signal `approve`) is
edited at random, version after version: steps inserted, removed, swapped,
renamed, sleeps added (after the hold) and removed, the job timeout and a
compensation toggled. Each version is built by `lichc build` into the same output folder
(the record grows) under a project name of its own, imported from a copy,
and served by an in-process worker on the time-skipping test server, where
new runs start and stop at `hold`; a run's position in the job is wherever
its version had `hold`. After the last version, every run is approved and
must finish, on the last version's worker, with exactly its own version's
steps; then every history is replayed on the last version's workflow.
Workers run without a workflow cache: the test server does not implement
ResetStickyTaskQueue, so a run cached by a stopped worker would wait on
that worker's sticky queue for ever.
"""

from __future__ import annotations

import asyncio
import importlib
import random
import shutil
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowFailureError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer, Worker

from harness.cli import run_lichc, write_spec
from harness.temporal import Server

HANDLERS = "tests.e2e.handlers.evolution"
KINDS = ("first", "middle", "last", "inserted_before", "inserted_after")
HOLD = "{name: hold, wait_for: {signal: approve}}"
FINISH = 120.0  # seconds for a released run to complete: past it, it is stuck


@dataclass
class Shape:
    """One version of the job: its steps, in order (names and kinds)."""

    steps: list[tuple[str, str]]  # (name, "run:<handler>" | "sleep" | "hold")
    timeout: bool = False
    undo: str | None = None  # the run step that has a compensation
    counter: int = 0

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def yaml(self, project: str, queue: str) -> str:
        lines = []
        for name, kind in self.steps:
            if kind == "hold":
                lines.append(HOLD)
            elif kind == "sleep":
                lines.append(f"{{name: {name}, sleep: 1h}}")
            else:
                handler = kind.removeprefix("run:")
                undo = (
                    f", compensate: {{run: {HANDLERS}:undo_first}}"
                    if name == self.undo
                    else ""
                )
                lines.append(f"{{name: {name}, run: {HANDLERS}:{handler}{undo}}}")
        steps = "".join(f"      - {line}\n" for line in lines)
        timeout = "    timeout: 30d\n" if self.timeout else ""
        return f"""\
version: 1
project: {project}
output: generated
defaults:
  retry: {{attempts: 3, delay: 100ms, max_delay: 1s}}
  timeout: 30s
jobs:
  Drift:
    engine: temporal
    queue: {queue}
    input: {{key: str}}
{timeout}    steps:
{steps}"""

    def path(self) -> list[str]:
        """The result keys of a run of this version, in order."""
        return [name for name, kind in self.steps if kind != "sleep"]


def edit(shape: Shape, rng: random.Random) -> str:
    """Apply one random edit to `shape`; returns what it did."""
    runs = [i for i, (_, kind) in enumerate(shape.steps) if kind.startswith("run:")]
    sleeps = [i for i, (_, kind) in enumerate(shape.steps) if kind == "sleep"]
    choices = ["insert", "sleep", "timeout", "compensation"]
    if len(runs) > 1:
        choices += ["remove", "swap", "rename"]
    if sleeps:
        choices.append("unsleep")
    kind = rng.choice(choices)
    steps = shape.steps
    if kind == "insert":
        steps.insert(
            rng.randrange(len(steps) + 1),
            (shape.fresh("s"), f"run:{rng.choice(KINDS)}"),
        )
    elif kind == "sleep":
        # after the hold: a sleep before it would keep new runs from reaching
        # it until time skips (which only a wait for a result unlocks)
        after = 1 + next(i for i, (_, k) in enumerate(steps) if k == "hold")
        steps.insert(
            rng.randrange(after, len(steps) + 1), (shape.fresh("nap"), "sleep")
        )
    elif kind == "unsleep":
        steps.pop(rng.choice(sleeps))
    elif kind == "remove":
        gone = steps.pop(rng.choice(runs))
        if gone[0] == shape.undo:
            shape.undo = None
    elif kind == "swap":  # two run steps: the hold moves by inserts and removals
        i, j = rng.sample(runs, 2)
        steps[i], steps[j] = steps[j], steps[i]
    elif kind == "rename":
        i = rng.choice(runs)
        if steps[i][0] == shape.undo:
            shape.undo = None
        steps[i] = (shape.fresh("r"), steps[i][1])
    elif kind == "timeout":
        shape.timeout = not shape.timeout
    else:  # compensation moved to another step, or dropped
        shape.undo = None if shape.undo else steps[rng.choice(runs)][0]
    return kind


@dataclass
class Report:
    versions: int = 0
    runs: int = 0
    stuck: list[str] = field(default_factory=list)
    nondeterminism: list[str] = field(default_factory=list)
    wrong_path: list[str] = field(default_factory=list)
    replay_failures: list[str] = field(default_factory=list)
    edits: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"versions built: {self.versions} (edits: {', '.join(self.edits)})",
            f"runs in flight across them: {self.runs}",
            f"runs stuck: {len(self.stuck)}",
            f"non-determinism errors: {len(self.nondeterminism)}",
            f"runs on a wrong path: {len(self.wrong_path)}",
            f"replay failures: {len(self.replay_failures)}",
            *self.stuck,
            *self.nondeterminism,
            *self.wrong_path,
            *self.replay_failures,
        ]

    @property
    def clean(self) -> bool:
        return not (
            self.stuck or self.nondeterminism or self.wrong_path or self.replay_failures
        )


def _built(
    folder: Path, shape: Shape, queue: str, version: int
) -> tuple[type, list[Any]]:
    project = f"drift_{uuid.uuid4().hex[:6]}_v{version}"
    write_spec(folder, shape.yaml(project, queue))
    result = run_lichc("build", "--accept-breaking", cwd=folder)
    assert result.code == 0, result.out + result.err
    aside = folder / "versions" / f"v{version}"
    shutil.copytree(folder / "generated" / project, aside / project)
    sys.path.insert(0, str(aside))
    workflows = importlib.import_module(f"{project}.temporal_workflows")
    activities = importlib.import_module(f"{project}.temporal_activities")
    registered = [
        value
        for name, value in vars(activities).items()
        if hasattr(value, "__temporal_activity_definition")
        and not name.endswith(("_sync", "_async"))
    ]
    return workflows.DriftWorkflow, registered


def drive(
    server: Server, folder: Path, *, edits: int, runs_per_version: int, seed: int
) -> Report:
    """Build `edits` + 1 versions with runs in flight; see the module's doc."""
    rng = random.Random(seed)
    shape = Shape([("a", "run:first"), ("hold", "hold"), ("b", "run:last")], counter=0)
    queue = f"drift-{uuid.uuid4().hex[:10]}"
    report = Report()
    expected: dict[str, list[str]] = {}
    handles: dict[str, Any] = {}
    workflow: type = object
    activities: list[Any] = []
    for version in range(1, edits + 2):
        if version > 1:
            report.edits.append(edit(shape, rng))
        workflow, activities = _built(folder, shape, queue, version)
        report.versions += 1
        path = shape.path()

        async def start_runs(
            workflow: type, activities: list[Any], path: list[str]
        ) -> None:
            async with _worker(server, queue, workflow, activities):
                started = []
                for _ in range(runs_per_version):
                    key = uuid.uuid4().hex
                    handle = await server.client.start_workflow(
                        "Drift", {"key": key}, id=f"drift-{key}", task_queue=queue
                    )
                    handles[handle.id] = handle
                    expected[handle.id] = path
                    started.append(handle)
                for handle in started:
                    await _held(handle)

        server.run(start_runs(workflow, activities, path))
    report.runs = len(handles)

    async def finish() -> None:
        async with _worker(server, queue, workflow, activities):
            for workflow_id, handle in handles.items():
                await handle.signal("approve", {"by": workflow_id})
            for workflow_id, handle in handles.items():
                try:
                    result = await asyncio.wait_for(handle.result(), FINISH)
                except TimeoutError:
                    failed = await _task_failure(handle)
                    (report.nondeterminism if failed else report.stuck).append(
                        f"{workflow_id}: {failed or 'still running'}"
                    )
                    await handle.terminate(reason="drift bench")
                    continue
                except WorkflowFailureError as error:
                    report.stuck.append(f"{workflow_id}: failed: {error.cause}")
                    continue
                if list(result) != expected[workflow_id]:
                    report.wrong_path.append(
                        f"{workflow_id}: went through {list(result)}, "
                        f"not {expected[workflow_id]}"
                    )
        replayer = Replayer(
            workflows=[workflow], data_converter=pydantic_data_converter
        )
        for workflow_id, handle in handles.items():
            history = await handle.fetch_history()
            done = await replayer.replay_workflow(
                history, raise_on_replay_failure=False
            )
            if done.replay_failure is not None:
                report.replay_failures.append(f"{workflow_id}: {done.replay_failure}")

    server.run(finish(), timeout=FINISH * (len(handles) + 2))
    return report


def _worker(server: Server, queue: str, workflow: type, activities: list[Any]) -> Any:
    return _PooledWorker(server, queue, workflow, activities)


class _PooledWorker:
    """`async with`: a worker without a workflow cache and its thread pool."""

    def __init__(
        self, server: Server, queue: str, workflow: type, activities: list[Any]
    ):
        self.pool = ThreadPoolExecutor(4)
        self.worker = Worker(
            server.client,
            task_queue=queue,
            workflows=[workflow],
            activities=activities,
            activity_executor=self.pool,
            max_cached_workflows=0,
        )

    async def __aenter__(self) -> Worker:
        await self.worker.__aenter__()
        return self.worker

    async def __aexit__(self, *exc: Any) -> None:
        try:
            await self.worker.__aexit__(*exc)
        finally:
            self.pool.shutdown(wait=True)


async def _held(handle: Any) -> None:
    """Return once the run waits at `hold` (its status query says so)."""
    for _ in range(600):
        try:
            status = await handle.query("status")
        except Exception:
            status = None
        if isinstance(status, dict) and status.get("current") == "hold":
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{handle.id} never reached hold")


async def _task_failure(handle: Any) -> str | None:
    history = await handle.fetch_history()
    for event in history.events:
        if event.HasField("workflow_task_failed_event_attributes"):
            return str(event.workflow_task_failed_event_attributes.failure.message)
    return None
