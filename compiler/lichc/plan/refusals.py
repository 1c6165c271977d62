"""A job on an engine that cannot run a feature it uses is refused where it
uses it, with the engine's own message and hint (its capability table)."""

from __future__ import annotations

from collections.abc import Iterator

from lichc.diagnostics import Diagnostic
from lichc.plan import features
from lichc.plan.features import Feature, Refusal
from lichc.plan.ir import Job


def runs_on(job: Job) -> str:
    """`job X runs on E`, and why when `engine: auto` chose E."""
    from lichc.engines.registry import engine

    why = f" ({job.engine_reason})" if job.engine_auto else ""
    return f"job {job.name} runs on {engine(job.engine).title}{why}"


def refusal(engine_name: str, feature: Feature) -> Refusal | None:
    """How an engine refuses a feature (None: it runs it)."""
    from lichc.engines.registry import engine

    support = engine(engine_name).capabilities[feature]
    return support if isinstance(support, Refusal) else None


def check(job: Job) -> Iterator[Diagnostic]:
    used = features.uses(
        job.path, job.steps, job.deadline, job.dead_letter, job.rate_limit
    )
    for use in used:
        refused = refusal(job.engine, use.feature)
        if refused is not None:
            yield Diagnostic(
                f"{refused.message}; {runs_on(job)}", use.path, refused.hint
            )
