"""A handler's `context` parameter (docs/handlers.md): the rule that decides
who gets a JobContext (the project's context.py), the build-time and
start-up checks that accept the parameter, and how each engine's runtime
builds the object (Celery from the task's request, Temporal from
activity.info()), tested where they are written."""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import logging
import sys
import types
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from temporalio.testing import ActivityEnvironment

from lichc.engines.temporal.runtime import activity_support as acts
from lichc.plan import handlers as build_check
from lichc.render.package.runtime import context as ctx
from tests.snapshots import GOLDEN, render_case_into
from tests.support.plans import plan_of

# -- the rule ---------------------------------------------------------------------


def positional(key: str, context: Any) -> None: ...
def keyword_only(key: str, *, context: Any = None) -> None: ...
def positional_only(context: Any, /) -> None: ...
def any_keywords(key: str, **kwargs: Any) -> None: ...
def without(key: str) -> None: ...


def test_a_handler_declaring_context_takes_one_unless_an_argument_fills_it() -> None:
    assert ctx.takes_context(positional, ("key",))
    assert ctx.takes_context(keyword_only, ("key",))
    assert not ctx.takes_context(positional, ("key", "context"))  # jobs.yaml wins
    assert not ctx.takes_context(positional_only, ())  # cannot be passed by name
    assert not ctx.takes_context(any_keywords, ("key",))  # declares no `context`
    assert not ctx.takes_context(without, ("key",))
    assert not ctx.takes_context(print, ())  # a signature it cannot read: none


