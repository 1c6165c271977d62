"""The steps of a workflow whose job has several live versions
(lichc.evolution): each step with the versions that run it, and the steps
that left jobs.yaml, scheduled by their activity type's name from the record."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from lichc.engines.temporal.workflows_view import (
    Call,
    ChildView,
    Config,
    Each,
    ParallelView,
    RunView,
    _value_expr,
    end_view,
    items_expr,
    value_helpers,
)
from lichc.evolution.history import JobVersions, Merged
from lichc.evolution.record import End, Entry, Value
from lichc.fileformat.values import (
    ArgValue,
    InputRef,
    ItemRef,
    Literal_,
    Message,
    ResultObject,
    StepRef,
)
from lichc.plan.ir import EndStep, ParallelStep, SleepStep, WaitStep
from lichc.render.names import Names
from lichc.render.pysource import py_call, py_str, py_timedelta, py_tuple

COMPENSATED = "WAIT_CANCELLATION_COMPLETED"


@dataclass(frozen=True)
class Guarded:
    view: Any  # RunView | SleepStep | WaitStep | ParallelView
    guard: str | None  # the condition on `job.version`, None: every version
    notes: tuple[str, ...]  # comment lines: which change it belongs to
    when: str | None = None  # the step's `if`, as Python


@dataclass(frozen=True)
class Removed:
    """What a step no longer in jobs.yaml still needs: its ActivityConfig
    constants and the activities the worker registers by type name."""

    configs: list[Config]
    activities: dict[str, Call]  # activity type -> a call of it (queue, handler)
    handlers: dict[
        str, tuple[str, tuple[str, ...], str]
    ]  # type -> handler, params, queue


@dataclass(frozen=True)
class RemovedActivity:
    """An activity registered by its type name for runs on an older version:
    it imports its handler only when it runs, so a deleted handler fails that
    step clearly instead of stopping the worker from starting."""

    function: str
    type_name: str
    handler: str  # module:function, from the record
    params: tuple[str, ...]
    queue: str

    @property
    def expression(self) -> str:
        params = py_tuple([py_str(p) for p in self.params])
        return (
            f"removed_step({py_str(self.type_name)}, {py_str(self.handler)}, {params})"
        )


def guarded(
    versions: JobVersions,
    current: dict[str, Any],
    removed_view: Callable[[Entry, int], Any],
) -> tuple[Guarded, ...]:
    """Each merged step with its condition; `current` has the views of the
    steps of the newest version, by name."""
    changes = {v.version: v.change for v in versions.versions}
    out = []
    for m in versions.merged:
        view = (
            current[m.entry.name] if m.died is None else removed_view(m.entry, m.born)
        )
        out.append(Guarded(view, *_condition(m, versions.oldest, changes)))
    return tuple(out)


def _condition(
    m: Merged, oldest: int, changes: dict[int, str]
) -> tuple[str | None, tuple[str, ...]]:
    low, high = m.condition(oldest)

    def by(verb: str, version: int) -> str:
        return f"{verb} in version {version} ({changes[version]})"

    if low is not None and high is not None:
        note = f"{by('added', low)}, {by('removed', high)}"
        return f"{low} <= job.version < {high}", _wrapped(note)
    if low is not None:
        return f"job.version >= {low}", _wrapped(by("added", low))
    if high is not None:
        note = f"{by('removed', high)}: runs on older versions still run it"
        return f"job.version < {high}", _wrapped(note)
    return None, ()


def _wrapped(text: str, width: int = 76) -> tuple[str, ...]:
    return tuple(
        textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)
    )


def history_comment(versions: JobVersions) -> tuple[str, ...]:
    """Comment lines above the workflow: its live versions and their changes."""
    lines = ["Live versions of this job (lichc.versions.json):"]
    for v in versions.versions:
        text = f"v{v.version}: {v.change}" + (f" [{v.patch}]" if v.patch else "")
        lines += textwrap.wrap(
            text,
            76,
            initial_indent="  ",
            subsequent_indent="    ",
            break_long_words=False,
            break_on_hyphens=False,
        )
    return tuple(lines)


def deadline_expr(versions: JobVersions) -> str | None:
    """The job timeout of the run's version, when versions differ in it."""
    deadlines = {v.version: v.deadline for v in versions.versions}
    if len(set(deadlines.values())) == 1:
        return None
    items = ", ".join(
        f"{number}: {_seconds(d) if d is not None else 'None'}"
        for number, d in deadlines.items()
    )
    return "{" + items + "}[self._job.version]"


