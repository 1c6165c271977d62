"""`<output>/lichc.versions.json`: every version of every job lichc built.

The record is data lichc writes and users commit and review; it is read back
through these models, so a hand edit can never put anything but validated
names, handler references and numbers into generated code.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from lichc.diagnostics import Diagnostic, SpecError
from lichc.fileformat.models import (
    ConditionText,
    Handler,
    InputName,
    InputType,
    JobName,
    QueueName,
    SignalName,
    StepName,
)

RECORD = "lichc.versions.json"

BASELINE_HINT = (
    "restore it from git (`git checkout -- {path}`), or start a new baseline "
    "with `lichc build --new-baseline` once no run of a Temporal job is in flight"
)

ActivityType = Annotated[
    str, Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){0,2}$")
]
Seconds = Annotated[float, Field(ge=0, le=10**9)]
TaskName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.]{0,400}$")]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Value(_Model):
    """One argument: an input field, a step's result (or one of its fields),
    or a JSON literal."""

    input: InputName | None = None
    step: StepName | None = None
    item: bool = False  # `${item}`: a for_each step's element (`field` of it)
    field: InputName | None = None
    literal: Any = None


class Call(_Model):
    """An activity as a workflow schedules it, enough to schedule it again by
    its type name after its step left jobs.yaml."""

    activity: ActivityType
    handler: Handler
    params: tuple[InputName, ...]
    args: tuple[Value, ...]
    queue: QueueName
    timeout: Seconds  # start-to-close
    attempts: Annotated[int, Field(ge=0, le=10**6)]  # 0: unlimited


class End(_Model):
    """An end step: its result (a value, or a mapping of values), or the
    parts of its failure's message (text parts are literal values)."""

    result: Value | None = None
    items: dict[str, Value] | None = None
    fail: tuple[Value, ...] | None = None


class Each(_Model):
    """A for_each step's list, and how many of its elements run at once
    (which decides how many activities each workflow task schedules)."""

    items: Value
    max_parallel: Annotated[int, Field(ge=1, le=1000)]

    @property
    def key(self) -> tuple[Any, ...]:
        return (self.items.input, self.items.step, self.items.field, self.max_parallel)


class PayloadField(_Model):
    """A field of a typed signal payload, enough to validate it again for
    runs on the version that had it: its type and default (None: none)."""

    type: InputType
    default: Any = None


class Child(_Model):
    """A job step: the child workflow it starts, enough to start it again by
    its type's name after the step left jobs.yaml."""

    workflow: JobName
    queue: QueueName
    params: tuple[InputName, ...]
    args: tuple[Value, ...]


class Entry(_Model):
    kind: Literal["run", "sleep", "wait_for", "parallel", "end", "job"]
    name: StepName
    when: ConditionText | None = None  # `if`, parsed again when read back
    call: Call | None = None
    undo: Call | None = None
    sleep: Seconds | None = None
    signal: SignalName | None = None
    timeout: Seconds | None = None  # wait_for's
    on_timeout: Literal["fail", "continue", "compensate"] | None = None
    # wait_for's typed payload (None: any JSON object)
    payload: dict[InputName, PayloadField] | None = None
    branches: tuple[Entry, ...] = ()
    end: End | None = None
    each: Each | None = None  # a run step's for_each
    child: Child | None = None  # a job step's

    @property
    def payload_key(self) -> tuple[tuple[str, str, str], ...] | None:
        """What decides which payloads the wait takes: each field's type and
        default, in name order (a description changes nothing)."""
        if self.payload is None:
            return None
        return tuple(
            (name, str(f.type), json.dumps(f.default, sort_keys=True))
            for name, f in sorted(self.payload.items())
        )

    @property
    def key(self) -> tuple[Any, ...]:
        """What replay compares: the commands this step issues, not its options;
        its condition decides whether it issues them, and how an end step ends
        (completed or failed) is a command of its own."""
        return (
            self.kind,
            self.name,
            str(self.when) if self.when is not None else None,
            self.end.fail is not None if self.end else None,
            self.call.activity if self.call else None,
            self.undo.activity if self.undo else None,
            self.signal,
            self.timeout is not None,
            tuple(b.key for b in self.branches),
            self.each.key if self.each else None,
            self.child.workflow if self.child else None,
        )


class Version(_Model):
    version: Annotated[int, Field(ge=1)]
    patch: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]{1,200}$")] | None
    # one line, no control characters: it is written into comments
    change: Annotated[str, Field(max_length=2000, pattern=r"^[^\x00-\x1f\x7f]*$")]
    deadline: Seconds | None
    steps: tuple[Entry, ...]

    @property
    def key(self) -> tuple[Any, ...]:
        """The commands, and the payload types: they decide whether a signal
        in a run's history is taken when it replays."""
        return (
            self.deadline is not None,
            tuple(s.key for s in self.steps),
            self.payloads,
        )

    @property
    def payloads(self) -> tuple[tuple[str, Any], ...]:
        """(signal, payload key) of each typed wait, in step order."""
        return tuple(
            (s.signal or "", s.payload_key) for s in self.steps if s.payload is not None
        )


class Interface(_Model):
    """What a queued message or a run's client depends on, on both engines."""

    engine: Literal["celery", "temporal"]
    queue: QueueName
    inputs: dict[
        InputName, str
    ]  # field -> type, with "=" appended when it has a default
    signals: tuple[SignalName, ...] = ()
    # the task / workflow names its messages and clients address
    tasks: tuple[TaskName, ...] = ()


class JobRecord(_Model):
    interface: Interface
    versions: tuple[Version, ...] = ()  # Temporal jobs of several steps
    oldest_live: Annotated[int, Field(ge=1)] = 1  # older versions are retired
    removed: bool = False  # gone from jobs.yaml (a build accepted it)

    @property
    def live(self) -> tuple[Version, ...]:
        """The versions not retired, oldest first."""
        return tuple(v for v in self.versions if v.version >= self.oldest_live)


class Record(_Model):
    format: Literal[1] = 1
    jobs: dict[JobName, JobRecord] = Field(default_factory=dict)

    def dumps(self) -> str:
        """Keys in the models' order, jobs sorted by name (evolve sorts them).

        Dumped by pydantic's serializer: json.dumps with an indent runs in
        pure Python, seconds for the record of 10,000 jobs. What is left out
        reads back as its default (a literal None too)."""
        jobs = _JOBS.dump_json(self.jobs, exclude_defaults=True, indent=2)
        # JSON strings hold no raw newline: re-indenting by lines is safe
        nested = jobs.decode("utf-8").replace("\n", "\n  ")
        return f'{{\n  "format": {self.format},\n  "jobs": {nested}\n}}\n'


_JOBS = TypeAdapter(dict[JobName, JobRecord])


def parse(text: bytes, display: str) -> Record:
    """The record in `text`; a clear error, never a traceback, when it is not one."""
    try:
        return Record.model_validate_json(text)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top)"
        raise SpecError(
            display,
            [
                Diagnostic(
                    f"the version record is corrupt at {where}: {first['msg']}",
                    hint=BASELINE_HINT.format(path=display),
                )
            ],
        ) from None
