"""Rules for every name that travels from jobs.yaml into generated code.

A name is checked here before it can reach a template, so generated code
never contains an identifier, module or queue name that was not validated.
"""

from __future__ import annotations

import builtins
import keyword
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from lichc.fileformat.values import SpecValueError, show_value

MAX_NAME = 64

_JOB_RE = re.compile(r"[A-Z][A-Za-z0-9]*")
_SNAKE_RE = re.compile(r"[a-z][a-z0-9_]*")
_INPUT_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_QUEUE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")

# Attributes of pydantic.BaseModel (and `model_*`) that an input field would shadow.
_MODEL_ATTRIBUTES = frozenset(
    [
        "construct",
        "copy",
        "dict",
        "from_orm",
        "json",
        "parse_file",
        "parse_obj",
        "parse_raw",
        "schema",
        "schema_json",
        "update_forward_refs",
        "validate",
    ]
)
# Names the generated input models use in their class bodies: a field with a
# default binds its name there, and pydantic then reads a later annotation
# (`n: int`) or call (`Field(...)`) as that default.
_MODEL_BODY_NAMES = frozenset(["str", "int", "float", "bool", "list", "Any", "Field"])
# Names pycodestyle refuses as variables and functions (E741, E743): they read
# like 1 and 0, and the generated code would not pass `ruff check`.
AMBIGUOUS = frozenset(["l", "I", "O"])
# Top-level packages the generated code imports; a project of that name would shadow it.
_RESERVED_PACKAGES = frozenset(
    [
        "celery",
        "kombu",
        "billiard",
        "redis",
        "temporalio",
        "pydantic",
        "pydantic_core",
        "yaml",
        "jinja2",
        "click",
        "lichc",
        "tests",
        "examples",
    ]
)


def to_snake(name: str) -> str:
    """PascalCase -> snake_case: SendWelcomeEmail -> send_welcome_email, HTTPPing -> http_ping."""
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    return text.lower()


def to_pascal(name: str) -> str:
    return "".join(
        part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name) if part
    )


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise SpecValueError(f"expected a {what}, got {show_value(value)}")
    if len(value) > MAX_NAME:
        raise SpecValueError(
            f"a {what} is at most {MAX_NAME} characters (got {len(value)})"
        )
    return value


def _text_matching(
    value: Any, what: str, pattern: re.Pattern[str], may: str, hint: str
) -> str:
    text = _text(value, what)
    if not pattern.fullmatch(text):
        raise SpecValueError(f"{what} '{text}' {may}", hint)
    return text


def _pascal(value: Any, what: str, example: str) -> str:
    text = _text(value, what)
    if not _JOB_RE.fullmatch(text):
        suggestion = to_pascal(text)
        hint = (
            f"did you mean '{suggestion}'?" if _JOB_RE.fullmatch(suggestion) else None
        )
        raise SpecValueError(
            f"{what} '{text}' must be PascalCase (letters and digits, starting upper-case)",
            hint or f"e.g. {example}",
        )
    return text


def job_name(value: Any) -> str:
    text = _pascal(value, "job name", "SendWelcomeEmail")
    # its snake_case name names functions
    _refuse_ambiguous(to_snake(text), f"job name '{text}'")
    return text


def _refuse_ambiguous(name: str, what: str, detail: str = "") -> None:
    if name in AMBIGUOUS:
        raise SpecValueError(f"{what} reads like a digit{detail}", "pick a longer name")


def snake_name(value: Any, what: str = "step name") -> str:
    text = _text(value, what)
    if not _SNAKE_RE.fullmatch(text):
        suggestion = to_snake(re.sub(r"[^A-Za-z0-9_]+", "_", text)).strip("_")
        hint = (
            f"did you mean '{suggestion}'?" if _SNAKE_RE.fullmatch(suggestion) else None
        )
        raise SpecValueError(
            f"{what} '{text}' must be snake_case (lower-case letters, digits, _)",
            hint or "e.g. charge_payment",
        )
    if keyword.iskeyword(text):
        raise SpecValueError(f"{what} '{text}' is a Python keyword", f"try '{text}_'")
    return text


def step_name(value: Any) -> str:
    return snake_name(value, "step name")


