"""`lichc new NAME --engine celery|temporal`: add a job and its handler stubs.

The job is appended to jobs.yaml (created if missing) without changing
anything already written there; the result must validate and must read back
with every existing value unchanged, or nothing is written. Handler stubs go
to a module beside jobs.yaml, only for functions it does not define yet.
"""

from __future__ import annotations

import keyword
import os
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from lichc.cli import relative, spec_option
from lichc.engines.registry import NAMES

if TYPE_CHECKING:
    from lichc.diagnostics import SpecError
    from lichc.fileformat.values import PyRef
    from lichc.load.loader import Document
    from lichc.plan.ir import Plan
    from lichc.specedit import NewJob
    from lichc.stubs import StubPlan

DEFAULT_PACKAGE = "handlers"
T = TypeVar("T")


class Refused(click.ClickException):
    """Exit 1 with a message; nothing was written."""

    exit_code = 1


def _checked(check: Callable[[str], T], value: str, param: str) -> T:
    """Run a name rule of the validator; its message becomes a usage error."""
    from lichc.fileformat.values import SpecValueError

    try:
        return check(value)
    except SpecValueError as error:
        hint = f" ({error.hint})" if error.hint else ""
        raise click.BadParameter(f"{error.message}{hint}", param_hint=param) from None


def _handler(module: str, function: str) -> PyRef:
    from lichc.fileformat.values import parse_handler

    return _checked(parse_handler, f"{module}:{function}", "--module")


def _identifier(name: str) -> str:
    return f"{name}_" if keyword.iskeyword(name) else name


@click.command()
@spec_option
@click.argument("name")
@click.option(
    "--engine",
    type=click.Choice(NAMES),
    required=True,
    help="Where the job runs.",
)
@click.option(
    "--steps",
    metavar="A,B,C",
    help="Step names (snake_case), comma-separated; without it the job is a single `run:`.",
)
@click.option("--queue", help="Worker queue (default: the spec's default queue).")
@click.option(
    "--module",
    metavar="PACKAGE.MODULE",
    help="Module for the handler stubs (default: <package of most existing handlers, "
    f"or '{DEFAULT_PACKAGE}'>.<job_snake>).",
)
def new(
    spec_file: Path,
    name: str,
    engine: str,
    steps: str | None,
    queue: str | None,
    module: str | None,
) -> None:
    """Add job NAME to jobs.yaml and create stubs for its handlers."""
    from lichc.fileformat import names

    _checked(names.job_name, name, "NAME")
    step_names = _step_names(steps)
    if queue is not None:
        _checked(names.queue_name, queue, "--queue")
    raw = _read(spec_file)
    plan, document, errors = _current(spec_file, raw)
    existing = (document.data.get("jobs") if document else None) or {}
    if isinstance(existing, dict) and name in existing:
        assert document is not None
        line, column = document.position(("jobs", name), key=True)
        raise Refused(
            f"job '{name}' already exists ({spec_file}:{line}:{column}); "
            "pick another name, or edit that job in place"
        )
    snake = _identifier(names.to_snake(name))
    module = module or f"{_default_package(plan)}.{snake}"
    job = _job(name, engine, queue, module, snake, step_names)
    text = _with_job(spec_file, raw, document, errors, job)
    stub_plan = _stubs(spec_file, module, job)
    for package in stub_plan.packages:
        _write(package, "")
    if stub_plan.changed:
        _write(stub_plan.path, stub_plan.text)
    _write(spec_file, text)
    _report(spec_file, job, stub_plan)


def _step_names(steps: str | None) -> list[str]:
    from lichc.fileformat import names

    if steps is None:
        return []
    found = [s.strip() for s in steps.split(",") if s.strip()]
    if not found:
        raise click.BadParameter("give at least one step name", param_hint="--steps")
    for step in found:
        _checked(names.step_name, step, "--steps")
    repeated = sorted({s for s in found if found.count(s) > 1})
    if repeated:
        raise click.BadParameter(
            f"step '{repeated[0]}' appears twice; each step name is unique within its job",
            param_hint="--steps",
        )
    return found


def _read(spec_file: Path) -> bytes | None:
    """jobs.yaml's bytes, None when there is no such file yet."""
    from lichc.build import Source

    if not spec_file.exists():
        return None
    return Source.read(spec_file, str(spec_file)).raw


def _current(
    spec_file: Path, raw: bytes | None
) -> tuple[Plan | None, Document | None, SpecError | None]:
    """jobs.yaml as it is: its plan (None if invalid), its node tree (None if
    the file does not exist or holds no YAML yet), and its errors.

    A spec may be invalid only in ways the new job fixes (no `jobs:` yet);
    the result is validated before anything is written.
    """
    from lichc.diagnostics import SpecError
    from lichc.load.loader import parse_unless_empty
    from lichc.plan.check import checked_plan

    if raw is None:
        return None, None, None
    try:
        document = parse_unless_empty(raw, str(spec_file))
    except SpecError:
        click.echo(f"{spec_file} cannot be read; nothing was changed:", err=True)
        raise
    if document is None:
        return None, None, None
    try:
        return checked_plan(document), document, None
    except SpecError as error:
        return None, document, error