def pin_args(versions: JobVersions) -> str | None:
    """The arguments of JobRun.pin_version, when a run has a version to pin."""
    if not versions.versioned:
        return None
    items = "".join(f"({n}, {py_str(patch)}), " for n, patch in versions.pins)
    args = f"({items}), oldest={versions.oldest}"
    if versions.deprecated is not None:
        args += f", deprecated={py_str(versions.deprecated)}"
    return args


def _seconds(seconds: float) -> str:
    return py_timedelta(timedelta(seconds=seconds))


def removed_builder(
    job_snake: str,
    names: Names,
    branch_names: Names,
    waits: frozenset[str],
    removed: Removed,
    skippable: frozenset[str] = frozenset(),
) -> Callable[[Entry, int], Any]:
    """Views of steps the newest version no longer has, from the record."""

    def call(entry: Entry, born: int, undo: bool) -> Call:
        recorded = entry.undo if undo else entry.call
        assert recorded is not None
        suffix = "_COMPENSATE" if undo else ""
        name = names.take(f"{job_snake}_{entry.name}_v{born}{suffix}".upper())
        removed.configs.append(
            Config(
                name,
                recorded.queue,
                (("start_to_close_timeout", _seconds(recorded.timeout)),),
                (("maximum_attempts", str(recorded.attempts)),),
                COMPENSATED if entry.undo is not None else None,
            )
        )
        made = Call(
            py_str(recorded.activity),
            name,
            waits,
            recorded.params,
            tuple(_value(v) for v in recorded.args),
            None,
            skippable,
        )
        removed.activities.setdefault(recorded.activity, made)
        removed.handlers.setdefault(
            recorded.activity,
            (str(recorded.handler), recorded.params, recorded.queue),
        )
        return made

    def view(entry: Entry, born: int) -> Any:
        when = entry.when
        if entry.kind == "job":
            assert entry.child is not None
            recorded = entry.child
            values = [_value(v) for v in recorded.args]
            pairs = [
                f"{py_str(k)}: {_value_expr(v, waits, skippable)}"
                for k, v in zip(recorded.params, values, strict=True)
            ]
            arg = py_call("", pairs, force=True, brackets="{}")
            helpers = value_helpers(values, waits, skippable)
            target = py_str(recorded.workflow)
            return ChildView(entry.name, target, arg, recorded.queue, when, helpers)
        if entry.kind == "run":
            undo = call(entry, born, True) if entry.undo is not None else None
            each = None
            if entry.each is not None:
                items = _value(entry.each.items)
                assert isinstance(items, InputRef | StepRef)
                each = Each(
                    branch_names.take(f"each_{entry.name}_v{born}"),
                    *items_expr(items, waits, skippable),
                    entry.each.max_parallel,
                )
            return RunView(entry.name, call(entry, born, False), undo, when, each=each)
        if entry.kind == "sleep":
            assert entry.sleep is not None
            duration = timedelta(seconds=entry.sleep)
            return SleepStep(entry.name, duration, None, (), when)
        if entry.kind == "wait_for":
            assert entry.signal is not None
            assert entry.on_timeout is not None
            timeout = timedelta(seconds=entry.timeout) if entry.timeout else None
            return WaitStep(
                entry.name, entry.signal, timeout, entry.on_timeout, None, (), when
            )
        if entry.kind == "end":
            assert entry.end is not None
            return end_view(_end_step(entry, entry.end), waits, skippable)
        step = ParallelStep(entry.name, (), None, (), when)
        branches = tuple(
            (branch_names.take(f"branch_{b.name}_v{born}"), view(b, born))
            for b in entry.branches
        )
        return ParallelView(step, branches)

    return view


def _end_step(entry: Entry, end: End) -> EndStep:
    """An end step as the record keeps it, for runs on the versions it is in."""
    if end.fail is not None:
        parts: list[str | InputRef | StepRef] = []
        for v in end.fail:
            value = _value(v)
            assert not isinstance(value, ItemRef)  # an end step has no element
            parts.append(value.value if isinstance(value, Literal_) else value)
        return EndStep(entry.name, None, Message(tuple(parts)), None, (), entry.when)
    if end.items is not None:
        items = tuple((k, _value(v)) for k, v in end.items.items())
        return EndStep(entry.name, ResultObject(items), None, None, (), entry.when)
    result = _value(end.result) if end.result is not None else Literal_(None)
    return EndStep(entry.name, result, None, None, (), entry.when)


def _value(value: Value) -> ArgValue:
    if value.input is not None:
        return InputRef(value.input)
    if value.step is not None:
        return StepRef(value.step, value.field)
    if value.item:
        return ItemRef(value.field)
    return Literal_(value.literal)
