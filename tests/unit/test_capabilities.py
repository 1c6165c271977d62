"""The capability tables: each row drives both `engine: auto` and the refusal
of a job that names an engine which cannot run the feature."""

from __future__ import annotations

import textwrap

import pytest

from lichc.diagnostics import SpecError, format_key_path
from lichc.engines.registry import ENGINES, NAMES, engine
from lichc.plan.features import FEATURES, Refusal
from tests.support.plans import plan_of

# one small job per feature: the job, where it uses the feature, auto's reason
# (a single-step job's step is named after the job: `job`)
USES = {
    "more_steps": (
        "steps: [{run: m.x:a}, {run: m.x:b}]",
        "jobs.Job.steps",
        "it has 2 steps",
    ),
    "compensate": (
        "steps: [{run: m.x:a, compensate: {run: m.x:undo}}]",
        "jobs.Job.steps[0].compensate",
        "step a has a compensation",
    ),
    "wait_for": (
        "steps: [{run: m.x:a}, {name: w, wait_for: {signal: go}}, {run: m.x:b}]",
        "jobs.Job.steps[1].wait_for",
        "step w waits for signal 'go'",
    ),
    "sleep": (
        "steps: [{run: m.x:a}, {name: nap, sleep: 5m}, {run: m.x:b}]",
        "jobs.Job.steps[1].sleep",
        "step nap sleeps 5m",
    ),
    "conditional_sleep": (
        'steps: [{run: m.x:a}, {name: nap, sleep: 5m, if: "${input.n} > 1"}]\n'
        "    input: {n: int}",
        "jobs.Job.steps[1].if",
        "step nap sleeps only if ${input.n} > 1",
    ),
    "heartbeat": (
        "run: m.x:a\n    heartbeat: 10s",
        "jobs.Job.heartbeat",
        "step job heartbeats",
    ),
    "long_timeout": (
        "run: m.x:a\n    timeout: 2h",
        "jobs.Job.timeout",
        "its timeout of 2h is over 1h",
    ),
    "jitter": (
        "run: m.x:a\n    retry: {jitter: true}",
        "jobs.Job.retry.jitter",
        "step job retries with jitter",
    ),
    "soft_timeout": (
        "run: m.x:a\n    soft_timeout: 1m",
        "jobs.Job.soft_timeout",
        "step job has a soft_timeout",
    ),
    "dead_letter": (
        "run: m.x:a\n    dead_letter: {queue: failed}",
        "jobs.Job.dead_letter",
        "it has a dead_letter queue",
    ),
    "rate_limit": (
        "run: m.x:a\n    rate_limit: 10/s",
        "jobs.Job.rate_limit",
        "it has a rate_limit",
    ),
}


def spec(body: str, engine_name: str = "auto") -> str:
    return textwrap.dedent(
        """\
        version: 1
        jobs:
          Job:
            engine: {engine}
            {body}
        """
    ).format(engine=engine_name, body=body)


def test_every_feature_has_a_row_in_every_engine_table() -> None:
    assert set(USES) == set(FEATURES)
    for each in ENGINES:
        assert set(each.capabilities) == set(FEATURES), each.name


def test_the_registry_lists_the_engines_the_file_format_names() -> None:
    from typing import get_args

    from lichc.fileformat.models import Job

    allowed = get_args(Job.model_fields["engine"].annotation)
    assert set(allowed) == {*NAMES, "auto"}


@pytest.mark.parametrize("feature", FEATURES)
def test_auto_takes_the_first_engine_built_for_the_feature(feature: str) -> None:
    body, _, reason = USES[feature]
    job = plan_of(spec(body)).jobs[0]
    first = next(e for e in ENGINES if e.capabilities[feature] == "built_for")
    assert job.engine == first.name
    assert job.engine_auto
    if first is ENGINES[0]:
        assert job.engine_reason == (
            f"engine: auto chose {first.name} because {first.auto_reason}"
        )
    else:
        because = f"engine: auto chose {first.name} because "
        assert job.engine_reason.startswith(because)
        assert reason in job.engine_reason.removeprefix(because).split("; ")


@pytest.mark.parametrize(
    ("engine_name", "feature"),
    [(e.name, f) for e in ENGINES for f in FEATURES],
)
def test_a_refusal_points_at_the_key_with_the_engines_message(
    engine_name: str, feature: str
) -> None:
    body, where, _ = USES[feature]
    support = engine(engine_name).capabilities[feature]
    if not isinstance(support, Refusal):
        plan = plan_of(spec(body, engine_name))
        assert plan.jobs[0].engine == engine_name
        return
    with pytest.raises(SpecError) as raised:
        plan_of(spec(body, engine_name))
    found = [
        d for d in raised.value.diagnostics if d.message.startswith(support.message)
    ]
    assert len(found) == 1, raised.value.render()
    (diagnostic,) = found
    title = engine(engine_name).title
    assert diagnostic.message == (f"{support.message}; job Job runs on {title}")
    assert format_key_path(diagnostic.path) == where
    assert diagnostic.hint == support.hint


def test_auto_then_refused_says_why_auto_chose() -> None:
    """Compensate sends the job to Temporal, which cannot run jitter: the
    refusal tells why the job is on Temporal."""
    with pytest.raises(SpecError) as raised:
        plan_of(
            spec(
                "retry: {jitter: true}\n"
                "    steps: [{run: m.x:a, compensate: {run: m.x:undo}}]"
            )
        )
    (diagnostic,) = raised.value.diagnostics
    assert diagnostic.message == (
        "jitter is not supported by Temporal's retry policy; job Job runs on "
        "Temporal (engine: auto chose temporal because step a has a compensation)"
    )


def test_auto_reasons_are_told_in_order_once_each() -> None:
    job = plan_of(
        spec(
            "timeout: 3h\n"
            "    steps:\n"
            "      - {run: m.x:a, heartbeat: 1m, timeout: 2h, compensate: {run: m.x:u}}\n"
            "      - {name: nap, sleep: 10m}\n"
            "      - {run: m.x:b, timeout: 2h}"
        )
    ).jobs[0]
    assert job.engine_reason == (
        "engine: auto chose temporal because it has 3 steps; "
        "step a has a compensation; step nap sleeps 10m; step a heartbeats; "
        "its timeout of 2h is over 1h; its timeout of 3h is over 1h"
    )


def test_set_engine_is_explained() -> None:
    for each in ENGINES:
        job = plan_of(spec("run: m.x:a", each.name)).jobs[0]
        assert (job.engine, job.engine_auto) == (each.name, False)
        assert job.engine_reason == f"set by `engine: {each.name}`"


def test_auto_reads_the_tables_in_registry_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The rule is the tables': with the engines the other way round, a plain
    job goes to the first one, and a jitter job to the one built for jitter."""
    from lichc.engines import registry
    from lichc.plan import engine_choice, features

    monkeypatch.setattr(registry, "ENGINES", tuple(reversed(ENGINES)))
    first, second = registry.ENGINES
    plain = plan_of(spec("run: m.x:a")).jobs[0]
    used = features.uses(plain.path, plain.steps, None, None, None)
    assert engine_choice.choose("auto", used) == (
        first.name,
        f"engine: auto chose {first.name} because {first.auto_reason}",
    )
    jittery = plan_of(spec("run: m.x:a\n    retry: {jitter: true}", "celery")).jobs[0]
    used = features.uses(jittery.path, jittery.steps, None, None, None)
    assert engine_choice.choose("auto", used) == (
        second.name,
        f"engine: auto chose {second.name} because step job retries with jitter",
    )
