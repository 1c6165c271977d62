"""Every kind of edit of a Temporal job's steps, under runs in flight, on the
session's dev server and real worker processes (issue 12).

One jobs.yaml holds one job per edit kind, twice: once with its run held at
a signal wait (`hold` is `wait_for: approve`) and once with it held in a
durable sleep (`hold` is `sleep: 20s`). Version 1 is built and its worker
started, and a run of every job is started and held; version 2 (every edit
at once) is built, the first worker stopped and the second started; a run
of every job starts there too; every run is released (signals) and must
finish on its own version's path, with no workflow task failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness.cli import run_lichc, write_spec
from tests.e2e.test_temporal_evolution import (
    HANDLERS,
    Project,
    at_step,
    new_key,
    outcome,
    stop,
    terminate,
)
from tests.support.temporal import Server

pytestmark = pytest.mark.e2e

HOLDS = {
    "Wait": "{name: hold, wait_for: {signal: approve}}",
    "Sleep": "{name: hold, sleep: 20s}",
}
CONFIRM = "{name: confirm, wait_for: {signal: confirm}}"


def run(name: str, handler: str = "", extra: str = "") -> str:
    return f"{{name: {name}, run: {HANDLERS}:{handler or name}{extra}}}"


A, C = run("first"), run("last")
B = run("middle")
UNDO = f", compensate: {{run: {HANDLERS}:undo_first}}"
NEVER = ", if: \"${input.key} == 'never'\""
STOP = "{name: stop, if: \"${input.key} != ''\", end: {result: {stopped: done}}}"


@dataclass(frozen=True)
class Edit:
    """Version 1 and 2 of a job ("H": its hold step) and the result keys a run
    started on each version ends with, in order ("H": the hold's, when it is
    a wait)."""

    v1: tuple[str, ...]
    v2: tuple[str, ...]
    keys_v1: tuple[str, ...]
    keys_v2: tuple[str, ...]
    options_v1: str = ""
    options_v2: str = ""
    any_order: bool = False  # parallel branches finish in any order


def parallel(*branches: str) -> str:
    return "{name: par, parallel: [" + ", ".join(branches) + "]}"


PAR_XY = parallel(run("x", "middle"), run("y", "last"))
PAR_XZ = parallel(run("x", "middle"), run("z", "inserted_after"))
EDITS = {
    "Insert": Edit(
        (A, "H", C),
        (A, run("inserted_before"), "H", run("inserted_after"), C),
        ("first", "H", "last"),
        ("first", "inserted_before", "H", "inserted_after", "last"),
    ),
    "Remove": Edit(
        (A, "H", B, C),
        (A, "H", C),
        ("first", "H", "middle", "last"),
        ("first", "H", "last"),
    ),
    "Reorder": Edit(
        (A, "H", B, C),
        (A, "H", C, B),
        ("first", "H", "middle", "last"),
        ("first", "H", "last", "middle"),
    ),
    "Rename": Edit(
        (A, "H", run("before", "last")),
        (A, "H", run("after", "last")),
        ("first", "H", "before"),
        ("first", "H", "after"),
    ),
    "Handler": Edit(
        (A, "H", run("final", "last")),
        (A, "H", run("final", "middle")),
        ("first", "H", "final"),
        ("first", "H", "final"),
    ),
    "Parallel": Edit(
        (A, "H", PAR_XY),
        (A, "H", PAR_XZ),
        ("first", "H", "x", "y"),
        ("first", "H", "x", "z"),
        any_order=True,
    ),
    "SleepAdded": Edit(
        (A, "H", C),
        (A, "H", "{name: nap, sleep: 1s}", C),
        ("first", "H", "last"),
        ("first", "H", "last"),
    ),
    "SleepRemoved": Edit(
        (A, "H", "{name: nap, sleep: 1s}", C),
        (A, "H", C),
        ("first", "H", "last"),
        ("first", "H", "last"),
    ),
    "WaitAdded": Edit(
        (A, "H", C),
        (A, "H", CONFIRM, C),
        ("first", "H", "last"),
        ("first", "H", "confirm", "last"),
    ),
    "WaitRemoved": Edit(
        (A, "H", CONFIRM, C),
        (A, "H", C),
        ("first", "H", "confirm", "last"),
        ("first", "H", "last"),
    ),
    "TimeoutAdded": Edit(
        (A, "H", C),
        (A, "H", C),
        ("first", "H", "last"),
        ("first", "H", "last"),
        options_v2="    timeout: 1h\n",
    ),
    "TimeoutRemoved": Edit(
        (A, "H", C),
        (A, "H", C),
        ("first", "H", "last"),
        ("first", "H", "last"),
        options_v1="    timeout: 1h\n",
    ),
    "CompensationAdded": Edit(
        (A, "H", C),
        (run("first", extra=UNDO), "H", C),
        ("first", "H", "last"),
        ("first", "H", "last"),
    ),
    "CompensationRemoved": Edit(
        (run("first", extra=UNDO), "H", C),
        (A, "H", C),
        ("first", "H", "last"),
        ("first", "H", "last"),
    ),
    # control flow: a condition decides whether a step's commands are issued
    "ConditionAdded": Edit(
        (A, "H", C),
        (A, "H", run("last", extra=NEVER)),
        ("first", "H", "last"),
        ("first", "H"),
    ),
    "ConditionRemoved": Edit(
        (A, "H", run("last", extra=NEVER)),
        (A, "H", C),
        ("first", "H"),
        ("first", "H", "last"),
    ),
    "EndInserted": Edit(
        (A, "H", C),
        (A, "H", STOP, C),
        ("first", "H", "last"),
        ("stopped",),  # the end step's result
    ),
}
JOBS = [(f"{kind}{hold}", kind, hold) for kind in EDITS for hold in HOLDS]


def spec(project: Project, version: int) -> str:
    text = f"""\
