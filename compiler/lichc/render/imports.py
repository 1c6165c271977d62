"""Import lines of generated modules, ordered the way ruff's isort orders them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache


@dataclass
class Imports:
    """`import module [as alias]` and `from module import name [as alias]` lines
    of one section: plain imports first, then from-imports, each sorted."""

    members: dict[str, dict[str, str]] = field(default_factory=dict)
    modules: dict[str, str] = field(default_factory=dict)  # `import m as a`

    def add(self, module: str, name: str, alias: str | None = None) -> None:
        self.members.setdefault(module, {})[name] = alias or name

    def add_module(self, module: str, alias: str | None = None) -> None:
        self.modules[module] = alias or module

    def lines(self) -> list[str]:
        out = [
            f"import {m}" if a == m else f"import {m} as {a}"
            for m, a in sorted(self.modules.items(), key=lambda i: module_key(i[0]))
        ]
        for module in sorted(self.members, key=module_key):
            members = self.members[module]
            plain = sorted((n for n, a in members.items() if n == a), key=member_key)
            # ruff's isort gives each `import x as y` a line of its own
            statements = [(n, f"{n} as {a}") for n, a in members.items() if n != a]
            if plain:
                statements.append((plain[0], ", ".join(plain)))
            for _, names in sorted(statements, key=lambda s: member_key(s[0])):
                out.append(_from_import(module, names.split(", ")))
        return out


def _from_import(module: str, names: list[str]) -> str:
    return f"from {module} import {', '.join(names)}"  # the formatting pass wraps it


Natural = tuple[tuple[int, int, str], ...]


def natural(text: str) -> Natural:
    """ruff's natural order (the natord crate, after strnatcmp), as a key.

    A run of digits compares as a number (job2 < job10), except that a run
    with a leading zero compares digit by digit (a0s0 < a00): strnatcmp's
    "fractional" rule. Other characters compare by code point, so a digit
    sorts after `.` or `-` and before letters and `_`; a run of those is one
    string, which orders as character by character would.
    """
    key = []
    for digits, low, rest in _RUNS.findall(text):
        if digits:
            key.append((1, 0 if digits[0] == "0" else len(digits), digits))
        elif low:
            key.append((0, 0, low))
        else:
            key.append((2, 0, rest))
    return tuple(key)


# a digit run, one character below "0" (".", "-"), or a run of characters above "9"
_RUNS = re.compile(r"(\d+)|([\x00-/])|([^\x00-9]+)")


@cache
def member_key(name: str) -> tuple[int, Natural, Natural]:
    """ruff's isort order of imported names: CONSTANTS, then Classes, then
    functions, each case-insensitive (JobStatus before JSONExportWorkflow)."""
    if name.isupper() and len(name) > 1:
        kind = 0  # CONSTANT
    elif name[:1].isupper():
        kind = 1  # Class
    else:
        kind = 2  # function
    return kind, natural(name.lower()), natural(name)


@cache
def module_key(module: str) -> tuple[Natural, Natural]:
    return natural(module.lower()), natural(module)


def isort(names: Iterable[str]) -> list[str]:
    """Names of one `from x import (...)`, in the order ruff's isort wants."""
    return sorted(names, key=member_key)