def test_the_context_is_frozen() -> None:
    made = ctx.JobContext(
        job="J",
        step=None,
        run_id="r",
        attempt=1,
        scheduled_at=None,
        logger=logging.getLogger("j"),
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.attempt = 2  # type: ignore[misc]


# -- the build-time check (plan/handlers.py) --------------------------------------

SPEC = """
    version: 1
    jobs:
      Ship:
        engine: temporal
        input: {key: str}
        steps:
          - {name: takes, run: "{module}:takes"}
          - {name: optional, run: "{module}:optional"}
          - {name: filled, run: "{module}:takes", args: {key: "${input.key}", context: x}}
          - {name: lacks, run: "{module}:lacks"}
          - {name: posonly, run: "{module}:posonly"}
"""
HANDLERS = """
def takes(key, context): ...
def optional(key, *, context=None): ...
def lacks(key, context, warehouse): ...
def posonly(context, /, key): ...
"""


def test_the_build_check_accepts_context_and_still_reports_mismatches(
    tmp_path: Path,
) -> None:
    module = f"ctx_handlers_{tmp_path.name}".replace("-", "_")
    (tmp_path / f"{module}.py").write_text(HANDLERS, encoding="utf-8")
    plan = plan_of(SPEC.replace("{module}", module))
    found = [(d.path, d.message) for d in build_check.check(plan, tmp_path)]
    assert found == [
        (
            ("jobs", "Ship", "steps", 3, "run"),
            f"{module}:lacks needs argument 'warehouse', which the job never passes",
        ),
        (
            ("jobs", "Ship", "steps", 4, "run"),
            f"{module}:posonly needs argument 'context', which the job never passes",
        ),
    ]


# -- the worker's start-up check (package/templates/handlers.py.jinja) ------------


@pytest.fixture(scope="module")
def trips(tmp_path_factory: pytest.TempPathFactory) -> Iterator[types.ModuleType]:
    output = render_case_into(tmp_path_factory.mktemp("saga"), GOLDEN / "temporal-saga")
    sys.path.insert(0, str(output))
    try:
        yield importlib.import_module("trips.handlers")
    finally:
        sys.path.remove(str(output))
        for name in [n for n in sys.modules if n == "trips" or n.startswith("trips.")]:
            del sys.modules[name]


def test_the_start_up_check_accepts_context(trips: types.ModuleType) -> None:
    def lacks(key: str, context: Any, warehouse: str) -> None: ...

    assert trips.Handler("m:f", positional, ("key",)).problem() is None
    assert trips.Handler("m:f", keyword_only, ("key",)).problem() is None
    assert trips.Handler("m:f", positional, ("key", "context")).problem() is None
    problem = trips.Handler("m:lacks", lacks, ("key",)).problem()
    assert problem is not None
    assert "warehouse" in problem


# -- Temporal: given_context and activity.info() ----------------------------------


def test_temporal_handlers_without_context_are_called_as_they_are() -> None:
    assert acts.given_context(without, ("key",)) is without
    assert acts.given_context(positional, ("key", "context")) is positional


def test_temporal_builds_the_context_from_the_activity_info() -> None:
    env = ActivityEnvironment()
    scheduled = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    env.info = dataclasses.replace(
        env.info,
        activity_type="process_order.charge.compensate",
        workflow_type="ProcessOrder",
        workflow_id="order-1",
        attempt=2,
        current_attempt_scheduled_time=scheduled,
    )
    seen: list[Any] = []

    def handler(key: str, context: Any) -> str:
        seen.append(context)
        return key

    async def async_handler(key: str, *, context: Any) -> str:
        seen.append(context)
        return key

    given = acts.given_context(handler, ("key",))
    assert env.run(given, key="k") == "k"
    given_async = acts.given_context(async_handler, ("key",))
    assert asyncio.run(env.run(given_async, key="a")) == "a"
    assert acts.shaped(async_handler, "sync", "async") == "async"
    first, second = seen
    assert first == dataclasses.replace(second)
    assert isinstance(first, ctx.JobContext)
    assert (first.job, first.step, first.run_id, first.attempt) == (
        "ProcessOrder",
        "charge",
        "order-1",
        2,
    )
    assert first.scheduled_at == scheduled
    assert isinstance(first.logger, logging.LoggerAdapter)

    env.info = dataclasses.replace(env.info, activity_type="send_email")
    env.run(given, key="k")
    assert seen[-1].step is None  # a single-step job's activity


# -- Celery: chain.call inside an attempt ---------------------------------------


@pytest.fixture
def celery_context(
    runtime: types.ModuleType, monkeypatch: pytest.MonkeyPatch
) -> types.ModuleType:
    """The runtime (its spec takes context.py from this tree, conftest.py),
    with a step's task among the handler tasks."""
    tasks = {"rt.steps.charge": ("Steps", "charge")}
    monkeypatch.setattr(runtime.spec, "HANDLER_TASKS", tasks)
    return runtime


def test_the_spec_names_the_job_and_step_of_each_handler_task(
    runtime: types.ModuleType,
) -> None:
    assert runtime.spec.HANDLER_TASKS == {
        "rt.brief": ("Brief", None),
        "rt.kept": ("Kept", None),
    }


def test_celery_passes_the_context_of_the_running_attempt(
    celery_context: types.ModuleType, app: Any
) -> None:
    runtime = celery_context

    @app.task(bind=True, base=runtime.JobTask, name="rt.steps.charge", policy=None)
    def task(self: Any) -> None:
        return None

    seen: list[Any] = []

    def handler(key: str, context: Any) -> str:
        seen.append(context)
        return key

    chain_context = runtime.new_context({"key": "k"}, None, run="run-1")
    eta = "2026-01-02T03:04:05+00:00"
    task.push_request(id="task-1", retries=1, eta=eta, args=[chain_context])
    try:
        outside: list[Any] = []
        runtime.call(lambda key, context=None: outside.append(context), key="k")
        assert outside == [None]  # outside an attempt, none is made
        with task.attempt():
            assert runtime.call(handler, key="k") == "k"
            assert runtime.call(handler, key="k", context="mine") == "k"
    finally:
        task.pop_request()
    made, mine = seen[-2:]
    assert mine == "mine"  # an argument called `context` wins
    assert (made.job, made.step, made.run_id, made.attempt) == (
        "Steps",
        "charge",
        "run-1",  # the chain's run id
        2,
    )
    assert made.scheduled_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert made.logger.name == "rt.steps.charge"


def test_celery_dates_a_first_attempt_by_its_send(
    celery_context: types.ModuleType,
) -> None:
    from celery.app.task import Context

    scheduled_at = celery_context.job_context.scheduled_at
    sent = datetime(2026, 1, 2, tzinfo=UTC)
    first = Context({"retries": 0, "eta": None, "lichc_first_due": sent.timestamp()})
    assert scheduled_at(first) == sent
    assert scheduled_at(Context({"retries": 2, "eta": None})) is None
    naive = Context({"retries": 1, "eta": "2026-01-02T00:00:00"})
    assert scheduled_at(naive) == sent
