"""The generated clients' start options are typed for their users: a user's
module that calls both engines' clients of tests/e2e/specs/start_options.yaml
with every option passes `mypy --strict`, and a second one whose every marked
line is a wrong call fails exactly on those lines (the check bites)."""

from __future__ import annotations

from pathlib import Path

from harness.cli import build
from tests.support.user_typing import marked_wrong, mypy_errors

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "tests/e2e/specs/start_options.yaml"

GOOD = """\
from __future__ import annotations

from datetime import timedelta
from typing import Any

from celery.result import AsyncResult
from temporalio.client import Client, WorkflowHandle
from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
)

from e2e_start import celery_client, temporal_client
from e2e_start.temporal_workflows import GreetWorkflow

ATTRIBUTES = TypedSearchAttributes(
    [SearchAttributePair(SearchAttributeKey.for_keyword("CustomKeywordField"), "v")]
)


async def temporal(client: Client) -> None:
    handle: WorkflowHandle[GreetWorkflow, Any] = await temporal_client.start_greet(
        client,
        name="ana",
        id="greet-1",
        queue="elsewhere",
        delay=timedelta(seconds=1),
        memo={"by": "test"},
        search_attributes=ATTRIBUTES,
    )
    print(handle.id)
    await temporal_client.run_order(client, order_id="7", id="order-7", delay=None)
    await temporal_client.start_named(
        client,
        id="a field",
        queue="a field",
        delay=1,
        memo="a field",
        connect="a field",
        client="a field",
        id_="named-1",
        queue_="elsewhere",
        delay_=timedelta(seconds=2),
        memo_={"k": 1},
        search_attributes=ATTRIBUTES,  # no field is named so
    )


def temporal_sync() -> None:
    started: temporal_client.Started = temporal_client.start_greet_sync(
        name="bo", id="greet-2", queue="q", delay=timedelta(seconds=1)
    )
    workflow_id: str = started.workflow_id
    run_id: str | None = started.run_id
    print(workflow_id, run_id, temporal_client.run_order_sync(order_id="8"))
    status = temporal_client.run_sync(
        lambda client: temporal_client.status_greet(client, workflow_id)
    )
    print(status)


def celery() -> None:
    result: AsyncResult[Any] = celery_client.start_stamp(
        key="k", id="stamp-1", queue="elsewhere", delay=timedelta(seconds=1)
    )
    celery_client.start_claim(key="k", id="claim-k")
    celery_client.start_chain(key="k", id="chain-1", queue="q", delay=None)
    celery_client.start_fields(
        id="f", queue="f", delay=3, id_="fields-1", queue_="q", delay_=timedelta(0)
    )
    print(result.id)
"""

BAD = """\
from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio.client import Client

from e2e_start import celery_client, temporal_client


async def temporal(client: Client) -> None:
    await temporal_client.start_greet(client, name="a", delay=5)  # wrong
    await temporal_client.start_greet(client, name="a", queue=None)  # wrong
    await temporal_client.start_greet(client, name="a", id=7)  # wrong
    await temporal_client.start_greet(client, name="a", memo=["x"])  # wrong
    await temporal_client.start_greet(client, name="a", search_attributes={})  # wrong
    await temporal_client.start_named(client, id="x", queue="q", delay=1, memo="m", connect="c", client="c", id_=1)  # wrong


def sync() -> None:
    handle: Any = temporal_client.start_greet_sync(name="a").result()  # wrong
    temporal_client.run_greet_sync(name="a", delay=1.5)  # wrong


def celery() -> None:
    celery_client.start_stamp(key="k", memo={})  # wrong
    celery_client.start_stamp(key="k", delay=2)  # wrong
    celery_client.start_fields(id="f", queue="q", delay=timedelta(1))  # wrong
"""


def test_start_options_type_check_for_users_and_wrong_calls_fail(
    tmp_path: Path,
) -> None:
    output = build(tmp_path / "project", SPEC.read_text(encoding="utf-8"))
    users = tmp_path / "users"
    users.mkdir()
    (users / "good_user.py").write_text(GOOD, encoding="utf-8")
    (users / "bad_user.py").write_text(BAD, encoding="utf-8")
    errors, report = mypy_errors(users, [output])
    assert "good_user" not in errors, report
    assert errors.get("bad_user") == marked_wrong(BAD), report
