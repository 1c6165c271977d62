"""Named types on Temporal (tests/e2e/specs/types_temporal.yaml), on the
session's dev server: an order (a model holding a list of models and an enum)
goes in through the typed client, crosses the server as JSON through the
pydantic data converter, and reaches each activity's handler as the generated
models again (a single-step job, a step, the elements of a for_each over a
typed list); a signal's payload named by an object type is answered with the
type's fields, its enum typed."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from tests.e2e.test_celery_types import SEEN, order
from tests.support.temporal import Server, wait_for_step

pytestmark = pytest.mark.e2e

Project = dict[str, ModuleType]


def test_a_nested_typed_input_reaches_the_handlers_as_models_and_enums(
    temporal: Server, ttypes: Project
) -> None:
    client_mod, worker, inputs = (
        ttypes["temporal_client"],
        ttypes["temporal_worker"],
        ttypes["inputs"],
    )
    lines = [inputs.OrderItem(sku="x"), inputs.OrderItem(sku="y", quantity=5)]

    async def scenario() -> tuple[Any, Any, Any]:
        client = temporal.client
        async with worker.running(client):
            single = await client_mod.run_describe(client, order=order(inputs))
            receipt = await client_mod.run_receive(client, order=order(inputs))
            handle = await client_mod.start_fulfil(
                client, order=order(inputs), lines=lines
            )
            await wait_for_step(client_mod.status_fulfil, client, handle.id, "approval")
            await client_mod.answer_fulfil_approve(
                client, handle.id, by="ana", level=inputs.Shipping.express
            )
            return single, receipt, await handle.result()

    single, receipt, steps = temporal.run(scenario())
    # a declared `result: Receipt` comes back as the model, its enum typed
    assert receipt == inputs.Receipt(id="o-1", speed=inputs.Shipping.express, count=2)
    assert receipt.speed is inputs.Shipping.express
    assert single == SEEN
    assert steps["describe"] == SEEN
    assert steps["lines"] == [
        {"line": "model OrderItem", "sku": "x", "speed": "enum Shipping"},
        {"line": "model OrderItem", "sku": "y", "speed": "enum Shipping"},
    ]
    assert steps["approval"] == {"by": "ana", "level": "express"}
