"""The client's start options: an explicit id checked against the job's `id`
template, and a start delay as the first message's countdown (its expiry
and the job's deadline moved back with it)."""

from __future__ import annotations

from datetime import timedelta


def checked_id(given: str | None, expected: str, template: str) -> str:
    """The task id of a job with an `id` template: `expected`, its rendering
    for the input; an explicit id must be the same."""
    if given is None or given == expected:
        return expected
    raise ValueError(
        f"id {given!r} does not match the job's id template {template!r}, "
        f"which gives {expected!r} for this input: leave id out, or pass that"
    )


def countdown(delay: timedelta | None, base: float = 0.0) -> float | None:
    """The first message's countdown: its own (`base`, a sleep before the
    first step) plus the start delay; None when both are nothing."""
    if delay is not None and delay < timedelta(0):
        raise ValueError(f"delay must not be negative (got {delay})")
    seconds = base + (delay.total_seconds() if delay is not None else 0.0)
    return seconds or None


def later(seconds: float | None, delay: timedelta | None) -> float | None:
    """An expiry or a deadline, in seconds from now, moved back by the start
    delay (the job waits that long before it starts); None stays None."""
    if seconds is None or delay is None:
        return seconds
    return seconds + max(delay.total_seconds(), 0.0)
