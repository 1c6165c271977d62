"""Compare a plan with the record of what was built, and merge versions.

Each Temporal job of several steps keeps a version per change of the commands
its workflow issues. A run is pinned to the version that was newest when it
started: the workflow asks `workflow.patched()` for each live version's patch
id, newest first, before its first command, so a run started on version 3
carries the marker of version 3 and replays on version 3's path for ever, and
a run started before any marker existed is on the oldest live version. The
steps of all live versions are merged into one list in which each step says
which versions run it (`born <= version < died`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lichc.evolution.breaking import Breaking
from lichc.evolution.record import Entry, Interface, JobRecord, Record, Version
from lichc.plan.ir import Job, Plan

MAX_SLUG = 40


@dataclass(frozen=True)
class Merged:
    """A step of some live version: `entry` as the newest of them has it."""

    entry: Entry
    born: int  # the version that added it
    died: int | None  # the version that removed it (None: still there)

    def condition(self, oldest: int) -> tuple[int | None, int | None]:
        """The bounds on `job.version` that run this step (None: no bound)."""
        return (self.born if self.born > oldest else None, self.died)


@dataclass(frozen=True)
class JobVersions:
    versions: tuple[Version, ...]  # the live ones, oldest first
    merged: tuple[Merged, ...]

    @property
    def oldest(self) -> int:
        return self.versions[0].version

    @property
    def current(self) -> Version:
        return self.versions[-1]

    @property
    def pins(self) -> tuple[tuple[int, str], ...]:
        """(version, patch id) of the live versions a marker tells apart,
        newest first: the oldest live one is what no marker means."""
        return tuple(
            (v.version, v.patch)
            for v in reversed(self.versions[1:])
            if v.patch is not None
        )

    @property
    def deprecated(self) -> str | None:
        """The oldest live version's patch, once older versions are retired:
        runs on it carry its marker (Temporal's deprecate stage)."""
        return self.versions[0].patch

    @property
    def versioned(self) -> bool:
        """True when a run has a version to pin: several live versions, or
        one whose patch is deprecated."""
        return len(self.versions) > 1 or self.deprecated is not None

    def removed(self) -> tuple[Merged, ...]:
        return tuple(m for m in self.merged if m.died is not None)


@dataclass
class Evolution:
    record: Record
    jobs: dict[str, JobVersions] = field(default_factory=dict)
    changes: list[str] = field(default_factory=list)  # one line per changed job
    breaking: list[Breaking] = field(default_factory=list)  # lichc.evolution.breaking


StepsOf = Callable[[Job], tuple[Entry, ...]] | None


def evolve(
    plan: Plan,
    old: Record,
    steps_of: Callable[[Job], StepsOf],
    retire: Mapping[str, int] | None = None,
    names_of: Callable[[Job], tuple[str, ...]] = lambda job: (),
) -> Evolution:
    """The record after building `plan`, each versioned job's live versions
    merged, and a line for each job whose commands changed. `retire` maps a
    job to its new oldest live version (`lichc retire` checked no open run
    is on an older one); `names_of` gives the task names of a job's
    messages. A job no longer in `plan` stays in the record, marked removed
    (lichc.evolution.breaking reported it before this build went on)."""
    present = {job.name for job in plan.jobs}
    jobs = {
        name: kept
        if name in present or kept.removed
        else kept.model_copy(update={"removed": True})
        for name, kept in old.jobs.items()
    }
    evolution = Evolution(old)
    for job in plan.jobs:
        before = old.jobs.get(job.name)
        recorded = steps_of(job)
        versions: tuple[Version, ...] = ()
        if recorded is not None and not job.single:
            now = Version(
                version=1,
                patch=None,
                change="baseline",
                deadline=job.deadline.total_seconds() if job.deadline else None,
                steps=recorded(job),
            )
            versions, line = _next_versions(job.name, before, now)
            if line:
                evolution.changes.append(line)
        oldest = before.oldest_live if before else 1
        if retire and job.name in retire:
            oldest = max(oldest, retire[job.name])
        jobs[job.name] = kept = JobRecord(
            interface=interface(job, names_of(job)),
            versions=versions,
            oldest_live=oldest,
        )
        live = kept.live
        if live:
            evolution.jobs[job.name] = JobVersions(live, merge(live))
    evolution.record = Record(jobs=dict(sorted(jobs.items())))
    return evolution


def interface(job: Job, tasks: tuple[str, ...] = ()) -> Interface:
    return Interface(
        engine=job.engine,
        queue=job.queue,
        inputs={
            f.name: str(f.type) + ("=" if f.has_default else "") for f in job.inputs
        },
        signals=tuple(w.signal for w in job.signals),
        tasks=tasks,
    )


def _next_versions(
    name: str, before: JobRecord | None, now: Version
) -> tuple[tuple[Version, ...], str | None]:
    versions = before.versions if before else ()
    if not versions:
        return (now,), None
    last = versions[-1]
    if last.key == now.key:  # same commands: options and arguments may change
        kept = last.model_copy(update={"deadline": now.deadline, "steps": now.steps})
        return (*versions[:-1], kept), _handlers_line(name, last, now)
    number = last.version + 1
    change = describe(last, now)
    added = now.model_copy(
        update={
            "version": number,
            "patch": patch_id(name, number, change),
            "change": change,
        }
    )
    oldest = before.oldest_live if before else 1
    line = (
        f"{name}: version {number}: {change}; runs started on "
        f"{span(oldest, number - 1)} keep their path, new runs take the new one"
    )
    return (*versions, added), line


def _handlers_line(name: str, old: Version, new: Version) -> str | None:
    """A line for handlers replaced under the same commands: no new version
    (replay compares activity types, not what they run)."""
    before = dict(_handlers(old.steps))
    replaced = [
        step
        for step, handler in _handlers(new.steps)
        if before.get(step, handler) != handler
    ]
    if not replaced:
        return None
    return (
        f"{name}: replaced the handler of {_names(replaced)}; same activity "
        "types, so runs in flight replay unchanged and call the new handler "
        "from their next attempt of that step"
    )


def _handlers(steps: Iterable[Entry]) -> Iterable[tuple[str, str]]:
    for step in steps:
        for call, suffix in ((step.call, ""), (step.undo, " (compensation)")):
            if call is not None:
                yield step.name + suffix, str(call.handler)
        yield from _handlers(step.branches)


def span(first: int, last: int) -> str:
    """`version 2` or `versions 2-4`."""
    return f"version {first}" if first == last else f"versions {first}-{last}"


def describe(old: Version, new: Version) -> str:
    """What changed between two versions, in words."""
    parts: list[str] = []
    if (old.deadline is None) != (new.deadline is None):
        parts.append("timeout added" if new.deadline is not None else "timeout removed")
    a = [s.key for s in old.steps]
    b = [s.key for s in new.steps]
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        gone = [s.name for s in old.steps[i1:i2]]
        came = [s.name for s in new.steps[j1:j2]]
        if tag == "insert":
            where = (
                f"before {new.steps[j2].name}" if j2 < len(new.steps) else "at the end"
            )
            parts.append(f"inserted {_names(came)} {where}")
        elif tag == "delete":
            parts.append(f"removed {_names(gone)}")
        elif tag == "replace":
            changed = [n for n in came if n in gone]
            if changed:
                parts.append(f"changed {_names(changed)}")
            gone = [n for n in gone if n not in changed]
            came = [n for n in came if n not in changed]
            if gone and came:
                parts.append(f"replaced {_names(gone)} with {_names(came)}")
            elif gone:
                parts.append(f"removed {_names(gone)}")
            elif came:
                parts.append(f"inserted {_names(came)}")
    parts += _payload_changes(old, new)
    return ", ".join(parts) or "changed"


def _payload_changes(old: Version, new: Version) -> list[str]:
    """The typed payloads changed on a signal both versions wait for."""
    before = {s.signal: s.payload_key for s in old.steps if s.kind == "wait_for"}
    parts = []
    for step in new.steps:
        if step.kind != "wait_for" or step.signal not in before:
            continue
        was, now = before[step.signal], step.payload_key
        if was == now:
            continue
        if was is None:
            parts.append(f"typed the payload of {step.signal}")
        elif now is None:
            parts.append(f"untyped the payload of {step.signal}")
        else:
            parts.append(f"changed the payload of {step.signal}")
    return parts


def _names(names: Iterable[str]) -> str:
    return " and ".join(", ".join(names).rsplit(", ", 1))


def patch_id(job: str, version: int, change: str) -> str:
    """The marker's name: the job, the version and the change, readable in
    Temporal's UI (`lichc:ProcessOrder:v2:inserted-audit-before-approval`)."""
    slug = re.sub(r"[^A-Za-z0-9_]+", "-", change).strip("-")
    if len(slug) > MAX_SLUG:  # whole words only
        slug = slug[: MAX_SLUG + 1].rsplit("-", 1)[0]
    return f"lichc:{job}:v{version}:{slug}"


def merge(versions: tuple[Version, ...]) -> tuple[Merged, ...]:
    """Every step of the versions in one order each version's order agrees
    with; a step kept by a version carries that version's data."""
    first = versions[0]
    merged = [Merged(e, first.version, None) for e in first.steps]
    keys = [e.key for e in first.steps]  # merged[i].entry.key, computed once
    for version in versions[1:]:
        live = [i for i, m in enumerate(merged) if m.died is None]
        now = [e.key for e in version.steps]
        matcher = difflib.SequenceMatcher(
            None, [keys[i] for i in live], now, autojunk=False
        )
        inserts: list[tuple[int, list[Merged], list[Any]]] = []
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                for at, entry in zip(live[i1:i2], version.steps[j1:j2], strict=True):
                    merged[at] = Merged(entry, merged[at].born, None)
                continue
            for at in live[i1:i2]:
                merged[at] = Merged(merged[at].entry, merged[at].born, version.version)
            if j2 > j1:
                where = live[i2] if i2 < len(live) else len(merged)
                came = [Merged(e, version.version, None) for e in version.steps[j1:j2]]
                inserts.append((where, came, now[j1:j2]))
        for where, came, came_keys in reversed(inserts):
            merged[where:where] = came
            keys[where:where] = came_keys
    return tuple(merged)
