"""Breaking changes: edits of a job's interface that work in flight cannot
survive, found by comparing jobs.yaml with the record of what was built.

A run or a queued message carries what the job's interface was when it was
sent: its input fields, the names of its task, workflow and signals, its
queue and engine. lichc keeps earlier step lists replaying by itself
(lichc.evolution.history), and decodes inputs with a removed field or an
added field with a default; what is left here, it cannot keep. `lichc build`
and `lichc check` report each one at its place in jobs.yaml and stop, unless
the build is told `--accept-breaking` (docs/breaking-changes.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lichc.diagnostics import Diagnostic, KeyPath
from lichc.evolution.record import Interface, Record
from lichc.plan.ir import Job, Plan

if TYPE_CHECKING:
    from lichc.engines import EngineInfo

ACCEPT = (
    "once nothing is in flight (or you accept what happens to it), run "
    "`lichc build --accept-breaking`"
)


@dataclass(frozen=True)
class Breaking:
    job: str
    what: str  # the edit, e.g. "input field size added without a default"
    effect: str  # what happens to the runs and messages in flight
    hint: str  # how to proceed without breaking them
    path: KeyPath
    on_key: bool = False

    def diagnostic(self) -> Diagnostic:
        return Diagnostic(
            f"breaking change: {self.what}: {self.effect}",
            self.path,
            f"{self.hint}; or, {ACCEPT}",
            on_key=self.on_key,
        )

    @property
    def line(self) -> str:
        """One line for a build that accepted it."""
        return f"{self.job}: {self.what} (breaking, accepted): {self.effect}"


def breaking_changes(
    plan: Plan, old: Record, engine: Callable[[str], EngineInfo]
) -> list[Breaking]:
    """Every breaking change from the record `old` to `plan`, jobs in order."""
    found: list[Breaking] = []
    present = {job.name for job in plan.jobs}
    for job in plan.jobs:
        before = old.jobs.get(job.name)
        if before is not None and not before.removed:
            names = engine(job.engine).message_names(plan, job)
            found += _job_changes(job, before.interface, names)
    for name, before in old.jobs.items():
        if name not in present and not before.removed:
            found.append(_removed_job(name, engine(before.interface.engine)))
    return found


def _job_changes(
    job: Job, old: Interface, tasks: tuple[str, ...]
) -> Iterator[Breaking]:
    def breaking(
        what: str, effect: str, hint: str, path: KeyPath, on_key: bool = False
    ) -> Breaking:
        return Breaking(job.name, what, effect, hint, path, on_key)

    if old.engine != job.engine:
        yield breaking(
            f"engine changed from {old.engine} to {job.engine}",
            f"runs and messages in flight on {old.engine} are not carried over "
            f"to {job.engine}: no {old.engine} worker of this job is built any more",
            f"add a new job for {job.engine} beside this one and remove this one "
            "once nothing of it is in flight",
            (*job.path, "engine"),
        )
        return  # the rest compares like with like
    if old.queue != job.queue:
        yield breaking(
            f"queue moved from {old.queue} to {job.queue}",
            f"what is already queued on {old.queue} is served by no worker of "
            "the new build: it waits there, not lost, until a worker serves "
            f"{old.queue} again",
            f"keep a worker of the previous build serving {old.queue} until it "
            "is empty, then deploy",
            (*job.path, "queue"),
        )
    fields = {f.name: f for f in job.inputs}
    for name, field in fields.items():
        was = old.inputs.get(name)
        if was is None:
            if field.required:
                yield breaking(
                    f"input field {name} added without a default",
                    "a run or message sent before this edit has no value for it: "
                    "a Temporal run fails to decode its input when it next "
                    "replays, a queued Celery message fails with a TypeError",
                    f"give {name} a default ({{type: {field.type}, default: ...}}) "
                    f"or make it optional ({field.type}?)",
                    field.path,
                    on_key=True,
                )
        elif was.rstrip("=") != str(field.type):
            yield breaking(
                f"input field {name} changed type from {was.rstrip('=')} to "
                f"{field.type}",
                f"a value sent before this edit is a {was.rstrip('=')}: it may "
                "fail to decode, or decode to something else",
                f"add a new field of type {field.type} and remove {name} later",
                field.path,
            )
    signals = {w.signal: w for w in job.signals}
    for signal in old.signals:
        if signal not in signals:
            yield breaking(
                f"signal {signal} removed or renamed",
                "runs started before keep accepting it (their version is kept), "
                "but callers of the generated signal helper break and runs "
                f"started after this edit refuse {signal}",
                f"keep a wait_for step on {signal}, or move its callers first",
                (*job.path, "steps"),
            )
    if old.tasks:
        for task in old.tasks:
            if task not in tasks:
                yield breaking(
                    f"task {task} removed or renamed",
                    "a chain in flight that reaches it finds no task: its message "
                    "goes to the dead-letter queue (`lichc dlq list`), not run",
                    "keep the step until no chain of this job is in flight",
                    (*job.path, "steps"),
                )


def _removed_job(name: str, engine: EngineInfo) -> Breaking:
    return Breaking(
        name,
        f"job {name} removed or renamed",
        engine.removed_job_effect,
        "keep the job until none of its work is in flight (a rename is a "
        "removal and a new job)",
        ("jobs",),
        on_key=True,
    )
