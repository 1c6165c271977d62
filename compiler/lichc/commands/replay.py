"""`lichc replay`: replay Temporal workflow histories against the workflows
just generated, before deploying them.

A history recorded on any earlier version must replay on the new code
(lichc.evolution keeps every live version's path); this proves it for real
runs. Histories come from JSON files (`temporal workflow show --workflow-id
ID --output json > ID.json`) and, with `--job`, from the server: the most
recent runs of that job, open or closed. Replay needs no worker and runs no
activity. The first history that does not replay is named with Temporal's
error, and the command exits 1 (docs/evolution.md: replay in CI).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import click

from lichc.build import is_fresh
from lichc.cli import find_job, spec_option
from lichc.commands.run import Compiled, JobError, run_then_exit


@click.command()
@spec_option
@click.argument(
    "histories",
    nargs=-1,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option(
    "--job",
    "jobs",
    multiple=True,
    help="Also fetch the recent runs of this Temporal job from the server "
    "(repeatable).",
)
@click.option(
    "--limit",
    default=50,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="How many of each job's most recent runs to fetch.",
)
def replay(
    spec_file: Path, histories: tuple[Path, ...], jobs: tuple[str, ...], limit: int
) -> None:
    """Replay workflow histories (JSON files, or fetched with --job) against the
    generated workflows; exit 1 naming the first that does not replay."""
    spec = Compiled.read(spec_file)
    for name in jobs:
        job = find_job(spec.plan, name, spec_file)
        if job.name not in _workflow_jobs(spec):
            raise JobError(f"{name}: not a Temporal job, it has no workflow histories")
    if not histories and not jobs:
        raise click.UsageError("give history files, or --job NAME to fetch some")
    if not _workflow_jobs(spec):
        raise JobError(f"{spec_file}: no Temporal job, nothing to replay")
    if not is_fresh(spec.source, spec.plan, spec.out_dir):
        raise JobError(
            f"{spec.out_dir} is older than {spec_file}: run `lichc build` first, "
            "so the histories replay against the code you will deploy"
        )
    loaded = [(str(path), _read(path)) for path in histories]
    spec.importable()
    run_then_exit(_replay(spec, loaded, jobs, limit))


def _workflow_jobs(spec: Compiled) -> set[str]:
    from lichc.engines.temporal.engine import TEMPORAL

    return {job.name for job in spec.plan.jobs_on(TEMPORAL.name)}


def _read(path: Path) -> Any:
    from temporalio.client import WorkflowHistory

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return WorkflowHistory.from_json(path.stem, data)
    except (OSError, UnicodeDecodeError, ValueError, TypeError, KeyError) as error:
        raise JobError(
            f"{path}: not a workflow history ({error}); export one with "
            "`temporal workflow show --workflow-id ID --output json > ID.json`"
        ) from None


async def _replay(
    spec: Compiled, loaded: list[tuple[str, Any]], jobs: tuple[str, ...], limit: int
) -> int:
    import importlib

    from temporalio.contrib.pydantic import pydantic_data_converter
    from temporalio.worker import Replayer

    project = spec.plan.project
    try:
        module = importlib.import_module(f"{project}.temporal_workflows")
    except ImportError as error:  # the workflows import the activities' handlers
        raise JobError(
            f"cannot import {project}.temporal_workflows: {error}; the handlers "
            "must import from the spec's folder (or PYTHONPATH)"
        ) from None
    workflows = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and getattr(value, "__temporal_workflow_definition", None) is not None
    ]
    histories = list(loaded)
    if jobs:
        queues = [(job.name, job.queue) for job in spec.plan.jobs if job.name in jobs]
        histories += await _fetched(project, queues, limit)
    if not histories:
        click.echo("no histories to replay", err=True)
        return 0

    async def each() -> AsyncIterator[Any]:
        for _, history in histories:
            yield history

    replayer = Replayer(workflows=workflows, data_converter=pydantic_data_converter)
    results = await replayer.replay_workflows(each(), raise_on_replay_failure=False)
    failures = results.replay_failures
    for label, history in histories:
        failure = failures.get(history.run_id)
        if failure is not None:
            click.echo(
                f"{label}: does not replay on the generated workflows: "
                f"{type(failure).__name__}: {failure}",
                err=True,
            )
            others = len(failures) - 1
            if others:
                click.echo(f"and {others} more histories do not replay", err=True)
            return 1
    fetched = len(histories) - len(loaded)
    click.echo(
        f"replayed {len(histories)} histories ({len(loaded)} from files, "
        f"{fetched} fetched from the server): all replay on the generated code"
    )
    return 0


async def _fetched(
    project: str, jobs: list[tuple[str, str]], limit: int
) -> list[tuple[str, Any]]:
    import importlib

    client_module = importlib.import_module(f"{project}.temporal_client")
    settings = importlib.import_module(f"{project}.settings")
    try:
        client = await client_module.connect()
    except RuntimeError as error:
        raise JobError(
            f"cannot reach Temporal at {settings.temporal_address()} ({error}); "
            "is `lichc dev` running, or are the temporal settings right?"
        ) from None
    fetched: list[tuple[str, Any]] = []
    for job, queue in jobs:
        # validated names, no quotes: safe in the query; the task queue keeps
        # out runs of another project's job of the same name on the server
        query = f'WorkflowType = "{job}" AND TaskQueue = "{queue}"'
        found = client.list_workflows(query, limit=limit)
        async for history in found.map_histories():
            fetched.append((f"{job} run {history.workflow_id}", history))
    return fetched
