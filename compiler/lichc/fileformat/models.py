"""Stage 2a: the jobs.yaml v1 format as frozen Pydantic models.

These models describe the file exactly as written (every setting optional where
the format allows inheritance); merging defaults and choosing engines happens in
the plan. `lichc schema` is the JSON Schema of `Spec`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    Tag,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from lichc.fileformat import conditions, names, templated, values
from lichc.fileformat.templated import EnvString, IdTemplate
from lichc.fileformat.values import (
    DURATION_PATTERN,
    RATE_PATTERN,
    PyRef,
    Rate,
    SpecValueError,
    TypeExpr,
    show_value,
)


def _positive_duration(value: Any) -> timedelta:
    parsed = values.parse_duration(value)
    if parsed <= timedelta(0):
        raise SpecValueError("must be longer than zero", "e.g. 30s")
    return parsed


_DURATION_SCHEMA = {
    "anyOf": [
        {"type": "string", "pattern": DURATION_PATTERN},
        {"type": "integer", "minimum": 0},
    ],
    "description": "500ms, 30s, 5m, 2h, 3d, combinations like 1h30m, or whole seconds",
}


@dataclass(frozen=True, eq=False)  # pydantic hashes annotations; schemas are dicts
class _Parsed:
    """A value jobs.yaml spells as text, as one annotation: `parse` validates
    it, `schema` is its JSON Schema, and `text` (when given) writes it back in
    its jobs.yaml spelling (schema defaults, dumps)."""

    parse: Callable[[Any], Any]
    schema: JsonSchemaValue
    text: Callable[[Any], str] | None = None

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        serialization = (
            core_schema.plain_serializer_function_ser_schema(
                self.text, return_schema=core_schema.str_schema()
            )
            if self.text is not None
            else None
        )
        return core_schema.no_info_plain_validator_function(
            self.parse, serialization=serialization
        )

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return copy.deepcopy(self.schema)  # the generator writes defaults into it


def _text(description: str, pattern: str | None = None) -> JsonSchemaValue:
    if pattern is None:
        return {"type": "string", "description": description}
    return {"type": "string", "pattern": pattern, "description": description}


def _name(form: names.NameForm) -> _Parsed:
    return _Parsed(
        form.check,
        {
            "type": "string",
            "pattern": f"^{form.regex.pattern}$",
            "maxLength": names.MAX_NAME,
            "description": form.description,
        },
    )


_HANDLER_PATTERN = (
    r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$"
)
_TYPE_PATTERN = (
    r"^((list\[|dict\[str, ?)*(str|int|float|bool|dict|[A-Z][A-Za-z0-9]*)\??(\]\??)*)$"
)
_TYPE_HELP = "str, int, float, bool, dict, list[T], dict[str, T], a name from types:; T? for optional"

ConditionText = Annotated[
    conditions.Condition,
    _Parsed(
        conditions.parse_condition,
        _text("a condition: references, literals, == != < <= > >= in, not, and, or"),
        str,
    ),
]
_ARG_HELP = "a literal, or ${input.FIELD} / ${steps.NAME} / ${steps.NAME.FIELD}"
_ENV_HELP = "text; ${NAME} or ${NAME:-default} read at run time"
_DURATION = _Parsed(values.parse_duration, _DURATION_SCHEMA, values.format_duration)

Duration = Annotated[timedelta, _DURATION]
PositiveDuration = Annotated[timedelta, replace(_DURATION, parse=_positive_duration)]
Handler = Annotated[
    PyRef,
    _Parsed(values.parse_handler, _text("module.path:function", _HANDLER_PATTERN), str),
]
ExceptionType = Annotated[
    PyRef,
    _Parsed(
        values.parse_exception,
        _text("module.path:ExceptionName, or a built-in name"),
        str,
    ),
]
RateLimit = Annotated[
    Rate,
    _Parsed(values.parse_rate, {"type": "string", "pattern": RATE_PATTERN}, str),
]
Cron = Annotated[
    str, _Parsed(values.parse_cron, _text("five-field cron, e.g. '0 3 * * *'"))
]
InputType = Annotated[
    TypeExpr, _Parsed(values.parse_type, _text(_TYPE_HELP, _TYPE_PATTERN), str)
]
IdTemplateText = Annotated[
    IdTemplate,
    _Parsed(
        templated.parse_id_template,
        _text("text with {input_field} placeholders"),
        str,
    ),
]
EnvText = Annotated[
    EnvString, _Parsed(templated.parse_env_string, _text(_ENV_HELP), str)
]
ArgValue = Annotated[
    values.InputRef | values.StepRef | values.ItemRef | values.Literal_,
    _Parsed(values.parse_arg, {"description": _ARG_HELP}),
]
ItemsRef = Annotated[
    values.InputRef | values.StepRef,
    _Parsed(
        values.parse_items,
        _text("a reference to a list: ${input.FIELD} or ${steps.NAME.FIELD}"),
        str,
    ),
]
# at most this many elements of a for_each step run at once (Temporal keeps at
# most 2,000 activities pending per workflow)
MAX_PARALLEL = 1000
MaxParallel = Annotated[int, Field(strict=True, ge=1, le=MAX_PARALLEL)]

JobName = Annotated[str, _name(names.JOB)]
StepName = Annotated[str, _name(names.STEP)]
SignalName = Annotated[str, _name(names.SIGNAL)]
InputName = Annotated[str, _name(names.INPUT)]
QueueName = Annotated[str, _name(names.QUEUE)]
TypeName = Annotated[str, _name(names.TYPE)]
EnumValue = Annotated[str, _name(names.ENUM_VALUE)]
ProjectName = Annotated[str, _name(names.PROJECT)]
OutputDir = Annotated[
    str, _Parsed(names.output_dir, {"type": "string", "default": "generated"})
]


def _attempts(value: Any) -> int | Literal["unlimited"]:
    if value == "unlimited":
        return "unlimited"
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecValueError(
            f"expected a number of attempts or 'unlimited', got {show_value(value)}",
            "attempts counts the first try: 1 means no retry",
        )
    if value < 1:
        raise SpecValueError(
            f"must be at least 1 (got {value})",
            "attempts counts the first try: 1 means no retry",
        )
    if value > 10_000:
        raise SpecValueError(
            f"must be at most 10000 (got {value})", "use 'unlimited' instead"
        )
    return value


Attempts = Annotated[
    int | Literal["unlimited"],
    _Parsed(
        _attempts,
        {"anyOf": [{"type": "integer", "minimum": 1}, {"const": "unlimited"}]},
    ),
]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)


class Retry(Model):
    """Retry policy; any key left out is inherited (step <- job <- defaults <- built-in)."""

    attempts: Attempts | None = None
    backoff: Literal["exponential", "fixed"] | None = None
    delay: Duration | None = None
    factor: Annotated[float, Field(ge=1, le=100)] | None = None
    max_delay: PositiveDuration | None = None
    jitter: Annotated[bool, Field(strict=True)] | None = None
    retry_on: tuple[ExceptionType, ...] | None = None
    non_retryable: tuple[ExceptionType, ...] | None = None


class Defaults(Model):
    retry: Retry | None = None
    timeout: PositiveDuration | None = None
    queue: QueueName | None = None


def _tls(value: Any) -> bool | EnvString:
    if isinstance(value, bool):
        return value
    return templated.parse_env_string(value)


class CelerySettings(Model):
    broker: EnvText = Field(
        default="${REDIS_URL:-redis://localhost:6379/0}", validate_default=True
    )
    result_backend: EnvText = Field(
        default="${REDIS_RESULT_URL:-redis://localhost:6379/1}", validate_default=True
    )


class TemporalSettings(Model):
    address: EnvText = Field(
        default="${TEMPORAL_ADDRESS:-localhost:7233}", validate_default=True
    )
    namespace: EnvText = Field(default="default", validate_default=True)
    tls: Annotated[
        bool | EnvString,
        _Parsed(_tls, {"anyOf": [{"type": "boolean"}, {"type": "string"}]}),
    ] = False
    api_key: EnvText | None = None


class InputField(Model):
    type: InputType
    default: Any = None
    description: str | None = None

    @property
    def has_default(self) -> bool:
        return "default" in self.model_fields_set


def _input_field(value: Any) -> Any:
    # `name: str` is short for `name: {type: str}`.
    return {"type": value} if isinstance(value, str) else value


InputSpec = Annotated[
    InputField,
    BeforeValidator(_input_field, json_schema_input_type=str | InputField),
]


class EnumType(Model):
    """`{enum: [a, b, c]}`: a str enum, its members named as their values."""

    enum: Annotated[tuple[EnumValue, ...], Field(min_length=1)]
    description: str | None = None


ObjectFields = dict[InputName, InputSpec]


def _type_kind(value: Any) -> str:
    # an object type is its fields; one whose only key `enum` holds a list is an enum
    if isinstance(value, dict) and isinstance(value.get("enum"), list):
        return "enum"
    return "object"


def _payload_kind(value: Any) -> str:
    return "name" if isinstance(value, str) else "fields"


TypeDef = Annotated[
    Annotated[EnumType, Tag("enum")] | Annotated[ObjectFields, Tag("object")],
    Discriminator(_type_kind),
]


class Compensate(Model):
    run: Handler
    args: dict[InputName, ArgValue] | None = None


def _compensate(value: Any) -> Any:
    return {"run": value} if isinstance(value, str) else value


class _Attempts(Model):
    """The keys that shape each attempt, on a job and on a run step. A model
    lists its own keys first and these after (Pydantic orders fields by the
    reversed MRO: `class X(_Attempts, _XHead)` puts _XHead's first)."""

    retry: Retry | None = None
    timeout: PositiveDuration | None = None
    soft_timeout: PositiveDuration | None = None
    total_timeout: PositiveDuration | None = None
    queue_timeout: PositiveDuration | None = None
    heartbeat: PositiveDuration | None = None


class _RunStepHead(Model):
    name: StepName | None = None
    description: str | None = None
    if_: ConditionText | None = Field(default=None, alias="if")
    # the handler runs once per element of the list, `${item}` in its args
    for_each: ItemsRef | None = None
    max_parallel: MaxParallel | None = None
    run: Handler
    args: dict[InputName, ArgValue] | None = None
    queue: QueueName | None = None


class RunStep(_Attempts, _RunStepHead):
    compensate: (
        Annotated[
            Compensate,
            BeforeValidator(_compensate, json_schema_input_type=str | Compensate),
        ]
        | None
    ) = None

    @model_validator(mode="after")
    def _parallel_of_elements(self) -> RunStep:
        if self.max_parallel is not None and self.for_each is None:
            raise ValueError(
                "max_parallel limits a for_each step's elements: add for_each, "
                "or remove max_parallel"
            )
        return self


class _NamedStep(Model):
    """A step other than `run`: its name is required (nothing to name it after)."""

    name: StepName
    description: str | None = None
    if_: ConditionText | None = Field(default=None, alias="if")


class SleepStep(_NamedStep):
    sleep: PositiveDuration


class WaitFor(Model):
    signal: SignalName
    timeout: PositiveDuration | None = None
    on_timeout: Literal["fail", "continue", "compensate"] | None = None
    # the signal's JSON object, typed like `input` or named by an object type
    # of `types:` (without it: any object)
    payload: (
        Annotated[
            Annotated[ObjectFields, Tag("fields")] | Annotated[TypeName, Tag("name")],
            Discriminator(_payload_kind),
        ]
        | None
    ) = None


class WaitStep(_NamedStep):
    wait_for: WaitFor


class ParallelStep(_NamedStep):
    parallel: Annotated[tuple[RunStep, ...], Field(min_length=1)]


class End(Model):
    """How an `end` step ends the job: with a result, or failed."""

    result: Annotated[
        values.ResultValue,
        _Parsed(values.parse_result, {"description": "the job's result"}),
    ] = values.Literal_(None)
    fail: (
        Annotated[
            values.Message,
            _Parsed(values.parse_message, _text("the failure's message"), str),
        ]
        | None
    ) = None

    @model_validator(mode="after")
    def _one_way(self) -> End:
        if ("result" in self.model_fields_set) == (self.fail is not None):
            raise ValueError(
                "an end step has either result (the job completes with it) or "
                "fail (the job fails with that message)"
            )
        return self


class EndStep(_NamedStep):
    end: End


class JobStep(_NamedStep):
    """Another job of the file run as a step: `args` map to its input."""

    job: JobName
    args: dict[InputName, ArgValue] | None = None


STEP_KINDS: dict[str, type[Model]] = {
    "run": RunStep,
    "sleep": SleepStep,
    "wait_for": WaitStep,
    "parallel": ParallelStep,
    "end": EndStep,
    "job": JobStep,
}


def step_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        kinds = [k for k in STEP_KINDS if k in value]
        return kinds[0] if len(kinds) == 1 else None
    if isinstance(value, Model):
        return next(k for k, cls in STEP_KINDS.items() if isinstance(value, cls))
    return None


Step = Annotated[
    Annotated[RunStep, Tag("run")]
    | Annotated[SleepStep, Tag("sleep")]
    | Annotated[WaitStep, Tag("wait_for")]
    | Annotated[ParallelStep, Tag("parallel")]
    | Annotated[EndStep, Tag("end")]
    | Annotated[JobStep, Tag("job")],
    Discriminator(
        step_kind,
        custom_error_type="step_kind",
        custom_error_message=(
            "a step has exactly one of run, sleep, wait_for, parallel, end, job"
        ),
    ),
]


# how long a dead letter is kept when `dead_letter` does not say
DEAD_LETTER_RETENTION = timedelta(days=14)


class DeadLetter(Model):
    queue: QueueName = "dead_letter"
    # how long each record is kept (listed, replayable) after it failed
    retention: PositiveDuration = DEAD_LETTER_RETENTION


def _dead_letter(value: Any) -> Any:
    if value is True:
        return {}
    if value is False:
        return None
    return value


class Schedule(Model):
    cron: Cron
    timezone: str = "UTC"
    input: dict[str, Any] = Field(default_factory=dict)


def _schedules(value: Any) -> Any:
    return [value] if isinstance(value, dict) else value


class JobResult(Model):
    """A job's `result:`: its type, and (multi-step) which value it returns."""

    type: InputType | None = None
    value: (
        Annotated[
            values.ResultValue,
            _Parsed(
                values.parse_result,
                {
                    "description": "the job's result: ${steps.S}, ${steps.S.F}, "
                    "${input.X}, or a mapping of them and literals"
                },
            ),
        ]
        | None
    ) = None

    @property
    def has_value(self) -> bool:
        return "value" in self.model_fields_set


def _job_result(value: Any) -> Any:
    # `result: TYPE` is short for `result: {type: TYPE}`.
    return {"type": value} if isinstance(value, str) else value


class _JobHead(Model):
    # the file format names the engines (fileformat never imports lichc.engines)
    engine: Literal["celery", "temporal", "auto"] = "auto"
    description: str | None = None
    queue: QueueName | None = None
    run: Handler | None = None
    # a single-step job's handler arguments, like a run step's (without them:
    # the input fields)
    args: dict[InputName, ArgValue] | None = None
    steps: Annotated[tuple[Step, ...], Field(min_length=1)] | None = None
    input: dict[InputName, InputSpec] = Field(default_factory=dict)
    id: IdTemplateText | None = None
    # what the job returns: `TYPE`, or `{type, value}`
    result: (
        Annotated[
            JobResult,
            BeforeValidator(_job_result, json_schema_input_type=str | JobResult),
        ]
        | None
    ) = None


class Job(_Attempts, _JobHead):
    dead_letter: Annotated[
        DeadLetter | None,
        BeforeValidator(_dead_letter, json_schema_input_type=bool | DeadLetter),
    ] = None
    rate_limit: RateLimit | None = None
    schedule: Annotated[
        tuple[Schedule, ...],
        BeforeValidator(_schedules, json_schema_input_type=Schedule | list[Schedule]),
    ] = ()


class SpecHead(Model):
    """Everything but the jobs; validated on its own so each job reports separately."""

    version: Literal[1]
    project: ProjectName = "jobs"
    output: OutputDir = "generated"
    defaults: Defaults = Defaults()
    celery: CelerySettings = CelerySettings()
    temporal: TemporalSettings = TemporalSettings()
    # named object types and enums, usable wherever a type is written
    types: dict[TypeName, TypeDef] = Field(default_factory=dict)


class Spec(SpecHead):
    """A jobs.yaml file, format version 1."""

    model_config = ConfigDict(
        title="jobs.yaml (lichc format version 1)",
        json_schema_extra={"$schema": "https://json-schema.org/draft/2020-12/schema"},
    )

    jobs: dict[JobName, Job]
