"""Errors as data: every problem lichc finds in a spec is a Diagnostic.

Stages collect diagnostics instead of stopping at the first one; the CLI prints
them all, sorted by position, as ``file:line:col: error: key.path: message``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

KeyPath = tuple[str | int, ...]
# The largest jobs.yaml lichc reads: Source.read stops one byte after it, and
# loader.parse reports a larger file. Here so that reading a spec for the fast
# paths (`lichc check` of fresh output) does not import the YAML loader.
MAX_BYTES = 8 * 1024 * 1024


def format_key_path(path: KeyPath) -> str:
    """``('jobs', 'X', 'steps', 1, 'retry')`` -> ``jobs.X.steps[1].retry``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text or "(top level)"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    message: str
    path: KeyPath = ()
    hint: str | None = None
    line: int = 0  # 1-based; 0 = unknown
    column: int = 0  # 1-based
    on_key: bool = False  # point at the key itself rather than at its value

    def at(self, line: int, column: int) -> Diagnostic:
        return Diagnostic(self.message, self.path, self.hint, line, column, self.on_key)

    def render(self, filename: str) -> str:
        where = f"{filename}:{self.line}:{self.column}" if self.line else filename
        key = f"{format_key_path(self.path)}: " if self.path else ""
        text = f"{where}: error: {key}{self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


@dataclass
class SpecError(Exception):
    """Raised with every diagnostic of a file once a stage cannot go on."""

    filename: str
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.render())

    def render(self) -> str:
        ordered = sorted(self.diagnostics, key=lambda d: (d.line, d.column, d.message))
        return "\n".join(d.render(self.filename) for d in ordered)


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A hint naming the closest allowed word, if one is close enough."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def allowed_keys_hint(word: str, choices: Sequence[str]) -> str:
    suggestion = did_you_mean(word, choices)
    allowed = "allowed keys: " + ", ".join(choices)
    return f"{suggestion} {allowed}" if suggestion else allowed
