"""The `lichc` command line.

Exit codes: 0 success, 1 invalid spec or stale output, 2 usage error
(3 means a bug in lichc). Each command imports only the stages it needs, so
`validate`, `build` and `check` start fast and never import celery or temporalio.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from lichc.build import Outcome, Source
    from lichc.plan.ir import Job, Plan

F = TypeVar("F", bound=Callable[..., Any])
EXIT_INVALID = 1
EXIT_BUG = 3


def spec_option(func: F) -> F:
    return click.option(
        "-f",
        "--file",
        "spec_file",
        default="jobs.yaml",
        show_default=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help="The jobs.yaml to read.",
    )(func)


def fail(message: str, code: int = EXIT_INVALID) -> None:
    click.echo(message, err=True)
    sys.exit(code)


def read_source(spec_file: Path) -> Source:
    from lichc.build import Source

    return Source.read(spec_file, str(spec_file))


def load_plan(spec_file: Path) -> Plan:
    from lichc.build import compile_plan

    return compile_plan(read_source(spec_file))


# Commands beyond the core ones live in lichc.commands.<module> and are
# imported only when run, so `lichc build` never pays for `lichc dev`.
LAZY_COMMANDS: dict[str, str] = {
    "cancel": "lichc.commands.run:cancel",
    "dev": "lichc.commands.dev:dev",
    "dlq": "lichc.commands.dlq:dlq",
    "graph": "lichc.commands.graph:graph",
    "new": "lichc.commands.new:new",
    "replay": "lichc.commands.replay:replay",
    "retire": "lichc.commands.versions:retire",
    "run": "lichc.commands.run:run",
    "signal": "lichc.commands.run:signal_job",
    "status": "lichc.commands.run:status",
    "versions": "lichc.commands.versions:versions",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *LAZY_COMMANDS])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = LAZY_COMMANDS.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        import importlib

        module, attribute = target.split(":")
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="lichc")
def cli() -> None:
    """lichc compiles jobs.yaml into Celery tasks, Temporal workflows,
    typed client functions and a docker-compose stack."""


@cli.command()
@spec_option
def validate(spec_file: Path) -> None:
    """Check jobs.yaml and report every error at once."""
    from lichc.build import compile_plan, known_valid

    source = read_source(spec_file)
    if known_valid(source):
        click.echo(f"{spec_file}: ok, unchanged since its last build")
        return
    from lichc.engines.registry import ENGINES

    plan = compile_plan(source, check_handlers=True)
    counts = ", ".join(f"{len(plan.jobs_on(e.name))} {e.name}" for e in ENGINES)
    click.echo(f"{spec_file}: ok, {len(plan.jobs)} jobs ({counts})")


@cli.command()
@spec_option
@click.option(
    "--force", is_flag=True, help="Replace generated files that were edited by hand."
)
@click.option(
    "--new-baseline",
    is_flag=True,
    help="Forget the versions kept in lichc.versions.json and record the spec as "
    "version 1 of every job (only when no Temporal run is in flight).",
)
@click.option(
    "--accept-breaking",
    is_flag=True,
    help="Build although the edit breaks work in flight (an input field without "
    "a default, a job, signal or task removed or renamed, a queue or engine "
    "changed): each is reported, then recorded as accepted.",
)
def build(
    spec_file: Path, force: bool, new_baseline: bool, accept_breaking: bool
) -> None:
    """Generate code from jobs.yaml into the output folder."""
    from lichc import build as pipeline

    source = read_source(spec_file)
    show_build(
        pipeline.build(
            source,
            force=force,
            new_baseline=new_baseline,
            accept_breaking=accept_breaking,
        )
    )


def show_build(outcome: Outcome) -> None:
    """The line `lichc build` prints: what it wrote, or that nothing changed."""
    where = relative(outcome.out_dir)
    for line in outcome.evolution:
        click.echo(line)
    if outcome.fresh:
        click.echo(f"{where}: up to date")
        return
    changes = outcome.changes
    click.echo(
        f"{where}: wrote {len(changes.writes)} files, removed {len(changes.removes)}, "
        f"{len(changes.unchanged)} unchanged"
    )


@cli.command()
@spec_option
def check(spec_file: Path) -> None:
    """Exit 1 when generated output is stale or edited (for CI and pre-commit)."""
    from lichc import build as pipeline

    outcome = pipeline.check(read_source(spec_file))
    where = relative(outcome.out_dir)
    if outcome.fresh:
        click.echo(f"{where}: up to date")
        return
    changes = outcome.changes
    click.echo(outcome.diff, nl=False)
    for conflict in changes.conflicts:
        click.echo(f"  {conflict}", err=True)
    count = len(changes.writes) + len(changes.removes)
    fail(
        f"{where}: {count} generated files are stale; run `lichc build` and commit the result"
    )


@cli.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to a file.",
)
def schema(output: Path | None) -> None:
    """Print the JSON Schema of the jobs.yaml format."""
    from lichc.fileformat.schema import schema_text

    text = schema_text()
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


@cli.command()
@spec_option
@click.argument("job")
def explain(spec_file: Path, job: str) -> None:
    """Show a job with defaults applied, its engine and why, and what each
    setting becomes in Celery or Temporal."""
    from lichc.build import compile_plan, evolved, output_of
    from lichc.explain import explain as render

    source = read_source(spec_file)
    plan = compile_plan(source)
    # the live versions kept in lichc.versions.json, as the next build sees them
    plan, _ = evolved(plan, output_of(source, plan))
    click.echo(render(plan, find_job(plan, job, spec_file)), nl=False)


def find_job(plan: Plan, name: str, spec_file: Path) -> Job:
    """The job called `name`, or a usage error that suggests the closest one."""
    found = {j.name: j for j in plan.jobs}
    if name not in found:
        raise unknown(
            name, list(found), f"no job named {name!r} in {spec_file}", "Jobs"
        )
    return found[name]


def unknown(name: str, known: list[str], problem: str, kind: str) -> click.UsageError:
    """A usage error for `name`, which is none of `known`: "PROBLEM. Did you
    mean CLOSEST? KIND: known, ..." (the suggestion when one is close)."""
    import difflib

    close = difflib.get_close_matches(name, known, n=1)
    hint = f" Did you mean {close[0]}?" if close else ""
    return click.UsageError(f"{problem}.{hint} {kind}: {', '.join(known)}")


