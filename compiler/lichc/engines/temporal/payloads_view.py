"""Typed signal payloads of a Temporal workflow: the pydantic model of each
payload type its live versions have (temporal_payloads.py), which model a
run checks each signal against (by the run's version, since the type decides
whether a signal in its history is taken when it replays), and the Update
that answers a typed signal (a method pair on the workflow class and
`answer_<job>_<signal>` in the client)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lichc.engines.temporal import options
from lichc.evolution.history import JobVersions
from lichc.evolution.record import Entry, Version
from lichc.plan.ir import InputField, Job, WaitStep, suffixed
from lichc.render.names import Names
from lichc.render.pysource import py_call, py_str


@dataclass(frozen=True)
class PayloadModel:
    """One payload type as a model class of temporal_payloads.py."""

    name: str
    job: str
    signal: str
    fields: tuple[InputField, ...]
    version: int | None  # the first version with this type, when not the current one

    @property
    def doc(self) -> str:
        text = f"Payload of signal {self.signal} of job {self.job}"
        if self.version is None:
            return text + "."
        return (
            f"{text} as version {self.version} typed it, for the runs on the "
            "versions with this type."
        )


@dataclass(frozen=True)
class AnswerView:
    """A typed signal offered as an Update: the workflow's handler and
    validator methods and the client function, named once."""

    wait: WaitStep
    method: str  # the Update handler on the workflow class
    validator: str
    function: str  # answer_<job>_<signal> in temporal_client.py
    client: str  # the function's parameters beside the payload fields
    workflow_id: str
    payload_local: str  # the payload dict, when some fields are left out

    @property
    def fields(self) -> tuple[InputField, ...]:
        return self.wait.payload or ()

    @property
    def mutable_defaults(self) -> tuple[str, ...]:
        """Fields whose default is a list or dict: None in the signature (B006),
        left out of the payload when not given (the model fills it in)."""
        return tuple(
            f.name
            for f in self.fields
            if f.has_default and isinstance(f.default, list | dict)
        )

    def payload(self) -> str:
        """The payload dict of the given fields, as the client sends it."""
        items = [
            f"{py_str(f.name)}: {f.name}"
            for f in self.fields
            if f.name not in self.mutable_defaults
        ]
        return py_call("", items, force=True, brackets="{}")


@dataclass(frozen=True)
class Payloads:
    """What a workflow needs of its typed payloads."""

    models: tuple[PayloadModel, ...]
    expect: str | None  # JobRun.expect's argument (None: no signal is typed)
    answers: tuple[AnswerView, ...]


def build(
    job: Job,
    waits: list[WaitStep],
    live: JobVersions | None,
    names: Names,
    methods: Names,
) -> Payloads:
    """`waits`: the workflow's waits, one per signal (removed ones included);
    `names`: temporal_workflows.py's, where the models are imported;
    `methods`: the workflow class's, after its signal methods."""
    models: list[PayloadModel] = []
    expected: list[str] = []
    for wait in waits:
        by_version = _by_version(job, wait, live, names, models)
        if by_version:
            expected.append(f"{py_str(wait.signal)}: {by_version}")
    answers = tuple(
        _answer(job, wait, methods) for wait in job.signals if wait.payload is not None
    )
    expect = py_call("", expected, brackets="{}") if expected else None
    return Payloads(tuple(models), expect, answers)


def _by_version(
    job: Job,
    wait: WaitStep,
    live: JobVersions | None,
    names: Names,
    models: list[PayloadModel],
) -> str | None:
    """The model a run checks `wait.signal` against: one name, or one by the
    run's version when the live versions differ (None: never typed)."""
    current = next((w for w in job.signals if w.signal == wait.signal), None)
    typed: dict[Any, str] = {}  # payload key -> model name

    def model(key: Any, fields: tuple[InputField, ...], version: int | None) -> str:
        if key not in typed:
            base = suffixed(f"{job.name}{_pascal(wait.signal)}", "Payload")
            name = names.take(base if version is None else f"{base}V{version}")
            typed[key] = name
            models.append(PayloadModel(name, job.name, wait.signal, fields, version))
        return typed[key]

    if current is not None and current.payload is not None:
        # the newest version is this plan's: its recorded type is this one
        newest = live.current if live is not None and live.versioned else None
        entry = _entry(newest, wait.signal) if newest is not None else None
        model(entry.payload_key if entry else "current", current.payload, None)
    if live is None or not live.versioned:
        return next(iter(typed.values()), None)
    chosen: dict[int, str | None] = {}
    for version in live.versions:
        entry = _entry(version, wait.signal)
        key = entry.payload_key if entry is not None else None
        if key is None:
            chosen[version.version] = None
            continue
        assert entry is not None
        chosen[version.version] = model(key, _fields(entry), version.version)
    # newest first, a version range per model: `A if self._job.version >= 3 else None`
    ranges: list[tuple[int, str | None]] = []
    for number, name in sorted(chosen.items(), reverse=True):
        if ranges and ranges[-1][1] == name:
            ranges[-1] = (number, name)
        else:
            ranges.append((number, name))
    expr = str(ranges[-1][1])
    for number, name in reversed(ranges[:-1]):
        expr = f"{name} if self._job.version >= {number} else {expr}"
    return None if expr == "None" else expr


def _entry(version: Version, signal: str) -> Entry | None:
    return next(
        (s for s in version.steps if s.kind == "wait_for" and s.signal == signal),
        None,
    )


def _fields(entry: Entry) -> tuple[InputField, ...]:
    """A recorded payload type's fields (the record keeps no descriptions)."""
    assert entry.payload is not None
    return tuple(
        InputField(name, f.type, f.default, f.default is not None, None, ())
        for name, f in entry.payload.items()
    )


def _answer(job: Job, wait: WaitStep, methods: Names) -> AnswerView:
    params = Names(f.name for f in wait.payload or ())
    return AnswerView(
        wait,
        methods.take(f"answer_{wait.signal}"),
        methods.take(f"validate_{wait.signal}"),
        options.answer_function(job, wait),
        params.take("client"),
        params.take("workflow_id"),
        params.take("payload"),
    )


def _pascal(snake: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in snake.split("_"))
