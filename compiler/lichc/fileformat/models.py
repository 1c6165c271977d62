"""Stage 2a: the jobs.yaml v1 format as frozen Pydantic models.

These models describe the file exactly as written (every setting optional where
the format allows inheritance); merging defaults and choosing engines happens in
the plan. `lichc schema` is the JSON Schema of `Spec`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    PlainValidator,
    Tag,
    WithJsonSchema,
)

from lichc.fileformat import names, templated, values
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


def _name_schema(pattern: str, description: str) -> WithJsonSchema:
    return WithJsonSchema(
        {
            "type": "string",
            "pattern": pattern,
            "maxLength": names.MAX_NAME,
            "description": description,
        }
    )


# Parsed values serialise back to their jobs.yaml spelling (schema defaults, dumps).
_AS_TEXT = PlainSerializer(str, return_type=str)
_DURATION_TEXT = PlainSerializer(values.format_duration, return_type=str)

Duration = Annotated[
    timedelta,
    PlainValidator(values.parse_duration),
    _DURATION_TEXT,
    WithJsonSchema(_DURATION_SCHEMA),
]
PositiveDuration = Annotated[
    timedelta,
    PlainValidator(_positive_duration),
    _DURATION_TEXT,
    WithJsonSchema(_DURATION_SCHEMA),
]
Handler = Annotated[
    PyRef,
    PlainValidator(values.parse_handler),
    _AS_TEXT,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$",
            "description": "module.path:function",
        }
    ),
]
ExceptionType = Annotated[
    PyRef,
    PlainValidator(values.parse_exception),
    _AS_TEXT,
    WithJsonSchema(
        {
            "type": "string",
            "description": "module.path:ExceptionName, or a built-in name",
        }
    ),
]
RateLimit = Annotated[
    Rate,
    PlainValidator(values.parse_rate),
    _AS_TEXT,
    WithJsonSchema({"type": "string", "pattern": RATE_PATTERN}),
]
Cron = Annotated[
    str,
    PlainValidator(values.parse_cron),
    WithJsonSchema(
        {"type": "string", "description": "five-field cron, e.g. '0 3 * * *'"}
    ),
]
InputType = Annotated[
    TypeExpr,
    PlainValidator(values.parse_type),
    _AS_TEXT,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^((list\[)*(str|int|float|bool|dict)\??(\]\??)*)$",
            "description": "str, int, float, bool, dict, list[T]; T? for optional",
        }
    ),
]
IdTemplateText = Annotated[
    IdTemplate,
    PlainValidator(templated.parse_id_template),
    _AS_TEXT,
    WithJsonSchema(
        {"type": "string", "description": "text with {input_field} placeholders"}
    ),
]
EnvText = Annotated[
    EnvString,
    PlainValidator(templated.parse_env_string),
    _AS_TEXT,
    WithJsonSchema(
        {
            "type": "string",
            "description": "text; ${NAME} or ${NAME:-default} read at run time",
        }
    ),
]
ArgValue = Annotated[
    values.InputRef | values.StepRef | values.Literal_,
    PlainValidator(values.parse_arg),
    WithJsonSchema(
        {
            "description": "a literal, or ${input.FIELD} / ${steps.NAME} / ${steps.NAME.FIELD}"
        }
    ),
]

JobName = Annotated[
    str,
    PlainValidator(names.job_name),
    _name_schema("^[A-Z][A-Za-z0-9]*$", "PascalCase job name"),
]
StepName = Annotated[
    str,
    PlainValidator(names.step_name),
    _name_schema("^[a-z][a-z0-9_]*$", "snake_case step name"),
]
SignalName = Annotated[
    str,
    PlainValidator(names.signal_name),
    _name_schema("^[a-z][a-z0-9_]*$", "snake_case signal name"),
]
InputName = Annotated[
    str,
    PlainValidator(names.input_name),
    _name_schema("^[A-Za-z][A-Za-z0-9_]*$", "Python identifier"),
]
QueueName = Annotated[
    str,
    PlainValidator(names.queue_name),
    _name_schema("^[A-Za-z0-9][A-Za-z0-9_.-]*$", "queue name"),
]
ProjectName = Annotated[
    str,
    PlainValidator(names.project_name),
    _name_schema("^[a-z][a-z0-9_]*$", "Python package name"),
]
OutputDir = Annotated[
    str,
    PlainValidator(names.output_dir),
    WithJsonSchema({"type": "string", "default": "generated"}),
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
    PlainValidator(_attempts),
    WithJsonSchema(
        {"anyOf": [{"type": "integer", "minimum": 1}, {"const": "unlimited"}]}
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
        PlainValidator(_tls),
        WithJsonSchema({"anyOf": [{"type": "boolean"}, {"type": "string"}]}),
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


class Compensate(Model):
    run: Handler
    args: dict[InputName, ArgValue] | None = None


def _compensate(value: Any) -> Any:
    return {"run": value} if isinstance(value, str) else value


class RunStep(Model):
    name: StepName | None = None
    description: str | None = None
    run: Handler
    args: dict[InputName, ArgValue] | None = None
    queue: QueueName | None = None
    retry: Retry | None = None
    timeout: PositiveDuration | None = None
    soft_timeout: PositiveDuration | None = None
    total_timeout: PositiveDuration | None = None
    queue_timeout: PositiveDuration | None = None
    heartbeat: PositiveDuration | None = None
    compensate: (
        Annotated[
            Compensate,
            BeforeValidator(_compensate, json_schema_input_type=str | Compensate),
        ]
        | None
    ) = None


class SleepStep(Model):
    name: StepName
    description: str | None = None
    sleep: PositiveDuration


class WaitFor(Model):
    signal: SignalName
    timeout: PositiveDuration | None = None
    on_timeout: Literal["fail", "continue", "compensate"] | None = None


class WaitStep(Model):
    name: StepName
    description: str | None = None
    wait_for: WaitFor


class ParallelStep(Model):
    name: StepName
    description: str | None = None
    parallel: Annotated[tuple[RunStep, ...], Field(min_length=1)]


STEP_KINDS: dict[str, type[Model]] = {
    "run": RunStep,
    "sleep": SleepStep,
    "wait_for": WaitStep,
    "parallel": ParallelStep,
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
    | Annotated[ParallelStep, Tag("parallel")],
    Discriminator(
        step_kind,
        custom_error_type="step_kind",
        custom_error_message="a step has exactly one of run, sleep, wait_for, parallel",
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


class Job(Model):
    # the file format names the engines (fileformat never imports lichc.engines)
    engine: Literal["celery", "temporal", "auto"] = "auto"
    description: str | None = None
    queue: QueueName | None = None
    run: Handler | None = None
    steps: Annotated[tuple[Step, ...], Field(min_length=1)] | None = None
    input: dict[InputName, InputSpec] = Field(default_factory=dict)
    id: IdTemplateText | None = None
    retry: Retry | None = None
    timeout: PositiveDuration | None = None
    soft_timeout: PositiveDuration | None = None
    total_timeout: PositiveDuration | None = None
    queue_timeout: PositiveDuration | None = None
    heartbeat: PositiveDuration | None = None
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


class Spec(SpecHead):
    """A jobs.yaml file, format version 1."""

    model_config = ConfigDict(
        title="jobs.yaml (lichc format version 1)",
        json_schema_extra={"$schema": "https://json-schema.org/draft/2020-12/schema"},
    )

    jobs: dict[JobName, Job]