def relative(path: Path) -> str:
    """`path` as shown in messages: relative to the current folder when it can be."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning every failure into a message and an exit code."""
    from lichc.diagnostics import SpecError

    try:
        with _fewer_collections():
            result = cli.main(args=argv, prog_name="lichc", standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as usage:
        usage.show()
        sys.exit(usage.exit_code)
    except click.exceptions.Abort:
        fail("aborted", 130)
    except SpecError as error:
        fail(error.render())
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except Exception as error:
        _write_error(error)
    # click returns the exit code of --help/--version, and None after a command
    sys.exit(result if isinstance(result, int) else 0)


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """A compile allocates many objects that live until it ends, so the
    default thresholds collect over and over for nothing (mypy does the same):
    validating 10,000 jobs takes about half the time."""
    before = gc.get_threshold()
    gc.set_threshold(200_000, 30, 30)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _write_error(error: Exception) -> None:
    from lichc.write.writer import WriteError

    if isinstance(error, WriteError):
        fail(f"error: {error}")
    if isinstance(error, OSError):
        fail(f"error: {error.strerror or error}: {error.filename or ''}".rstrip(": "))
    if os.environ.get("LICHC_DEBUG"):
        raise error
    fail(
        f"lichc: internal error: {type(error).__name__}: {error}\n"
        "This is a bug in lichc; run again with LICHC_DEBUG=1 for details and report it.",
        EXIT_BUG,
    )
