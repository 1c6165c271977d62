"""`lichc run`, `lichc signal`, `lichc status`, `lichc cancel`: drive jobs
from the shell.

Thin on purpose: each command imports the generated package of the spec (from
its output folder, with the spec's folder on the path for the handlers) and
calls the generated client, `start_<job>` and friends, exactly as an
application would. When `lichc dev` runs for the spec, its settings (ports,
addresses) are used; otherwise the environment's, as for any generated code.
Results are printed as JSON on stdout; messages go to stderr.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import sys
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn, TypeVar

import click

from lichc.build import Source, compile_plan, is_fresh, output_of
from lichc.cli import find_job, read_source, spec_option, unknown
from lichc.plan.ir import Job, Plan

T = TypeVar("T")


class JobError(click.ClickException):
    """Exit 1 with a message: bad input, a failed job, an unreachable server."""


@dataclass(frozen=True)
class Compiled:
    """A spec compiled, and the folder of its generated package."""

    source: Source
    plan: Plan
    out_dir: Path

    @classmethod
    def read(cls, spec_file: Path) -> Compiled:
        source = read_source(spec_file)
        plan = compile_plan(source)
        return cls(source, plan, output_of(source, plan))

    def generated(self, name: str) -> bool:
        """True when the generated package has the module file `name`."""
        return (self.out_dir / self.plan.project / name).is_file()

    def importable(self) -> None:
        """Put the generated package and the handlers on sys.path, with the
        settings of the `lichc dev` that runs for this spec, if one does."""
        from lichc.devstack.state import running_stack

        stack = running_stack(self.source.root.resolve())
        if stack is not None and stack.project == self.plan.project:
            os.environ.update(stack.env)  # talk to the running `lichc dev`
        for folder in (self.source.root.resolve(), self.out_dir.resolve()):
            if str(folder) not in sys.path:
                sys.path.insert(0, str(folder))


@dataclass
class Generated:
    """The generated package of a spec, imported as an application would."""

    plan: Plan
    job: Job

    @classmethod
    def load(cls, spec_file: Path, job_name: str) -> Generated:
        spec = Compiled.read(spec_file)
        job = find_job(spec.plan, job_name, spec_file)
        if not spec.generated("client.py"):
            raise JobError(f"{spec.out_dir}: nothing generated yet; run `lichc build`")
        if not is_fresh(spec.source, spec.plan, spec.out_dir):
            click.echo(
                f"warning: {spec.out_dir} is older than {spec_file}: run `lichc build` "
                "and restart the workers (lichc dev)",
                err=True,
            )
        spec.importable()
        return cls(spec.plan, job)

    def module(self, name: str) -> ModuleType:
        return importlib.import_module(f"{self.plan.project}.{name}")

    def function(self, module: str, name: str) -> Callable[..., Any]:
        found: Callable[..., Any] = getattr(self.module(module), name)
        return found

    @property
    def temporal(self) -> bool:
        """The job runs on Temporal: it is started, signalled and queried
        through `temporal_client`, else through Celery's modules."""
        from lichc.engines.temporal.engine import TEMPORAL

        return self.job.engine == TEMPORAL.name

    def validated(self, data: dict[str, Any]) -> dict[str, Any]:
        """`data` checked by the job's generated input model."""
        from pydantic import ValidationError

        model = getattr(self.module("inputs"), self.job.input_model)
        # the model ignores unknown fields (for runs of an older version); a
        # command line naming one is a typo
        lines = [
            f"  {name}: Extra inputs are not permitted"
            for name in data
            if name not in model.model_fields
        ]
        try:
            model.model_validate(data)
        except ValidationError as error:
            lines[:0] = [
                f"  {'.'.join(map(str, e['loc'])) or '(input)'}: {e['msg']}"
                + (f" (got {json.dumps(e['input'])})" if e["type"] != "missing" else "")
                for e in error.errors(include_url=False)
            ]
        if lines:
            problems = "\n".join(lines)
            fields = ", ".join(f"{f.name}: {f.type}" for f in self.job.inputs)
            raise JobError(
                f"invalid input for {self.job.name}:\n{problems}\n"
                f"  its fields: {fields or '(none)'}"
            )
        return data

    def check_redis(self) -> None:
        """Fail at once when the broker's or results' Redis does not answer
        (Celery would retry for a long while, then raise an internal error)."""
        import redis

        settings = self.module("settings")
        for url in (settings.celery_broker_url(), settings.celery_result_backend()):
            try:
                redis.Redis.from_url(url, socket_connect_timeout=3).ping()
            except redis.RedisError as error:
                raise JobError(
                    f"cannot reach Redis at {url} ({error}); is `lichc dev` running?"
                ) from None

    def temporal_call(
        self, call: Callable[[Any], Awaitable[Any]], *, show: bool = True
    ) -> NoReturn:
        """Connect with the generated `connect()`, print what `call(client)`
        returns as JSON (with `show`), and end the process.

        The process ends with os._exit: a short-lived Temporal client can crash
        CPython's teardown (SIGABRT in PyGILState_Release,
        temporalio/sdk-python#300), which would turn a success into exit 134.
        """
        client_module = self.module("temporal_client")
        settings = self.module("settings")

        async def main() -> Any:
            try:
                client = await client_module.connect()
            except RuntimeError as error:
                raise JobError(
                    f"cannot reach Temporal at {settings.temporal_address()} "
                    f"({error}); is `lichc dev` running?"
                ) from None
            return await call(client)

        async def shown() -> int:
            result = await main()
            if show:
                echo_json(result)
            return 0

        run_then_exit(shown())


