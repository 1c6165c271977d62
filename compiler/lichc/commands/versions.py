"""`lichc versions` and `lichc retire`: the live versions of each Temporal
job, and retiring the old ones once no open run is on them.

Retiring follows Temporal's stages for a patch (docs/evolution.md): while a
newer version exists its patch is asked with `workflow.patched`; once its
version is the oldest live one, with `workflow.deprecate_patch` (runs started
on it still replay); once its version is retired, not at all, and the steps
only retired versions ran leave the generated code. `lichc retire` checks on
the server that no open run is on a version before it retires it, then
rebuilds, so the next deploy carries the smaller workflow.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from lichc.build import build, is_fresh
from lichc.cli import find_job, relative, show_build, spec_option
from lichc.commands.run import Compiled, Generated, JobError
from lichc.evolution.history import span
from lichc.evolution.record import JobRecord, Version
from lichc.evolution.store import read_record


@dataclass(frozen=True)
class Kept:
    """A job's versions as the record keeps them."""

    name: str
    record: JobRecord

    @property
    def patches(self) -> dict[str, int]:
        return {v.patch: v.version for v in self.record.versions if v.patch}

    def stage(self, version: Version) -> str:
        newest = self.record.versions[-1].version
        if version.version < self.record.oldest_live:
            return "retired"
        if version.version == newest:
            return "newest: new runs start on it"
        if version.version == self.record.oldest_live and version.patch:
            return "oldest live: its patch is deprecated, runs on it replay"
        if version.version == self.record.oldest_live:
            return "oldest live: runs without a marker are on it"
        return "live: runs started on it keep its path"


def kept_versions(spec: Compiled, names: tuple[str, ...]) -> list[Kept]:
    spec_file = spec.source.path
    record = read_record(spec.out_dir)
    for name in names:
        find_job(spec.plan, name, spec_file)
    kept = [
        Kept(name, job)
        for name, job in record.jobs.items()
        if job.versions and (not names or name in names)
    ]
    if names and not kept:
        raise JobError(
            f"{', '.join(names)}: no versions kept (not a Temporal job of several steps)"
        )
    return kept


@click.command()
@spec_option
@click.argument("jobs", nargs=-1)
@click.option(
    "--runs",
    is_flag=True,
    help="Also count the open runs on each version (asks the Temporal server).",
)
def versions(spec_file: Path, jobs: tuple[str, ...], runs: bool) -> None:
    """List the versions lichc keeps of each Temporal job (lichc.versions.json):
    the live ones, their patch ids and changes, and which are retired."""
    kept = kept_versions(Compiled.read(spec_file), jobs)
    if not kept:
        click.echo("no versions kept: no Temporal job of several steps")
        return
    if not runs:
        click.echo(_table(kept, None), nl=False)
        return

    async def call(client: Any) -> None:
        from lichc.engines.temporal.open_runs import open_runs

        counts = {}
        for job in kept:
            found = await open_runs(client, job.name, job.patches)
            counts[job.name] = Counter(r.version for r in found)
        click.echo(_table(kept, counts), nl=False)

    Generated.load(spec_file, kept[0].name).temporal_call(call, show=False)


def _table(kept: list[Kept], counts: dict[str, Counter[int]] | None) -> str:
    lines = []
    for job in kept:
        lines.append(f"{job.name}:")
        for v in job.record.versions:
            runs = ""
            if counts is not None and v.version >= job.record.oldest_live:
                n = counts[job.name][v.version]
                runs = f"; {n} open run{'s' if n != 1 else ''}"
            lines.append(f"  v{v.version}  {v.change}  ({job.stage(v)}{runs})")
            if v.patch:
                lines.append(f"       patch {v.patch}")
    return "\n".join(lines) + "\n"


@click.command()
@spec_option
@click.argument("job")
@click.option(
    "--through",
    type=click.IntRange(1),
    help="Retire the versions up to this one [default: every version from "
    "the oldest on that no open run is on, short of the newest].",
)
@click.option(
    "--dry-run", is_flag=True, help="Say what would be retired, and change nothing."
)
def retire(spec_file: Path, job: str, through: int | None, dry_run: bool) -> None:
    """Retire old versions of the Temporal JOB once the server shows no open
    run on them, and rebuild without their paths.

    Refuses, naming how many runs are open and the oldest, while a run is on
    a version to retire. Deploy the rebuilt workers only after every worker
    runs code that knows the newest version (an older worker would start runs
    on an old version).
    """
    spec = Compiled.read(spec_file)
    (kept,) = kept_versions(spec, (job,))
    live = kept.record.live
    newest = live[-1].version
    if len(live) == 1:
        click.echo(f"{job}: only version {newest} is live; nothing to retire")
        return
    if through is not None and not live[0].version <= through < newest:
        raise click.UsageError(
            f"--through {through}: {job}'s versions that can be retired are "
            f"{live[0].version}-{newest - 1} (the newest, {newest}, stays)"
        )
    if not is_fresh(spec.source, spec.plan, spec.out_dir):
        raise JobError(
            f"{relative(spec.out_dir)} is older than {spec_file}: run `lichc build` "
            "(and deploy it) first, so that retiring changes nothing else"
        )
    target = Generated.load(spec_file, job)

    async def call(client: Any) -> None:
        from lichc.engines.temporal.open_runs import open_runs

        found = await open_runs(client, job, kept.patches)
        oldest_live = _new_oldest(kept, live, found, through)
        if oldest_live == live[0].version:
            raise JobError(_refusal(job, live[0].version, found))
        retired = span(live[0].version, oldest_live - 1)
        if dry_run:
            click.echo(f"{job}: would retire {retired}; nothing changed (--dry-run)")
            return
        outcome = build(spec.source, retire={job: oldest_live})
        click.echo(
            f"{job}: retired {retired}; version {oldest_live} is the oldest live "
            "one now. Deploy the rebuilt workers; commit "
            f"{relative(outcome.out_dir)} with lichc.versions.json"
        )
        show_build(outcome)

    target.temporal_call(call, show=False)


def _new_oldest(
    kept: Kept, live: tuple[Version, ...], found: list[Any], through: int | None
) -> int:
    """The version to make the oldest live one: past every version retired."""
    busy = {r.version for r in found}
    if through is not None:
        blocked = [
            v.version for v in live if v.version <= through and v.version in busy
        ]
        if blocked:
            raise JobError(_refusal(kept.name, blocked[0], found))
        return through + 1
    oldest = live[0].version
    for v in live[:-1]:
        if v.version in busy:
            break
        oldest = v.version + 1
    return oldest


def _refusal(job: str, version: int, found: list[Any]) -> str:
    on_it = [r for r in found if r.version == version]
    first = on_it[0]
    started = f", started {first.started:%Y-%m-%d %H:%M %Z}" if first.started else ""
    count = len(on_it)
    return (
        f"{job}: version {version} cannot be retired: {count} open "
        f"run{'s are' if count != 1 else ' is'} on it (oldest: {first.workflow_id}"
        f"{started}). Wait for {'them' if count != 1 else 'it'} to finish, or "
        f"cancel or terminate {'them' if count != 1 else 'it'} "
        f"(temporal workflow terminate --workflow-id ID), then retry"
    )
