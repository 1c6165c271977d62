"""`lichc dlq list|replay`: the dead letters of Celery jobs with `dead_letter`.

The records live in the broker's Redis, written by the generated
`celery_runtime.py`; this command imports that module from the output
folder (so celery and redis are imported only here) and uses its API.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TypeVar

import click

from lichc.cli import spec_option

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
@click.argument("record_id")
def replay(spec_file: Path, record_id: str) -> None:
    """Send a dead letter's task again (same id, arguments and rest of its
    chain); the record is removed once the message is sent."""
    runtime = _runtime(spec_file)
    queue = _call(lambda: runtime.find_dead_letter(record_id))
    result = None if queue is None else _call(lambda: queue.replay(record_id))
    if result is None:
        raise DeadLetterError(
            f"no dead letter with id {record_id!r}; see `lichc dlq list`"
        )
    click.echo(f"replayed {record_id} as task {result.id}")


def _runtime(spec_file: Path) -> ModuleType:
    """The generated celery_runtime module of the spec's project (talking to
    the running `lichc dev`, as `lichc run` does)."""
    from lichc.commands.run import Compiled

    spec = Compiled.read(spec_file)
    if not spec.plan.jobs_on("celery"):
        raise DeadLetterError(f"{spec_file}: no Celery jobs, so no dead letters")
    if not spec.generated("celery_runtime.py"):
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
