"""Named types and declared results are typed for the generated clients'
users: a module that calls both engines' clients of the named-types e2e specs
with the generated models and enums passes `mypy --strict`, and one whose
marked lines pass a dict for a model, a str for an enum, or take a result as
another type fails on exactly those lines (docs/types.md)."""

from __future__ import annotations

from pathlib import Path

from harness.cli import build
from tests.support.user_typing import marked_wrong, mypy_errors

SPECS = Path(__file__).parent / "e2e" / "specs"

GOOD = """\
from __future__ import annotations

from temporalio.client import Client

from e2e_ctypes import celery_client
from e2e_ctypes import inputs as cinputs
from e2e_ttypes import inputs, temporal_client


def order() -> inputs.Order:
    items = [inputs.OrderItem(sku="a", quantity=2)]
    return inputs.Order(id="o", items=items, shipping=inputs.Shipping.express)


async def temporal(client: Client) -> inputs.Shipping:
    receipt: inputs.Receipt = await temporal_client.run_receive(client, order=order())
    handle = await temporal_client.start_fulfil(
        client, order=order(), lines=[], speed=inputs.Shipping.standard
    )
    await temporal_client.answer_fulfil_approve(
        client, handle.id, by="ana", level=inputs.Shipping.express
    )
    return receipt.speed


def celery() -> int:
    item = cinputs.OrderItem(sku="a")
    made = cinputs.Order(id="o", items=[item])
    receipt: cinputs.Receipt = celery_client.run_receive(order=made, timeout=5.0)
    celery_client.start_fulfil(order=made, lines=[item], speed=cinputs.Shipping.express)
    return receipt.count
"""

BAD = """\
from __future__ import annotations

from temporalio.client import Client

from e2e_ctypes import celery_client
from e2e_ctypes import inputs as cinputs
from e2e_ttypes import inputs, temporal_client


async def temporal(client: Client, made: inputs.Order) -> None:
    await temporal_client.run_receive(client, order={"id": "o", "items": []})  # wrong
    await temporal_client.start_fulfil(client, order=made, lines=[made])  # wrong
    await temporal_client.answer_fulfil_approve(client, "w", by="a", level="express")  # wrong
    count: int = await temporal_client.run_receive(client, order=made)  # wrong
    print(count)


def celery(made: cinputs.Order) -> None:
    celery_client.start_fulfil(order=made, lines=[], speed="express")  # wrong
    speed: str = celery_client.run_receive(order=made).count  # wrong
    print(speed)
"""


def test_named_types_and_results_type_check_for_users(tmp_path: Path) -> None:
    outputs = [
        build(tmp_path / name, (SPECS / f"{name}.yaml").read_text(encoding="utf-8"))
        for name in ("types_temporal", "types_celery")
    ]
    users = tmp_path / "users"
    users.mkdir()
    (users / "good_user.py").write_text(GOOD, encoding="utf-8")
    (users / "bad_user.py").write_text(BAD, encoding="utf-8")
    errors, report = mypy_errors(users, outputs)
    assert "good_user" not in errors, report
    assert errors.get("bad_user") == marked_wrong(BAD), report
