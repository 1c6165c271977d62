"""`lichc dev`: build, then run the spec's whole stack on this machine, no Docker.

Redis (when there are Celery jobs) and the Temporal dev server (when there
are Temporal jobs) from installed binaries, then the same workers as the
compose stack. Ctrl-C stops everything, workers first. See docs/workflow.md.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import click

from lichc.build import Source, build, compile_plan, output_of
from lichc.cli import read_source, relative, show_build, spec_option
from lichc.devstack import state
from lichc.devstack.servers import StackError, port_is_free
from lichc.devstack.services import UI_PORT, DevStack, Ports, Service, dev_stack
from lichc.devstack.supervisor import StopRequested, Supervisor
from lichc.plan.ir import Plan

EXIT_INTERRUPTED = 130


@click.command()
@spec_option
@click.option(
    "--port-offset",
    type=click.IntRange(0, 65_535 - UI_PORT),
    default=0,
    show_default=True,
    help="Add this to the usual ports (Redis 6379, Temporal 7233, UI 8233).",
)
@click.option(
    "--free-ports",
    is_flag=True,
    help="Listen on any free ports instead (lichc run still finds the stack).",
)
@click.option(
    "--then",
    "command",
    metavar="COMMAND",
    help="Run the shell command COMMAND once the stack is ready, then stop the "
    "stack and exit with COMMAND's exit code. The stack is private: a temporary "
    "state folder, the usual ports when free, else free ones.",
)
@click.option(
    "--logs/--no-logs",
    default=None,
    help="Show the services' output, prefixed by service [default: on, off with --then].",
)
@click.option(
    "--grace",
    type=click.FloatRange(0),
    default=10.0,
    show_default=True,
    help="Seconds each service gets to stop before it is killed.",
)
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where Temporal history and Redis data are kept [default: .lichc-dev "
    "beside jobs.yaml; a temporary folder with --then].",
)
def dev(
    spec_file: Path,
    port_offset: int,
    free_ports: bool,
    command: str | None,
    logs: bool | None,
    grace: float,
    state_dir: Path | None,
) -> None:
    """Build, then run the local stack without Docker until Ctrl-C.

    Starts Redis when there are Celery jobs, the Temporal dev server (with its
    web UI) when there are Temporal jobs, one Celery worker per queue, beat
    for Celery schedules, the Temporal worker, and syncs Temporal schedules.
    Start jobs with `lichc run`.
    """
    source = read_source(spec_file)
    outcome = build(source)
    show_build(outcome)
    plan = outcome.plan or compile_plan(source)
    show_logs = command is None if logs is None else logs
    options = Options(port_offset, free_ports, command, show_logs, grace)
    with ExitStack() as resources:
        if state_dir is None and command is not None:
            temporary = tempfile.TemporaryDirectory(prefix="lichc-dev-")
            state_dir = Path(resources.enter_context(temporary))
        state_dir = (state_dir or state.state_dir_of(source.root)).resolve()
        try:
            local = _local_stack(plan, source, state_dir, options)
            resources.enter_context(state.holding_lock(state_dir))
            (state_dir / "redis").mkdir(exist_ok=True)
            info = state.StackInfo(
                os.getpid(), plan.project, str(spec_file.resolve()), local.settings
            )
            code = _supervise(local, info, state_dir, source.root.resolve(), options)
        except StackError as error:
            raise click.ClickException(str(error)) from None
    sys.exit(code)


@dataclass(frozen=True)
class Options:
    port_offset: int
    free_ports: bool
    command: str | None  # --then
    show_logs: bool
    grace: float


def _local_stack(
    plan: Plan, source: Source, state_dir: Path, options: Options
) -> DevStack:
    """What runs, on the usual ports (plus the offset) or free ones."""
    out_dir = output_of(source, plan).resolve()
    spec_dir = source.root.resolve()
    ports = Ports.free() if options.free_ports else Ports.usual(options.port_offset)
    local = dev_stack(plan, out_dir, spec_dir, state_dir, ports)
    taken = _taken(local.needed_ports())
    if not taken:
        return local
    if options.command is None:
        raise _ports_error(taken, options.port_offset + 10)
    click.echo(f"lichc dev: {taken} in use; the private stack takes free ports")
    return dev_stack(plan, out_dir, spec_dir, state_dir, Ports.free())


def _taken(ports: dict[str, int]) -> str:
    busy = [
        f"port {port} ({what})"
        for what, port in ports.items()
        if not port_is_free(port)
    ]
    return ", ".join(busy)


def _ports_error(taken: str, offset: int) -> StackError:
    other = Ports.usual(offset)
    return StackError(
        f"{taken} in use (another lichc dev, Redis or Temporal?). Stop it, or "
        f"run `lichc dev --port-offset {offset}` (Redis {other.redis}, Temporal "
        f"{other.temporal}, UI {other.ui}) or `lichc dev --free-ports`; "
        "`lichc run` finds the stack either way"
    )


def _supervise(
    local: DevStack,
    info: state.StackInfo,
    state_dir: Path,
    cwd: Path,
    options: Options,
) -> int:
    """Start the stack, run until Ctrl-C, a crash or COMMAND's end; stop it.

    Returns the exit code: 0 after Ctrl-C, 1 when a service failed, COMMAND's
    own with --then (130 when interrupted).
    """
    color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    names = [s.name for s in local.services]
    supervisor = Supervisor(names, show_logs=options.show_logs, color=color)
    say = supervisor.say
    started = time.monotonic()
    with supervisor.handling_signals():
        try:
            _start(supervisor, local, cwd)
            state.write_info(state_dir, info)
            _announce(
                say, local, state_dir, options.command, time.monotonic() - started
            )
            then = None
            if options.command is not None:
                env = {**local.env, state.STATE_ENV: str(state_dir)}
                command = Service("then", ("/bin/sh", "-c", options.command), "worker")
                then = supervisor.start(command, env, cwd, 2, capture=False)
            exited = supervisor.watch()
            if exited is None:
                say("lichc dev: stopping (Ctrl-C again to kill at once)")
                code = EXIT_INTERRUPTED if then is not None else 0
            elif exited is then:
                returned = exited.exit_code() or 0
                code = returned if returned >= 0 else 128 - returned
            else:
                tail = "" if options.show_logs else supervisor.tail_of(exited)
                say(
                    f"lichc dev: {exited.name} exited with code {exited.exit_code()}; "
                    f"stopping the stack{tail}"
                )
                code = 1
        except StopRequested:
            say("lichc dev: interrupted while starting; stopping")
            code = EXIT_INTERRUPTED
        except StackError as error:
            say(f"lichc dev: error: {error}")
            code = 1
        finally:
            supervisor.stop(options.grace)
    say("lichc dev: stopped")
    return code


def _start(supervisor: Supervisor, local: DevStack, cwd: Path) -> None:
    """Servers, then one-shot steps (schedule sync), then workers; each ready."""
    servers = [supervisor.start(s, local.env, cwd, 0) for s in local.role("server")]
    supervisor.wait_ready(servers)
    for once in local.role("once"):
        supervisor.run_once(supervisor.start(once, local.env, cwd, 1))
    workers = [supervisor.start(s, local.env, cwd, 1) for s in local.role("worker")]
    supervisor.wait_ready(workers)


def _announce(
    say: Callable[[str], None],
    local: DevStack,
    state_dir: Path,
    command: str | None,
    took: float,
) -> None:
    rows = [*local.where()]
    rows.append(("workers", ", ".join(s.name for s in local.role("worker"))))
    rows += sorted(local.settings.items())
    rows.append(("state", "temporary" if command is not None else relative(state_dir)))
    width = max(len(name) for name, _ in rows)
    say(f"lichc dev: {local.project} is up ({took:.1f}s)")
    for name, value in rows:
        say(f"  {name:<{width}}  {value}")
    if command is None:
        say(
            "lichc dev: start jobs with `lichc run JOB --input '{...}'`; "
            "Ctrl-C stops the stack"
        )
    else:
        say(f"lichc dev: running {command}")