def _default_package(plan: Plan | None) -> str:
    """The package holding most existing handlers (first seen on a tie)."""
    if plan is None:
        return DEFAULT_PACKAGE
    packages = Counter(
        step.handler.module.rpartition(".")[0]
        for job in plan.jobs
        for step in job.run_steps()
        if "." in step.handler.module
    )
    return packages.most_common(1)[0][0] if packages else DEFAULT_PACKAGE


def _job(
    name: str,
    engine: str,
    queue: str | None,
    module: str,
    snake: str,
    steps: list[str],
) -> NewJob:
    from lichc.specedit import NewJob

    if not steps:
        return NewJob(name, engine, queue, _handler(module, snake))
    return NewJob(
        name,
        engine,
        queue,
        None,
        tuple((step, _handler(module, step)) for step in steps),
    )


def _with_job(
    spec_file: Path,
    raw: bytes | None,
    document: Document | None,
    errors: SpecError | None,
    job: NewJob,
) -> str:
    """jobs.yaml's new text, proven valid and otherwise unchanged."""
    import yaml

    from lichc import specedit
    from lichc.diagnostics import SpecError
    from lichc.load import loader
    from lichc.plan.check import checked_plan

    if document is None:
        # keep the comments of a file that has nothing else yet
        kept = _lines(raw.decode("utf-8-sig")) if raw is not None else ""
        head = kept.strip("\n") + "\n\n" if kept.strip() else ""
        text = head + specedit.new_file(job)
        old_jobs: dict[str, Any] = {}
        old_rest: dict[str, Any] | None = None  # a new file: nothing to keep
    else:
        assert raw is not None  # a document was read from it
        bom = raw.startswith(b"\xef\xbb\xbf")
        try:
            assert isinstance(document.root, yaml.MappingNode)  # a valid spec
            text = specedit.add_job(raw.decode("utf-8-sig"), document.root, job)
        except specedit.EditError as error:
            raise Refused(f"{spec_file}: {error}") from None
        if bom:
            text = "\ufeff" + text
        old_jobs = dict(document.data.get("jobs") or {})
        old_rest = {k: v for k, v in document.data.items() if k != "jobs"}
    try:
        updated = loader.parse(text.encode("utf-8"), str(spec_file))
        checked_plan(updated)
    except SpecError as error:
        if errors is not None:
            click.echo(
                f"{spec_file} has errors; fix them before adding a job "
                "(nothing was changed):",
                err=True,
            )
            raise errors from None
        click.echo(
            f"adding {job.name} would make {spec_file} invalid; nothing was changed:",
            err=True,
        )
        raise error from None
    new_jobs = dict(updated.data.get("jobs") or {})
    added = new_jobs.pop(job.name, None)
    new_rest = {k: v for k, v in updated.data.items() if k != "jobs"}
    unchanged = list(new_jobs.items()) == list(old_jobs.items()) and (
        old_rest is None or new_rest == old_rest
    )
    if added != job.data() or not unchanged:
        raise Refused(
            f"lichc could not add {job.name} to {spec_file} without changing what is "
            "already written, so nothing was changed; add it by hand, please, and "
            "report this as a bug in lichc"
        )
    return text


def _lines(text: str) -> str:
    """`text` with CRLF and CR line ends made LF, as reading a file as text does."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _stubs(spec_file: Path, module: str, job: NewJob) -> StubPlan:
    from lichc import stubs

    if job.run is not None:
        wanted = [stubs.Stub(job.run.name, f"Run {job.name} (see jobs.yaml).")]
    else:
        wanted = [
            stubs.Stub(handler.name, f"Step {step} of {job.name} (see jobs.yaml).")
            for step, handler in job.steps
        ]
    try:
        return stubs.plan(spec_file.absolute().parent, module, job.name, wanted)
    except stubs.StubError as error:
        raise Refused(f"{error}; nothing was changed") from None


def _write(path: Path, text: str) -> None:
    """Replace `path` atomically, keeping its permissions (and a symlink's target)."""
    target = path.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    mode = target.stat().st_mode & 0o7777 if target.exists() else None
    fd, tmp = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _report(spec_file: Path, job: NewJob, stub_plan: StubPlan) -> None:
    where = f"queue {job.queue}" if job.queue else "the default queue"
    click.echo(f"{spec_file}: added {job.name} ({job.engine}, {where})")
    for package in stub_plan.packages:
        click.echo(f"{relative(package)}: created")
    if stub_plan.added:
        click.echo(f"{relative(stub_plan.path)}: added {', '.join(stub_plan.added)}")
    if stub_plan.kept:
        click.echo(f"{relative(stub_plan.path)}: kept your {', '.join(stub_plan.kept)}")
    click.echo(
        "next: write the handlers, then `lichc build` (or commit: pre-commit runs it)"
    )
