"""What a job uses that not every engine is built for: the engine-neutral
vocabulary of the capability tables (lichc.engines.<e>.capabilities).

`engine: auto` picks the first engine built for every feature a job uses, and
a job on an engine that cannot run a feature is refused where the job uses it;
both read the same tables, so the knowledge is written once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, get_args

from lichc.diagnostics import KeyPath
from lichc.fileformat.values import Rate, format_duration
from lichc.plan.ir import ParallelStep, SleepStep, Step, WaitStep, run_steps

Feature = Literal[
    "more_steps",  # more than one step (parallel branches counted)
    "compensate",
    "wait_for",
    "sleep",
    "conditional_sleep",  # a sleep with `if`
    "heartbeat",
    "long_timeout",  # a timeout, total_timeout or job timeout over LONG_RUNNING
    "jitter",
    "soft_timeout",
    "dead_letter",
    "rate_limit",
]
FEATURES: tuple[Feature, ...] = get_args(Feature)
LONG_RUNNING = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Refusal:
    """An engine cannot run the feature: the error, then `; job X runs on E`."""

    message: str
    hint: str


# "built_for": the engine is made for it; "can_run": it runs it, but `engine:
# auto` prefers an engine built for it; a Refusal: it cannot.
Support = Literal["built_for", "can_run"] | Refusal
Capabilities = Mapping[Feature, Support]


@dataclass(frozen=True, slots=True)
class Use:
    """One place a job uses a feature."""

    feature: Feature
    path: KeyPath  # where a refusal points
    reason: str  # completes "engine: auto chose E because ..."


def uses(
    path: KeyPath,
    steps: tuple[Step, ...],
    deadline: timedelta | None,
    dead_letter: str | None,
    rate_limit: Rate | None,
) -> tuple[Use, ...]:
    """Every use of a feature by a job, in the order auto's reasons are told."""
    return tuple(_uses(path, steps, deadline, dead_letter, rate_limit))


def _uses(
    path: KeyPath,
    steps: tuple[Step, ...],
    deadline: timedelta | None,
    dead_letter: str | None,
    rate_limit: Rate | None,
) -> Iterator[Use]:
    count = sum(len(s.branches) if isinstance(s, ParallelStep) else 1 for s in steps)
    if count > 1:
        yield Use("more_steps", (*path, "steps"), f"it has {count} steps")
    for step in run_steps(steps):
        if step.compensate is not None:
            yield Use(
                "compensate",
                step.compensate.path,
                f"step {step.name} has a compensation",
            )
    for s in steps:
        if isinstance(s, WaitStep):
            yield Use(
                "wait_for",
                (*s.path, "wait_for"),
                f"step {s.name} waits for signal '{s.signal}'",
            )
        elif isinstance(s, SleepStep):
            yield Use(
                "sleep",
                (*s.path, "sleep"),
                f"step {s.name} sleeps {format_duration(s.duration)}",
            )
            if s.condition is not None:
                yield Use(
                    "conditional_sleep",
                    (*s.path, "if"),
                    f"step {s.name} sleeps only if {s.condition}",
                )
    for step in run_steps(steps):
        if step.heartbeat is not None:
            yield Use(
                "heartbeat", step.key_path("heartbeat"), f"step {step.name} heartbeats"
            )
        for key in ("timeout", "total_timeout"):
            value = getattr(step, key)
            if value is not None and value > LONG_RUNNING:
                yield Use(
                    "long_timeout",
                    step.key_path(key),
                    f"its {key} of {format_duration(value)} is over 1h",
                )
        if step.retry.jitter:
            yield Use(
                "jitter",
                (*step.retry.origin("jitter"), "jitter"),
                f"step {step.name} retries with jitter",
            )
        if step.soft_timeout is not None:
            yield Use(
                "soft_timeout",
                step.key_path("soft_timeout"),
                f"step {step.name} has a soft_timeout",
            )
    if deadline is not None and deadline > LONG_RUNNING:
        yield Use(
            "long_timeout",
            (*path, "timeout"),
            f"its timeout of {format_duration(deadline)} is over 1h",
        )
    if dead_letter is not None:
        yield Use("dead_letter", (*path, "dead_letter"), "it has a dead_letter queue")
    if rate_limit is not None:
        yield Use("rate_limit", (*path, "rate_limit"), "it has a rate_limit")