def run_then_exit(main: Coroutine[Any, Any, int]) -> NoReturn:
    """Run `main`, show a ClickException it raises, and end the process with
    its exit code by os._exit: a Temporal client or runtime can crash
    CPython's teardown (temporalio/sdk-python#300)."""
    try:
        code = asyncio.run(main)
    except click.ClickException as error:
        error.show()
        code = error.exit_code
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def parse_object(text: str | None, option: str) -> dict[str, Any] | None:
    """A JSON object from the command line (None when not given)."""
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise JobError(f"{option}: not valid JSON: {error}") from None
    if not isinstance(value, dict):
        raise JobError(f"{option}: expected a JSON object {{...}}, got {text!r}")
    return value


def echo_json(value: Any) -> None:
    from pydantic_core import to_jsonable_python

    click.echo(json.dumps(to_jsonable_python(value, fallback=str), indent=2))


# -- lichc run -----------------------------------------------------------------------


@click.command()
@spec_option
@click.argument("job")
@click.option(
    "--input",
    "input_json",
    metavar="JSON",
    default="{}",
    show_default=True,
    help="The job's input fields, as a JSON object.",
)
@click.option(
    "--wait/--no-wait",
    default=True,
    show_default=True,
    help="Wait for the result and print it, or print the job's id and return.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0, min_open=True),
    help="Seconds to wait for the result [default: no limit].",
)
def run(
    spec_file: Path, job: str, input_json: str, wait: bool, timeout: float | None
) -> None:
    """Start JOB through the generated client and print its result as JSON.

    The input is validated with the job's generated model first. With
    --no-wait, prints the task id (Celery) or workflow id (Temporal).
    """
    target = Generated.load(spec_file, job)
    data = target.validated(parse_object(input_json, "--input") or {})
    if target.temporal:
        _run_temporal(target, data, wait, timeout)
    else:
        _run_celery(target, data, wait, timeout)


def _run_celery(
    target: Generated, data: dict[str, Any], wait: bool, timeout: float | None
) -> None:
    from celery.exceptions import TaskRevokedError
    from celery.exceptions import TimeoutError as ResultTimeout
    from kombu.exceptions import OperationalError

    name = target.job.name
    target.check_redis()
    start = target.function("celery_client", target.job.start_function)
    try:
        result = start(**data)
    except OperationalError as error:
        raise JobError(f"cannot send {name}: {error}") from None
    if not wait:
        echo_json({"job": name, "task_id": result.id})
        return
    click.echo(f"{name}: task {result.id} sent; waiting for its result", err=True)
    try:
        value = result.get(timeout=timeout)
    except ResultTimeout:
        raise JobError(
            f"{name}: no result within {timeout:g}s; the task goes on: "
            f"lichc status {name} {result.id}"
        ) from None
    except TaskRevokedError:
        raise JobError(f"{name} {result.id} was cancelled (revoked)") from None
    except Exception as error:
        raise JobError(f"{name} failed: {type(error).__name__}: {error}") from None
    echo_json(value)


def _run_temporal(
    target: Generated, data: dict[str, Any], wait: bool, timeout: float | None
) -> None:
    job = target.job
    start = target.function("temporal_client", job.start_function)

    async def call(client: Any) -> Any:
        from temporalio.client import WorkflowFailureError

        handle = await start(client, **data)
        if not wait:
            return {"job": job.name, "workflow_id": handle.id}
        click.echo(f"{job.name}: workflow {handle.id} started", err=True)
        for step in job.signals:
            click.echo(
                f"  it waits for signal {step.signal!r} at step {step.name}: "
                f"lichc signal {job.name} {handle.id} {step.signal} --payload '{{...}}'",
                err=True,
            )
        try:
            return await asyncio.wait_for(handle.result(), timeout)
        except TimeoutError:
            raise JobError(
                f"{job.name}: no result within {timeout:g}s; the workflow goes on: "
                f"lichc status {job.name} {handle.id}"
            ) from None
        except WorkflowFailureError as error:
            raise JobError(f"{job.name} {handle.id} failed: {_causes(error)}") from None

    target.temporal_call(call)