version: 1
project: {project.name}
output: generated
defaults:
  retry: {{attempts: 3, delay: 100ms, max_delay: 1s}}
  timeout: 30s
jobs:
"""
    for job, kind, hold in JOBS:
        edit = EDITS[kind]
        steps = edit.v1 if version == 1 else edit.v2
        options = edit.options_v1 if version == 1 else edit.options_v2
        listed = "".join(f"      - {HOLDS[hold] if s == 'H' else s}\n" for s in steps)
        text += f"""\
  {job}:
    engine: temporal
    queue: {project.queue}
    input: {{key: str}}
{options}    steps:
{listed}"""
    return text


def expected(kind: str, hold: str, version: int) -> list[str]:
    edit = EDITS[kind]
    keys = edit.keys_v1 if version == 1 else edit.keys_v2
    return [("hold" if k == "H" else k) for k in keys if k != "H" or hold == "Wait"]


def ran(result: dict[str, Any]) -> list[str]:
    """The steps a run's result says ran (a skipped step's result is None)."""
    return [step for step, value in result.items() if value is not None]


def needs_confirm(kind: str, version: int) -> bool:
    return kind == ("WaitRemoved" if version == 1 else "WaitAdded")


def test_runs_held_at_a_wait_or_in_a_sleep_survive_every_kind_of_edit(
    temporal: Server, tmp_path: Path
) -> None:
    project = Project(tmp_path, "e2e_evo_edits")

    def build(version: int) -> str:
        write_spec(project.folder, spec(project, version))
        built = run_lichc("build", cwd=project.folder)
        if version == 2:
            # the one breaking change: WaitRemoved's signal leaves the client
            # (its runs in flight keep it); every other edit builds as it is
            refused = [line for line in built.err.splitlines() if "error:" in line]
            assert len(refused) == 2, built.err
            assert all("signal confirm removed" in line for line in refused)
            built = run_lichc("build", "--accept-breaking", cwd=project.folder)
        assert built.code == 0, built.out + built.err
        return built.out

    async def start_all(version: int, worker: Any) -> dict[str, Any]:
        started = {}
        for job, kind, _ in JOBS:
            started[job] = handle = await temporal.client.start_workflow(
                job,
                {"key": new_key()},
                id=f"edits-v{version}-{job}-{new_key()[:8]}",
                task_queue=project.queue,
            )
            if needs_confirm(kind, version):
                await handle.signal("confirm", {"by": f"v{version}"})
        for job in started:
            await at_step(started[job], "hold", worker)
        return started

    async def release(runs: dict[str, Any], version: int) -> None:
        for job, _, hold in JOBS:
            if hold == "Wait":
                await runs[job].signal("approve", {"by": f"v{version}"})

    handles: list[Any] = []
    build(1)
    try:
        with project.worker(temporal, 1) as first:
            v1 = temporal.run(start_all(1, first))
            handles += v1.values()
            said = build(2)
            stop(first)
        with project.worker(temporal, 2) as second:
            v2 = temporal.run(start_all(2, second))
            handles += v2.values()
            temporal.run(release(v1, 1))
            temporal.run(release(v2, 2))
            results = {
                (job, version): temporal.run(outcome(runs[job], second))
                for version, runs in ((1, v1), (2, v2))
                for job, _, _ in JOBS
            }
            stop(second)
    finally:
        terminate(temporal, handles)

    wrong = []
    for (job, version), result in results.items():
        kind, hold = next((k, h) for j, k, h in JOBS if j == job)
        want, got = expected(kind, hold, version), ran(result)
        if EDITS[kind].any_order:
            want, got = sorted(want), sorted(got)
        if want != got:
            wrong.append(f"{job} run on v{version}: went through {got}, not {want}")
    assert not wrong, "\n".join(wrong)
    # the handler replaced under a run: both runs call the new one
    assert results[("HandlerWait", 1)]["final"]["ran"] == "middle"
    # one line per changed job (TimeoutAdded changes only the deadline timer)
    changed = {line.split(":")[0] for line in said.splitlines() if ":" in line}
    assert {job for job, _, _ in JOBS} <= changed, said
