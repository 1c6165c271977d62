"""Python names that generated modules bind, handed out once each."""

from __future__ import annotations

import builtins
import keyword
from collections.abc import Iterable

# What Python binds itself: a job `Import` cannot name a function `import`, and
# a job `Str` must not hide the `str` the generated module calls.
PYTHON_NAMES = frozenset(dir(builtins)) | frozenset(keyword.kwlist)


class Names:
    """Allocates the names of one namespace: first come, first served, then
    suffixed (`x_2`, `x_3`...), never a reserved one, and never one that the
    enclosing namespace `outer` (a function's module) has handed out."""

    def __init__(self, reserved: Iterable[str], outer: Names | None = None) -> None:
        self.reserved = frozenset(reserved)
        self.taken: set[str] = set()  # the names handed out
        self.outer = outer

    def free(self, name: str) -> bool:
        if self.outer is not None and name in self.outer.taken:
            return False
        return name not in self.taken and name not in self.reserved

    def take(self, *choices: str) -> str:
        """The first free choice, else the last one suffixed."""
        for choice in choices:
            if self.free(choice):
                self.taken.add(choice)
                return choice
        base, number = choices[-1], 2
        while not self.free(f"{base}_{number}"):
            number += 1
        self.taken.add(f"{base}_{number}")
        return f"{base}_{number}"


def option_names(fields: Iterable[str], options: Iterable[str]) -> dict[str, str]:
    """The keywords of a job's client start options (`id`, `queue`, `delay`,
    ...), decided for both engines here: an option an input field of the job
    is named like (the fields are keyword arguments of the same functions)
    takes a trailing underscore, `id_`, more if that is a field too."""
    taken = set(fields)
    names: dict[str, str] = {}
    for option in options:
        name = option
        while name in taken:
            name += "_"
        taken.add(name)
        names[option] = name
    return names


def options_doc(names: dict[str, str], meaning: dict[str, str]) -> str:
    """The docstring paragraph that lists a start function's options, saying
    which one was renamed around an input field."""
    lines = ["Start options:"]
    for option, name in names.items():
        renamed = f" (not `{option}`: an input field has that name)" * (name != option)
        lines.append(f"- `{name}`{renamed}: {meaning[option]}")
    return "\n".join(lines)