def signal_name(value: Any) -> str:
    text = snake_name(value, "signal name")
    _refuse_ambiguous(text, f"signal name '{text}'")  # it names a workflow method
    return text


def input_name(value: Any) -> str:
    text = _text_matching(
        value,
        "field name",
        _INPUT_RE,
        "is not a Python identifier",
        "use letters, digits and _, starting with a letter",
    )
    if keyword.iskeyword(text):
        raise SpecValueError(
            f"field name '{text}' is a Python keyword", f"try '{text}_'"
        )
    if text.startswith("model_") or text in _MODEL_ATTRIBUTES:
        raise SpecValueError(
            f"field name '{text}' would shadow a pydantic model attribute",
            "pick another name",
        )
    _refuse_ambiguous(text, f"field name '{text}'", " (l, I and O are refused)")
    if text in _MODEL_BODY_NAMES:
        raise SpecValueError(
            f"field name '{text}' would shadow '{text}' in the generated input model",
            f"pick another name, e.g. '{text.lower()}_value'",
        )
    return text


# What inputs.py binds beside the named types (the job models are checked in plan).
_INPUTS_MODULE_NAMES = frozenset(
    ["Any", "BaseModel", "ConfigDict", "Enum", "Field", "StrEnum", "TypeAdapter"]
)


def type_name(value: Any) -> str:
    text = _pascal(value, "type name", "OrderItem")
    if text in _INPUTS_MODULE_NAMES or text in dir(builtins):
        raise SpecValueError(
            f"type name '{text}' is a name the generated inputs.py uses itself",
            f"pick another name, e.g. '{text}Type'",
        )
    return text


# Enum members that would shadow an attribute every enum has.
_ENUM_ATTRIBUTES = frozenset(["name", "value", "mro"])


def enum_value(value: Any) -> str:
    text = _text_matching(
        value,
        "enum value",
        _INPUT_RE,
        "is not a Python identifier",
        "enum values are names: letters, digits and _, starting with a letter",
    )
    if keyword.iskeyword(text) or text in _ENUM_ATTRIBUTES:
        raise SpecValueError(
            f"enum value '{text}' cannot name a member of a Python enum",
            f"try '{text}_'",
        )
    return text


def queue_name(value: Any) -> str:
    return _text_matching(
        value,
        "queue name",
        _QUEUE_RE,
        "may use only letters, digits, '.', '_' and '-'",
        "e.g. emails or orders.high",
    )


def project_name(value: Any) -> str:
    text = snake_name(value, "project name")
    if text in _RESERVED_PACKAGES or text in sys.stdlib_module_names:
        raise SpecValueError(
            f"project name '{text}' would shadow the '{text}' package",
            f"pick a name of your own, e.g. '{text}_jobs'",
        )
    return text


def output_dir(value: Any) -> str:
    hint = (
        "output is a folder inside the project, relative to jobs.yaml, e.g. generated"
    )
    if not isinstance(value, str) or not value.strip():
        raise SpecValueError(f"expected a folder name, got {show_value(value)}", hint)
    if "\\" in value or not value.isprintable():
        raise SpecValueError(f"output '{value}' must be a plain relative path", hint)
    path = PurePosixPath(value)
    if path.is_absolute():
        raise SpecValueError(f"output '{value}' is absolute", hint)
    if ".." in path.parts:
        raise SpecValueError(f"output '{value}' goes outside the project", hint)
    return path.as_posix()


@dataclass(frozen=True)
class NameForm:
    """A kind of name: its check, and the pattern and description its JSON
    Schema shows (the check refuses more than the pattern says)."""

    check: Callable[[Any], str]
    regex: re.Pattern[str]
    description: str


JOB = NameForm(job_name, _JOB_RE, "PascalCase job name")
STEP = NameForm(step_name, _SNAKE_RE, "snake_case step name")
SIGNAL = NameForm(signal_name, _SNAKE_RE, "snake_case signal name")
INPUT = NameForm(input_name, _INPUT_RE, "Python identifier")
TYPE = NameForm(type_name, _JOB_RE, "PascalCase type name")
ENUM_VALUE = NameForm(enum_value, _INPUT_RE, "enum value (a Python identifier)")
QUEUE = NameForm(queue_name, _QUEUE_RE, "queue name")
PROJECT = NameForm(project_name, _SNAKE_RE, "Python package name")
