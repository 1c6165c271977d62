"""The Temporal client's start options (tests/e2e/specs/start_options.yaml) on
the session's dev server: an explicit workflow id, a task queue override (a
worker of that queue alone runs the workflow; its activity stays on the
spec's queue), a start delay, memo and search attributes, all seen through
describe(); an explicit id that the job's `id` template contradicts; and the
synchronous wrappers called from a plain (non-async) test, refused inside a
running event loop."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
)
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Worker

from harness.cli import build
from harness.temporal import Server, import_project

pytestmark = pytest.mark.e2e

SPEC = Path(__file__).parent / "specs" / "start_options.yaml"
KEY = SearchAttributeKey.for_keyword("LichcStartKey")


async def registered(client: Client) -> None:
    """The search attribute KEY, registered in the namespace (once a session)."""
    request = AddSearchAttributesRequest(
        namespace=client.namespace,
        search_attributes={KEY.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD},
    )
    try:
        await client.operator_service.add_search_attributes(request)
    except RPCError as error:
        if error.status != RPCStatusCode.ALREADY_EXISTS:
            raise


@pytest.fixture(scope="module")
def starts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ModuleType]:
    return import_project(
        build(tmp_path_factory.mktemp("e2e_start"), SPEC), "e2e_start"
    )


def new_key() -> str:
    return uuid.uuid4().hex[:12]


def test_id_queue_delay_memo_and_search_attributes_reach_the_run(
    temporal: Server, starts: dict[str, ModuleType]
) -> None:
    client_mod, worker = starts["temporal_client"], starts["temporal_worker"]
    flows = starts["temporal_workflows"]
    key, other = new_key(), f"tother-{new_key()}"
    attributes = TypedSearchAttributes([SearchAttributePair(KEY, key)])

    async def scenario() -> tuple[Any, ...]:
        client = temporal.client
        await registered(client)
        # the spec's queue serves the activity; only `other` runs the workflow
        async with (
            worker.running(client),
            Worker(client, task_queue=other, workflows=[flows.GreetWorkflow]),
        ):
            handle = await client_mod.start_greet(
                client,
                name="ana",
                id=f"greet-{key}",
                queue=other,
                delay=timedelta(seconds=1),
                memo={"by": "test", "n": 1},
                search_attributes=attributes,
            )
            result = await handle.result()
            described = await handle.describe()
            return handle, result, described, await described.memo()

    handle, result, described, memo = temporal.run(scenario())
    assert handle.id == f"greet-{key}"
    assert result == {"name": "ana"}
    assert described.task_queue == other
    assert memo == {"by": "test", "n": 1}
    assert described.typed_search_attributes[KEY] == key
    # the first workflow task was due a second after the start request
    assert described.execution_time - described.start_time >= timedelta(seconds=0.9)


def test_an_id_the_template_contradicts_is_refused_before_starting(
    temporal: Server, starts: dict[str, ModuleType]
) -> None:
    client_mod = starts["temporal_client"]
    with pytest.raises(
        ValueError, match=r"'order-2' does not match .*'order-\{order_id\}'"
    ):
        temporal.run(
            client_mod.start_order(temporal.client, order_id="1", id="order-2")
        )


@contextmanager
def served(temporal: Server, worker: ModuleType) -> Iterator[None]:
    """The generated workers, polling on the server's loop while a plain
    (non-async) caller blocks in this thread."""
    stop = threading.Event()

    async def serve() -> None:
        async with worker.running(temporal.client):
            await asyncio.to_thread(stop.wait)

    running = asyncio.run_coroutine_threadsafe(serve(), temporal.loop.loop)
    try:
        yield
    finally:
        stop.set()
        running.result(60)


def test_the_sync_wrappers_run_without_an_event_loop(
    temporal: Server, starts: dict[str, ModuleType], monkeypatch: pytest.MonkeyPatch
) -> None:
    client_mod, worker = starts["temporal_client"], starts["temporal_worker"]
    monkeypatch.setenv("TEMPORAL_ADDRESS", temporal.address)
    key = new_key()
    with served(temporal, worker):
        result = client_mod.run_greet_sync(name="bo", id=f"sync-{key}")
        started = client_mod.start_order_sync(order_id=key)
        status = client_mod.run_sync(
            lambda client: client_mod.status_order(client, started.workflow_id)
        )
        again = client_mod.start_order_sync(order_id=key, id=f"order-{key}")
    assert result == {"name": "bo"}
    assert started.workflow_id == f"order-{key}"
    assert started.run_id
    assert again.workflow_id == started.workflow_id  # the same run, once per id
    assert status is not None

    async def inside_a_loop() -> Any:
        return client_mod.start_greet_sync(name="cy")

    with pytest.raises(RuntimeError, match="inside a running event loop"):
        temporal.run(inside_a_loop())
