"""`lichc dlq list|replay`: the dead letters of Celery jobs with `dead_letter`.

`replay` takes one record id, `--all` or `--job NAME`, and `--new-deadline
DURATION` to give a chain step that missed its job's deadline time again.

The records live in the broker's Redis, written by the generated
`celery_runtime` package; this command imports it from the output
folder (so celery and redis are imported only here) and uses its API.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

import click

from lichc.cli import spec_option
from lichc.diagnostics import did_you_mean

if TYPE_CHECKING:
    from lichc.plan.ir import Job, Plan

T = TypeVar("T")


class DeadLetterError(click.ClickException):
    """Exit 1 with a message (not a usage error)."""


@click.group()
def dlq() -> None:
    """List and replay failed Celery jobs kept in the dead-letter queues."""


@dlq.command("list")
@spec_option
def list_records(spec_file: Path) -> None:
    """Show every dead letter: id, when, task, attempts and error."""
    runtime = _runtime(spec_file)
    count = 0
    for queue in _call(runtime.DeadLetters.all):
        for record in _call(queue.records):
            count += 1
            error = str(record["error"]).splitlines()[0] if record["error"] else ""
            click.echo(
                f"{record['id']}  {record['failed_at']}  {queue.queue}  "
                f"{record['task']}[{record['task_id']}]  "
                f"attempts={record['attempts']}  {error}"
            )
    if count == 0:
        click.echo("no dead letters")


@dlq.command()
@spec_option
@click.argument("record_id", required=False)
@click.option("--all", "every", is_flag=True, help="Replay every dead letter.")
@click.option(
    "--job", "job_name", metavar="NAME", help="Replay every dead letter of job NAME."
)
@click.option(
    "--new-deadline",
    metavar="DURATION",
    help="Give the replayed job this long from now (e.g. 1h) instead of its "
    "passed deadline (multi-step jobs with a `timeout`).",
)
def replay(
    spec_file: Path,
    record_id: str | None,
    every: bool,
    job_name: str | None,
    new_deadline: str | None,
) -> None:
    """Send dead letters' tasks again (same id, arguments and rest of the
    chain); each record is removed once its message is sent. Give one RECORD_ID,
    --all or --job NAME."""
    if sum((record_id is not None, every, job_name is not None)) != 1:
        raise click.UsageError("give one of RECORD_ID, --all or --job NAME")
    deadline = _deadline(new_deadline)
    runtime = _runtime(spec_file)
    if record_id is not None:
        queue = _call(lambda: runtime.find_dead_letter(record_id))
        if queue is None:
            raise DeadLetterError(
                f"no dead letter with id {record_id!r}; see `lichc dlq list`"
            )
        targets = [(queue, record_id)]
    else:
        prefix = None if job_name is None else _job_task_prefix(spec_file, job_name)
        targets = [
            (queue, record["id"])
            for queue in _call(runtime.DeadLetters.all)
            for record in _call(queue.records)
            if prefix is None
            or record["task"] == prefix
            or record["task"].startswith(prefix + ".")
        ]
        if not targets:
            click.echo("no dead letters to replay")
    for queue, found in targets:
        _replay_one(runtime, queue, found, deadline)


def _replay_one(
    runtime: ModuleType, queue: Any, record_id: str, deadline: float | None
) -> None:
    record = _call(lambda: queue.get(record_id))
    result = (
        None if record is None else _call(lambda: queue.replay(record_id, deadline))
    )
    if result is None:  # replayed or expired since it was listed
        click.echo(f"{record_id}: gone, skipped")
        return
    moved = deadline is not None and runtime.job_deadline(record["args"]) is not None
    note = f" with a new deadline of {_when(deadline)}" if moved else ""
    click.echo(f"replayed {record_id} as task {result.id}{note}")


def _deadline(text: str | None) -> float | None:
    """`--new-deadline DURATION` as seconds since the epoch."""
    if text is None:
        return None
    from lichc.fileformat.values import SpecValueError, parse_duration

    try:
        duration = parse_duration(text)
    except SpecValueError as error:
        raise click.BadParameter(str(error), param_hint="--new-deadline") from None
    if duration.total_seconds() <= 0:
        raise click.BadParameter(
            "must be longer than zero", param_hint="--new-deadline"
        )
    return time.time() + duration.total_seconds()


def _when(moment: float | None) -> str:
    assert moment is not None
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds")


def dead_letter_jobs(plan: Plan) -> tuple[Job, ...]:
    """The jobs on an engine that keeps dead letters (Celery's, in Redis)."""
    from lichc.plan.refusals import refusal

    return tuple(j for j in plan.jobs if refusal(j.engine, "dead_letter") is None)


def _job_task_prefix(spec_file: Path, name: str) -> str:
    """The task name of job NAME (its steps' tasks start with it and a dot)."""
    from lichc.commands.run import Compiled
    from lichc.engines.celery.options import job_task_name

    plan = Compiled.read(spec_file).plan
    jobs = {job.name: job for job in dead_letter_jobs(plan)}
    if name not in jobs:
        close = did_you_mean(name, jobs)
        hint = f"; {close}" if close else ""
        raise click.BadParameter(
            f"no Celery job {name!r}{hint} (jobs: {', '.join(jobs) or 'none'})",
            param_hint="--job",
        )
    return job_task_name(plan, jobs[name])


def _runtime(spec_file: Path) -> ModuleType:
    """The generated celery_runtime module of the spec's project (talking to
    the running `lichc dev`, as `lichc run` does)."""
    from lichc.commands.run import Compiled

    spec = Compiled.read(spec_file)
    if not dead_letter_jobs(spec.plan):
        raise DeadLetterError(f"{spec_file}: no Celery jobs, so no dead letters")
    if not spec.generated("celery_runtime/__init__.py"):
        raise DeadLetterError(
            f"{spec.out_dir}: no generated Celery code; run `lichc build` first"
        )
    spec.importable()
    return importlib.import_module(f"{spec.plan.project}.celery_runtime")


def _call(action: Callable[[], T]) -> T:
    """Run a Redis operation; a connection problem is a message, not a traceback."""
    import redis

    try:
        return action()
    except redis.RedisError as error:
        raise DeadLetterError(f"cannot reach Redis: {error}") from error
