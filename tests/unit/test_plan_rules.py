"""The plan rules that moved with the re-layering: the engine-specific ones
now in engines/<e>/rules.py, and the cross-key ones that ask the registry."""

from __future__ import annotations

import textwrap

import pytest

from lichc.diagnostics import Diagnostic, SpecError, format_key_path
from tests.support.plans import plan_of


def errors(yaml_text: str) -> list[Diagnostic]:
    with pytest.raises(SpecError) as raised:
        plan_of(yaml_text)
    return raised.value.diagnostics


def only(yaml_text: str) -> tuple[str, str, str | None]:
    """The one error of a spec: (key path, message, hint)."""
    (found,) = errors(yaml_text)
    return format_key_path(found.path), found.message, found.hint


def job(body: str, engine: str = "celery", head: str = "") -> str:
    return (
        textwrap.dedent(head)
        + textwrap.dedent(
            """\
        version: 1
        jobs:
          Job:
            engine: {engine}
        """
        ).format(engine=engine)
        + textwrap.indent(textwrap.dedent(body), "    ")
    )


# -- Celery ----------------------------------------------------------------------------


def test_celery_sleep_over_an_hour() -> None:
    where, message, hint = only(
        job("steps: [{run: m.x:a}, {name: nap, sleep: 2h}, {run: m.x:b}]")
    )
    assert where == "jobs.Job.steps[1].sleep"
    assert message == "a Celery sleep is a countdown and may be at most 1h (got 2h)"
    assert hint == (
        "long countdowns sit in the broker; use `engine: temporal` for durable timers"
    )


def test_celery_consecutive_sleeps_are_one_countdown() -> None:
    where, message, _ = only(
        job(
            """\
            steps:
              - {run: m.x:a}
              - {name: one, sleep: 40m}
              - {name: two, sleep: 30m}
              - {run: m.x:b}
            """
        )
    )
    assert where == "jobs.Job.steps[2].sleep"
    assert message == (
        "consecutive Celery sleeps one, two are one countdown of 1h10m "
        "(40m + 30m), and it may be at most 1h"
    )


def test_celery_sleeps_within_the_limit_pass() -> None:
    plan = plan_of(
        job(
            "steps: [{run: m.x:a}, {name: a2, sleep: 30m}, {name: a3, sleep: 30m}, {run: m.x:b}]"
        )
    )
    assert plan.jobs[0].engine == "celery"


def test_celery_trailing_sleep() -> None:
    where, message, hint = only(job("steps: [{run: m.x:a}, {name: nap, sleep: 1m}]"))
    assert where == "jobs.Job.steps[1].sleep"
    assert message.startswith("sleep nap has no following step")
    assert hint == "remove it, or add a step after it"


def test_celery_chain_needs_a_run_step() -> None:
    where, message, _ = only(job("steps: [{name: nap, sleep: 1m}]"))
    assert where == "jobs.Job.steps"
    assert message == (
        "job Job has no step that runs a handler, and a Celery chain needs at least one"
    )


def test_celery_settings_must_be_redis_urls() -> None:
    where, message, _ = only(
        job("run: m.x:a", head="celery: {broker: 'amqp://localhost'}\n")
    )
    assert (where, message) == (
        "celery.broker",
        "'amqp://localhost' is not a Redis URL",
    )


# -- Temporal --------------------------------------------------------------------------


def test_temporal_rate_limit_needs_a_queue_of_its_own() -> None:
    spec = textwrap.dedent(
        """\
        version: 1
        jobs:
          Job: {engine: temporal, run: m.x:a, rate_limit: 5/s}
          Other: {engine: celery, run: m.x:b}
        """
    )
    where, message, _ = only(spec)
    assert where == "jobs.Job.rate_limit"
    assert message == (
        "rate_limit on Temporal limits a whole task queue, and jobs Other also use "
        "queue 'default'; job Job runs on Temporal"
    )


def test_temporal_rate_limit_with_steps_leaving_the_queue() -> None:
    where, message, _ = only(
        job(
            """\
            rate_limit: 5/s
            queue: limited
            steps: [{run: m.x:a}, {run: m.x:b, queue: other}]
            """,
            engine="temporal",
        )
    )
    assert where == "jobs.Job.rate_limit"
    assert "and steps b leave queue 'limited'" in message


def test_temporal_on_timeout_without_timeout() -> None:
    where, message, hint = only(
        job(
            "steps: [{run: m.x:a}, {name: w, wait_for: {signal: go, on_timeout: continue}}]",
            engine="temporal",
        )
    )
    assert where == "jobs.Job.steps[1].wait_for.on_timeout"
    assert message == "on_timeout: continue has no effect without a timeout"
    assert hint == "add wait_for.timeout, or remove on_timeout"


def test_temporal_api_key_from_the_environment_only() -> None:
    where, message, _ = only(
        job("run: m.x:a", "temporal", head="temporal: {api_key: 'secret'}\n")
    )
    assert where == "temporal.api_key"
    assert message.startswith("api_key must be read from the environment")


# -- cross-key rules that ask the registry -------------------------------------------------


def test_workflow_class_clash_only_between_temporal_jobs() -> None:
    two = """\
        version: 1
        jobs:
          Foo: {{engine: {engine}, run: m.x:a}}
          FooWorkflow: {{engine: {engine}, run: m.x:b}}
        """
    assert len(plan_of(two.format(engine="celery")).jobs) == 2
    where, message, _ = only(two.format(engine="temporal"))
    assert where == "jobs.FooWorkflow"
    assert message == (
        "jobs 'Foo' and 'FooWorkflow' would both have the workflow class "
        "'FooWorkflow' in generated code"
    )


def test_dead_letter_queues_agree_on_retention() -> None:
    where, message, _ = only(
        """\
        version: 1
        jobs:
          A: {run: m.x:a, dead_letter: {queue: failed, retention: 1d}}
          B: {run: m.x:b, dead_letter: {queue: failed, retention: 2d}}
        """
    )
    assert where == "jobs.B.dead_letter"
    assert message.startswith("dead-letter queue 'failed' keeps records for 1d (job A)")


def test_an_inherited_refusal_is_said_once() -> None:
    """jitter in defaults.retry breaks every step of a Temporal job at one place."""
    found = errors(
        """\
        version: 1
        defaults: {retry: {jitter: true}}
        jobs:
          Job: {engine: temporal, steps: [{run: m.x:a}, {run: m.x:b}]}
        """
    )
    assert [format_key_path(d.path) for d in found] == ["defaults.retry.jitter"]
