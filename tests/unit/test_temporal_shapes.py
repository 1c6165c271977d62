"""The generated activities' shape choice and the start-up handler check,
on the temporal-saga golden spec's output (rendered now), imported as a module."""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.snapshots import GOLDEN, render_case_into


@pytest.fixture(scope="module")
def saga_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_case_into(tmp_path_factory.mktemp("saga"), GOLDEN / "temporal-saga")


@pytest.fixture(scope="module")
def trips(saga_output: Path) -> Iterator[dict[str, ModuleType]]:
    sys.path.insert(0, str(saga_output))
    try:
        yield {
            name: importlib.import_module(f"trips.{name}")
            for name in ("temporal_activities", "handlers")
        }
    finally:
        sys.path.remove(str(saga_output))
        for name in [n for n in sys.modules if n == "trips" or n.startswith("trips.")]:
            del sys.modules[name]


class AsyncCallable:
    async def __call__(self, order: str) -> dict[str, Any]:
        return {}


class SyncCallable:
    def __call__(self, order: str) -> dict[str, Any]:
        return {}


async def coroutine(order: str) -> dict[str, Any]:
    return {}


def function(order: str) -> dict[str, Any]:
    return {}


async def async_generator(order: str) -> AsyncIterator[int]:
    yield 1


def generator(order: str) -> Iterator[int]:
    yield 1


@pytest.mark.parametrize(
    ("handler", "shape"),
    [
        (coroutine, "async"),
        (AsyncCallable(), "async"),
        (function, "sync"),
        (SyncCallable(), "sync"),
    ],
)
def test_shaped_picks_async_for_what_temporal_runs_as_async(
    trips: dict[str, ModuleType], handler: Any, shape: str
) -> None:
    assert trips["temporal_activities"].shaped(handler, "sync", "async") == shape


@pytest.mark.parametrize("handler", [generator, async_generator])
def test_start_up_check_refuses_generator_handlers(
    trips: dict[str, ModuleType], handler: Any
) -> None:
    handlers = trips["handlers"]
    entry = handlers.Handler("tests.m:gen", handler, ("order",))
    problem = entry.problem()
    assert problem is not None
    assert "tests.m:gen" in problem
    assert "generator" in problem
    with pytest.raises(handlers.HandlerMismatch, match=r"tests\.m:gen"):
        handlers.check([entry])


def test_start_up_check_accepts_plain_and_callable_handlers(
    trips: dict[str, ModuleType],
) -> None:
    handlers = trips["handlers"]
    for handler in (function, coroutine, AsyncCallable(), SyncCallable()):
        assert handlers.Handler("tests.m:f", handler, ("order",)).problem() is None


def test_parallel_raises_the_failure_that_stopped_it_not_a_siblings(
    saga_output: Path,
) -> None:
    """A branch before the failing one in branch order fails too once
    cancelled: the failure raised is still the one that ended the step."""
    import asyncio

    sys.path.insert(0, str(saga_output))
    try:
        workflows = importlib.import_module("trips.temporal_workflows")
    finally:
        sys.path.remove(str(saga_output))

    async def sibling() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            raise ValueError("sibling, once cancelled") from None

    async def first() -> None:
        await asyncio.sleep(0)
        raise ValueError("the first failure")

    async def scenario() -> None:
        await workflows.JobRun("Race").parallel(sibling(), first())

    # in a thread of its own: the interpreter's recursion count of the main
    # thread stays untouched by the cancelled coroutines (CPython 3.11)
    raised: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(asyncio.wait_for(scenario(), 10))
        except BaseException as error:
            raised.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    assert [str(e) for e in raised] == ["the first failure"]
