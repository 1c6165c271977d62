"""Handlers of single-step jobs with `args` (Temporal's hello sample)."""

from __future__ import annotations

from typing import Any


def compose_greeting(
    greeting: str,
    name: str,
    punctuation: str = "!",
    times: int = 1,
    loud: bool = False,
    tags: list[str] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The greeting, and every argument it was called with."""
    text = " ".join([f"{greeting}, {name}{punctuation}"] * times)
    return {
        "text": text.upper() if loud else text,
        "args": {
            "greeting": greeting,
            "name": name,
            "punctuation": punctuation,
            "times": times,
            "loud": loud,
            "tags": tags,
            "extra": extra,
        },
    }