def _causes(error: BaseException) -> str:
    """What made a workflow fail: its chain of causes, innermost last."""
    found = []
    current: BaseException | None = error.__cause__ or error
    while current is not None:
        kind = getattr(current, "type", None) or type(current).__name__
        message = str(current) or kind
        found.append(f"{kind}: {message}" if message != kind else kind)
        current = current.__cause__
    return " <- ".join(found)


# -- lichc signal ----------------------------------------------------------------------


@click.command("signal")
@spec_option
@click.argument("job")
@click.argument("workflow_id")
@click.argument("signal")
@click.option(
    "--payload",
    metavar="JSON",
    help="The signal's JSON object; later steps read it as ${steps.<wait step>.FIELD}.",
)
def signal_job(
    spec_file: Path, job: str, workflow_id: str, signal: str, payload: str | None
) -> None:
    """Send SIGNAL to the workflow WORKFLOW_ID of the Temporal job JOB
    (the `wait_for` step waiting for it continues)."""
    target = Generated.load(spec_file, job)
    signals = [s.signal for s in target.job.signals]
    if not target.temporal or not signals:
        raise click.UsageError(
            f"{job} has no signals: only Temporal jobs with a `wait_for` step take one"
        )
    if signal not in signals:
        raise unknown(signal, signals, f"{job} has no signal {signal!r}", "Signals")
    body = parse_object(payload, "--payload")
    send = target.function("temporal_client", f"signal_{target.job.snake}_{signal}")

    async def call(client: Any) -> None:
        await _on_workflow(target, workflow_id, send(client, workflow_id, body))
        click.echo(f"signal {signal} sent to {job} {workflow_id}")

    target.temporal_call(call, show=False)


# -- lichc cancel ----------------------------------------------------------------------


@click.command()
@spec_option
@click.argument("job")
@click.argument("job_id", metavar="ID")
def cancel(spec_file: Path, job: str, job_id: str) -> None:
    """Cancel the run ID of JOB.

    Temporal (ID: the workflow id): its completed steps are compensated, then
    it ends cancelled. Celery (ID: the task id `lichc run --no-wait` prints):
    what is queued of it is revoked, nothing after a step already running
    runs, and it ends REVOKED; a run that already finished is left as it is
    (exit 1).
    """
    target = Generated.load(spec_file, job)
    request = target.function(
        "temporal_client" if target.temporal else "celery_client",
        f"cancel_{target.job.snake}",
    )
    if not target.temporal:
        _cancel_celery(target, job_id, request)
        return

    async def call(client: Any) -> None:
        await _on_workflow(target, job_id, request(client, job_id))
        click.echo(f"cancel requested for {job} {job_id}")

    target.temporal_call(call, show=False)


def _cancel_celery(
    target: Generated, task_id: str, request: Callable[[str], bool]
) -> None:
    from kombu.exceptions import OperationalError

    name = target.job.name
    target.check_redis()
    try:
        cancelled = request(task_id)
    except OperationalError as error:
        raise JobError(f"cannot cancel {name} {task_id}: {error}") from None
    if not cancelled:
        state = target.module("celery_app").app.AsyncResult(task_id).state
        raise JobError(
            f"{name} {task_id} had already finished ({state}): not cancelled"
        )
    click.echo(f"cancelled {name} {task_id}")


# -- lichc status ----------------------------------------------------------------------


@click.command()
@spec_option
@click.argument("job")
@click.argument("job_id", metavar="ID")
def status(spec_file: Path, job: str, job_id: str) -> None:
    """Where job JOB with id ID is, as JSON.

    Temporal: the workflow's `status` query (state, current step, completed
    and compensated steps, problems). Celery: the task's state, and its result once
    there is one.
    """
    target = Generated.load(spec_file, job)
    if not target.temporal:
        target.check_redis()
        result = target.module("celery_app").app.AsyncResult(job_id)
        found: dict[str, Any] = {"job": job, "task_id": job_id, "state": result.state}
        if result.state == "SUCCESS":
            found["result"] = result.result
        elif result.state in ("FAILURE", "RETRY", "REVOKED"):
            found["error"] = f"{type(result.result).__name__}: {result.result}"
        echo_json(found)
        return
    query = target.function("temporal_client", f"status_{target.job.snake}")

    async def call(client: Any) -> Any:
        return await _on_workflow(target, job_id, query(client, job_id))

    target.temporal_call(call)


async def _on_workflow(target: Generated, workflow_id: str, call: Awaitable[T]) -> T:
    """Await a call on one workflow; an unknown id is a message, not a traceback."""
    from temporalio.service import RPCError, RPCStatusCode

    try:
        return await call
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise JobError(
                f"no {target.job.name} workflow with id {workflow_id!r}"
            ) from None
        raise JobError(f"{target.job.name} {workflow_id}: {error}") from None
