"""Text with placeholders: `id` templates (`order-{order_id}`) and settings
read from the environment (`redis://${REDIS_HOST:-localhost}:6379/0`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from lichc.fileformat.values import IDENT, SpecValueError, is_identifier, show_value

# -- id templates: order-{order_id} -----------------------------------------------------

_ID_PART = re.compile(r"\{([^{}]*)\}|([^{}]+)|([{}])")


@dataclass(frozen=True, slots=True)
class IdTemplate:
    """Literal text and input field names, in order."""

    parts: tuple[tuple[Literal["text", "field"], str], ...]

    def __str__(self) -> str:
        return "".join(f"{{{v}}}" if k == "field" else v for k, v in self.parts)

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(v for k, v in self.parts if k == "field")


def parse_id_template(value: Any) -> IdTemplate:
    if isinstance(value, IdTemplate):
        return value
    hint = "an id is text with input fields in braces, e.g. order-{order_id}"
    if not isinstance(value, str) or not value:
        raise SpecValueError(f"expected an id template, got {show_value(value)}", hint)
    if len(value) > 200:
        raise SpecValueError("an id template is at most 200 characters", hint)
    parts: list[tuple[Literal["text", "field"], str]] = []
    for match in _ID_PART.finditer(value):
        field, text, stray = match.groups()
        if stray is not None:
            raise SpecValueError(f"'{value}' has an unmatched '{stray}'", hint)
        if field is not None:
            if not is_identifier(field):
                raise SpecValueError(
                    f"'{{{field}}}' in the id is not an input field name", hint
                )
            parts.append(("field", field))
        else:
            if not text.isprintable():
                raise SpecValueError("an id cannot contain control characters", hint)
            parts.append(("text", text))
    return IdTemplate(tuple(parts))


# -- ${NAME} and ${NAME:-default} in celery / temporal settings ------------------------

_ENV_RE = re.compile(rf"\$\{{({IDENT})(?::-([^}}]*))?\}}")


@dataclass(frozen=True, slots=True)
class EnvVar:
    name: str
    default: str | None


@dataclass(frozen=True, slots=True)
class EnvString:
    """Text read from the environment when the generated code runs."""

    parts: tuple[str | EnvVar, ...]

    def __str__(self) -> str:
        out = []
        for p in self.parts:
            if isinstance(p, EnvVar):
                tail = f":-{p.default}" if p.default is not None else ""
                out.append(f"${{{p.name}{tail}}}")
            else:
                out.append(p)
        return "".join(out)

    @property
    def variable(self) -> EnvVar | None:
        """The variable when the value is one whole `${NAME...}`, else None."""
        only = self.parts[0] if len(self.parts) == 1 else None
        return only if isinstance(only, EnvVar) else None

    def example(self) -> str | None:
        """The value with every default applied, or None if a variable has none."""
        out = []
        for p in self.parts:
            if isinstance(p, EnvVar):
                if p.default is None:
                    return None
                out.append(p.default)
            else:
                out.append(p)
        return "".join(out)


def parse_env_string(value: Any) -> EnvString:
    if isinstance(value, EnvString):
        return value
    hint = (
        "write a value, or ${NAME} / ${NAME:-default} to read it from the environment"
    )
    if not isinstance(value, str):
        raise SpecValueError(f"expected text, got {show_value(value)}", hint)
    if not value.isprintable():
        raise SpecValueError("settings cannot contain control characters", hint)
    parts: list[str | EnvVar] = []
    pos = 0
    for match in _ENV_RE.finditer(value):
        if match.start() > pos:
            parts.append(value[pos : match.start()])
        parts.append(EnvVar(match[1], match[2]))
        pos = match.end()
    if pos < len(value):
        parts.append(value[pos:])
    for p in parts:
        if isinstance(p, str) and "${" in p:
            raise SpecValueError(
                f"'{value}' has a malformed ${{...}} placeholder", hint
            )
    return EnvString(tuple(parts))
