"""The pipeline end to end: load -> validate -> plan -> render -> write.

`build` writes; `check` renders in memory and compares. Output is a pure
function of the spec's bytes and of lichc itself, so the manifest records a
fingerprint of both: a `check` or `build` whose fingerprint and file hashes
all match knows the output is fresh without rendering anything.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lichc import __version__
from lichc.diagnostics import MAX_BYTES, Diagnostic, SpecError
from lichc.write import writer

if TYPE_CHECKING:
    from lichc.evolution.breaking import Breaking
    from lichc.evolution.history import Evolution
    from lichc.plan.ir import Job, Plan


GENERATOR = f"lichc {__version__}"
MAX_DIFF_LINES = 40


@dataclass(frozen=True)
class Source:
    """The spec file: where it is, how to name it in messages, its bytes."""

    path: Path
    display: str
    raw: bytes

    @classmethod
    def read(cls, path: Path, display: str | None = None) -> Source:
        name = display or str(path)
        try:
            with path.open("rb") as stream:
                raw = stream.read(MAX_BYTES + 1)
        except FileNotFoundError:
            raise SpecError(
                name,
                [
                    Diagnostic(
                        "file not found",
                        hint="create one with `lichc new NAME --engine celery`",
                    )
                ],
            ) from None
        except IsADirectoryError:
            raise SpecError(
                name, [Diagnostic("is a folder, not a jobs.yaml file")]
            ) from None
        except OSError as exc:
            raise SpecError(
                name, [Diagnostic(f"cannot read file: {exc.strerror}")]
            ) from None
        return cls(path, name, raw)

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def name(self) -> str:
        return self.path.name


@cache
def generator_fingerprint() -> str:
    """A hash of lichc's own code and templates, and of the ruff version that
    formats the output: output depends on them too."""
    from lichc.render.pyformat import ruff_version

    digest = hashlib.sha256(f"{GENERATOR} ruff {ruff_version()}".encode())
    package = Path(__file__).parent
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".jinja") and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def input_key(source: Source) -> str:
    digest = hashlib.sha256(generator_fingerprint().encode())
    digest.update(source.name.encode() + b"\0" + source.raw)
    return digest.hexdigest()


def compile_plan(source: Source, *, check_handlers: bool = False) -> Plan:
    """The validated plan; `check_handlers` also holds each handler's source
    to its job (lichc/handlers.py), which never changes the output, so only
    `build` and `validate` ask for it and `check` stays a freshness check."""
    from lichc.load import loader
    from lichc.plan.check import checked_plan

    document = loader.parse(source.raw, source.display)
    return checked_plan(document, source.root if check_handlers else None)


def render_files(plan: Plan) -> dict[str, bytes]:
    from lichc.render.renderer import render

    return {path: text.encode("utf-8") for path, text in render(plan).items()}


def evolved(
    plan: Plan,
    out_dir: Path,
    *,
    new_baseline: bool = False,
    retire: Mapping[str, int] | None = None,
) -> tuple[Plan, Evolution]:
    """The plan with each versioned job's live versions (lichc.evolution), read
    from the record in out_dir, and the record as this build leaves it;
    `retire` gives jobs a new oldest live version (`lichc retire`)."""
    from dataclasses import replace
    from functools import partial

    from lichc.engines.registry import engine
    from lichc.evolution import history
    from lichc.evolution.breaking import breaking_changes
    from lichc.evolution.store import read_record

    old = read_record(out_dir, new_baseline=new_baseline)
    jobs = {j.name: j for j in plan.jobs}  # what a job step's record names

    def recorded_steps(job: Job) -> Any:
        steps = engine(job.engine).recorded_steps
        return None if steps is None else partial(steps, jobs=jobs)

    evolution = history.evolve(
        plan,
        old,
        recorded_steps,
        retire,
        names_of=lambda job: engine(job.engine).message_names(plan, job),
    )
    evolution.breaking = breaking_changes(plan, old, engine)
    return replace(plan, versions=evolution.jobs), evolution


def output_files(
    plan: Plan,
    out_dir: Path,
    *,
    new_baseline: bool = False,
    retire: Mapping[str, int] | None = None,
) -> tuple[dict[str, bytes], Evolution]:
    """Everything a build writes: the rendered files and the version record."""
    from lichc.evolution.record import RECORD

    plan, evolution = evolved(plan, out_dir, new_baseline=new_baseline, retire=retire)
    files = render_files(plan)
    files[RECORD] = evolution.record.dumps().encode("utf-8")
    return dict(sorted(files.items())), evolution


def output_of(source: Source, plan: Plan) -> Path:
    return writer.output_dir(source.root, plan.output)


@dataclass
class Outcome:
    out_dir: Path
    changes: writer.Changes = field(default_factory=writer.Changes)
    fresh: bool = False
    diff: str = ""
    plan: Plan | None = None  # the compiled spec, when it had to be compiled
    evolution: list[str] = field(default_factory=list)  # a line per changed job


def _built_from(out_dir: Path, source: Source) -> writer.Manifest | None:
    """out_dir's manifest when it says this generator built this exact spec."""
    try:
        manifest = writer.Manifest.read(out_dir)
    except writer.WriteError:
        return None
    if manifest is None or manifest.input != input_key(source):
        return None
    return manifest


