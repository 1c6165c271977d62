"""Named types on Celery (tests/e2e/specs/types_celery.yaml), on a real
worker process: an order (a model holding a list of models and an enum) goes
in through the typed client as the generated models, crosses the broker as
JSON and reaches each handler as those models again: a single-step job, a
chain step, and the elements of a for_each over a typed list."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lichc.engines.celery.servers import RedisServer
from tests.e2e import celery_support as cs

pytestmark = pytest.mark.e2e

SPEC = (Path(__file__).parent / "specs" / "types_celery.yaml").read_text()


@pytest.fixture(scope="module")
def typed(
    tmp_path_factory: pytest.TempPathFactory, redis: RedisServer
) -> Iterator[cs.Project]:
    folder = tmp_path_factory.mktemp("celery-types")
    with cs.served(
        folder, SPEC, "e2e_ctypes", redis, "ctypes", queues=["ctypes"]
    ) as proj:
        yield proj


def order(inputs: Any) -> Any:
    items = [inputs.OrderItem(sku="a", quantity=2), inputs.OrderItem(sku="b")]
    return inputs.Order(id="o-1", items=items, shipping=inputs.Shipping.express)


SEEN = {
    "order": "model Order",
    "shipping": "enum Shipping",
    "items": ["model OrderItem", "model OrderItem"],
    "quantities": 3,
    "back": {
        "id": "o-1",
        "items": [{"sku": "a", "quantity": 2}, {"sku": "b", "quantity": 1}],
        "shipping": "express",
    },
}


def test_a_nested_typed_input_reaches_the_handlers_as_models_and_enums(
    typed: cs.Project,
) -> None:
    inputs = typed.module("inputs")
    single = typed.client.start_describe(order=order(inputs))
    assert single.get(timeout=60) == SEEN

    lines = [inputs.OrderItem(sku="x"), inputs.OrderItem(sku="y", quantity=5)]
    result = typed.client.start_fulfil(order=order(inputs), lines=lines)
    steps = result.get(timeout=60)
    assert steps["describe"] == SEEN
    # each element a model; the enum input with its default (express)
    assert steps["lines"] == [
        {"line": "model OrderItem", "sku": "x", "speed": "enum Shipping"},
        {"line": "model OrderItem", "sku": "y", "speed": "enum Shipping"},
    ]


def test_a_declared_named_result_type_comes_back_typed(typed: cs.Project) -> None:
    inputs = typed.module("inputs")
    receipt = typed.client.run_receive(order=order(inputs), timeout=60)
    assert receipt == inputs.Receipt(id="o-1", speed=inputs.Shipping.express, count=2)
    assert isinstance(receipt, inputs.Receipt)
    assert receipt.speed is inputs.Shipping.express


def test_the_client_refuses_a_value_its_type_does_not_take(typed: cs.Project) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="shipping"):
        typed.client.start_describe(
            order={"id": "o-2", "items": [], "shipping": "overnight"}
        )