def _fast_fresh(out_dir: Path, source: Source) -> bool:
    """True when the manifest proves out_dir already holds this spec's output."""
    manifest = _built_from(out_dir, source)
    if manifest is None:
        return False
    for rel, digest in manifest.files.items():
        try:
            if writer.sha256((out_dir / rel).read_bytes()) != digest:
                return False
        except OSError:
            return False
    return not (out_dir / writer.JOURNAL).exists()


def known_valid(source: Source) -> bool:
    """True when this generator built this exact spec (the manifest's input key
    says so): the spec validated then, so `lichc validate` need not load Pydantic."""
    guess = guess_output(source)
    return guess is not None and _built_from(guess, source) is not None


def guess_output(source: Source) -> Path | None:
    """The output folder named in the spec, read cheaply (for the fast path)."""
    import re

    match = re.search(
        rb"^output:[ \t]*([A-Za-z0-9_./-]+)[ \t]*(?:#.*)?$", source.raw, re.M
    )
    name = match[1].decode() if match else "generated"
    try:
        return writer.output_dir(source.root, name)
    except writer.WriteError:
        return None


def build(
    source: Source,
    *,
    force: bool = False,
    new_baseline: bool = False,
    retire: Mapping[str, int] | None = None,
    accept_breaking: bool = False,
) -> Outcome:
    guess = guess_output(source)
    fast = not force and not new_baseline and not retire
    if guess is not None and fast and _fast_fresh(guess, source):
        return Outcome(guess, fresh=True)
    plan = compile_plan(source, check_handlers=True)
    out_dir = output_of(source, plan)
    files, evolution = output_files(
        plan, out_dir, new_baseline=new_baseline, retire=retire
    )
    if evolution.breaking and not accept_breaking:
        raise _breaking_error(source, evolution.breaking)
    manifest = writer.Manifest(GENERATOR, input_key(source))
    changes = writer.write(out_dir, files, manifest, force=force)
    lines = evolution.changes + [b.line for b in evolution.breaking]
    return Outcome(out_dir, changes, fresh=changes.empty, plan=plan, evolution=lines)


def _breaking_error(source: Source, breaking: list[Breaking]) -> SpecError:
    """The breaking changes, each at its place in jobs.yaml (parsed again for
    the positions: only a build that stops pays for it)."""
    from lichc.load import loader

    document = loader.parse(source.raw, source.display)
    return SpecError(
        source.display, [document.locate(b.diagnostic()) for b in breaking]
    )


def check(source: Source) -> Outcome:
    guess = guess_output(source)
    if guess is not None and _fast_fresh(guess, source):
        return Outcome(guess, fresh=True)
    plan = compile_plan(source)
    out_dir = output_of(source, plan)
    writer.finish_interrupted(out_dir)  # a committed build counts as written
    files, evolution = output_files(plan, out_dir)
    changes = writer.compare(out_dir, files, writer.Manifest.read(out_dir))
    if evolution.breaking and not changes.empty:
        raise _breaking_error(source, evolution.breaking)
    diff = _diff(out_dir, changes)
    return Outcome(out_dir, changes, fresh=changes.empty, diff=diff)


def is_fresh(source: Source, plan: Plan, out_dir: Path) -> bool:
    """True when out_dir holds what building this compiled spec would write.
    Only reads: an interrupted build is left for the next `lichc build`."""
    return _fast_fresh(out_dir, source) or _compare(out_dir, plan).empty


def _compare(out_dir: Path, plan: Plan) -> writer.Changes:
    """What building `plan` into out_dir would change."""
    files, _ = output_files(plan, out_dir)
    return writer.compare(out_dir, files, writer.Manifest.read(out_dir))


def _diff(out_dir: Path, changes: writer.Changes) -> str:
    lines: list[str] = []
    for rel, data in changes.writes.items():
        try:
            old = (out_dir / rel).read_text(encoding="utf-8").splitlines(keepends=True)
        except (OSError, UnicodeDecodeError):
            old = []
        new = data.decode("utf-8").splitlines(keepends=True)
        lines.extend(difflib.unified_diff(old, new, f"a/{rel}", f"b/{rel}"))
    for rel in changes.removes:
        lines.append(f"--- a/{rel}\n+++ /dev/null (no longer generated)\n")
    if len(lines) > MAX_DIFF_LINES:
        hidden = len(lines) - MAX_DIFF_LINES
        lines = [*lines[:MAX_DIFF_LINES], f"... {hidden} more diff lines\n"]
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)
