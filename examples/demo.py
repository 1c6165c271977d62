"""The example's four scenarios, on a running stack, through the generated client.

    lichc dev --then 'python -m examples.demo'

starts a private stack (Redis, Temporal dev server, the workers), runs this,
then stops the stack. Against a `lichc dev` already running on the usual
ports: `PYTHONPATH=generated python -m examples.demo`.

Everything goes through `shop.client`, the typed functions lichc generated
from jobs.yaml, exactly as an application would call them: nothing here
knows about Celery tasks or Temporal workflows beyond their handles.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from shop import client, inputs
from shop.temporal_workflows import JobStatus
from temporalio.client import Client, WorkflowFailureError

from examples.shop.images import make_sample_image

TIMEOUT = 60.0  # seconds for any one result; a shared CI machine can be slow


def show(label: str, value: Any) -> None:
    if isinstance(value, JobStatus):  # the `status` query's answer, on one line
        text = json.dumps(dataclasses.asdict(value))
    else:
        text = json.dumps(value, indent=2).replace("\n", "\n   ")
    print(f"   {label}: {text}")


def heading(text: str) -> None:
    print(f"\n== {text}", flush=True)


def welcome_email(run: str) -> None:
    heading("1. SendWelcomeEmail: Celery, queue emails, retries and a dead letter")
    result = client.start_send_welcome_email(email=f"ada.{run}@example.com")
    print(f"   start_send_welcome_email(...) -> task {result.id}")
    sent = result.get(timeout=TIMEOUT)
    show("result", sent)
    message = outbox() / f"welcome-{sent['message_id']}.json"
    print(f"   the message: {message}")


def image_resize(run: str) -> None:
    heading("2. ResizeImage: Celery, its own queue (images), rate limited")
    source = make_sample_image(str(outbox() / f"photo-{run}.ppm"), 64, 48)
    result = client.start_resize_image(image_path=source, width=32, height=24)
    print(f"   start_resize_image({Path(source).name}, 32x24) -> task {result.id}")
    show("result", result.get(timeout=TIMEOUT))

    print("   ResizeImages: a batch, four at a time (for_each), results in order:")
    batch = [
        make_sample_image(str(outbox() / f"batch-{run}-{n}.ppm"), 64, 48)
        for n in range(6)
    ]
    result = client.start_resize_images(image_paths=batch, width=16, height=12)
    resized = result.get(timeout=TIMEOUT)
    show("resized", [Path(r["path"]).name for r in resized])


async def process_order(temporal: Client, run: str) -> None:
    heading("3. ProcessOrder: Temporal, a saga that waits for a person's approval")
    # the lines are OrderItem models (jobs.yaml's `types:`), checked by the
    # client and handed to the handlers as models again
    items = [
        inputs.OrderItem(sku="mug", quantity=2, unit_price=12.5),
        inputs.OrderItem(sku="tea", unit_price=17.5),
    ]
    handle = await client.start_process_order(
        temporal,
        order_id=f"demo-{run}",
        amount=42.5,
        email=f"bob.{run}@example.com",
        items=items,
    )
    print(f"   start_process_order(...) -> workflow {handle.id}")
    waiting = await until_step(
        client.status_process_order, temporal, handle.id, "approval"
    )
    show("status while it waits", waiting)
    # an Update: it returns once the run has taken the answer, and raises
    # when the run refuses it (an invalid payload, not waiting, answered)
    print("   answer_process_order_approve(..., by='demo')")
    await client.answer_process_order_approve(temporal, handle.id, by="demo")
    show("result", await asyncio.wait_for(handle.result(), TIMEOUT))
    try:
        await client.answer_process_order_approve(temporal, handle.id, by="demo")
    except client.NotWaiting as refused:
        print(f"   answering it again is refused: {refused}")

    print("   An order that fails validation ends early, completed with a reason:")
    invalid = await client.start_process_order(
        temporal,
        order_id=f"demo-{run}-invalid",
        amount=0,
        email=f"bob.{run}@example.com",
    )
    show("result", await asyncio.wait_for(invalid.result(), TIMEOUT))

    print("   An approval that says no undoes the charge and the stock, then fails:")
    rejected = await client.start_process_order(
        temporal, order_id=f"demo-{run}-no", amount=12.0, email=f"bob.{run}@example.com"
    )
    await until_step(client.status_process_order, temporal, rejected.id, "approval")
    print("   signal_process_order_approve(..., {'approved': False, 'by': 'demo'})")
    await client.signal_process_order_approve(
        temporal, rejected.id, {"approved": False, "by": "demo"}
    )
    try:
        await asyncio.wait_for(rejected.result(), TIMEOUT)
    except WorkflowFailureError as failure:
        print(f"   failed: {failure.cause}")
    show("status", await client.status_process_order(temporal, rejected.id))

    print("   A cancelled order is undone too, then ends cancelled:")
    dropped = await client.start_process_order(
        temporal,
        order_id=f"demo-{run}-cancel",
        amount=8.0,
        email=f"bob.{run}@example.com",
    )
    await until_step(client.status_process_order, temporal, dropped.id, "approval")
    print(
        "   cancel_process_order(...)  (`lichc cancel ProcessOrder ID` does the same)"
    )
    await client.cancel_process_order(temporal, dropped.id)
    try:
        await asyncio.wait_for(dropped.result(), TIMEOUT)
    except WorkflowFailureError as failure:
        print(f"   ended: {failure.cause}")
    show("status", await client.status_process_order(temporal, dropped.id))


async def user_onboarding(temporal: Client, run: str) -> None:
    heading("4. UserOnboarding: Temporal, a week of emails with durable sleeps")
    handle = await client.start_user_onboarding(
        temporal, user_id=f"demo-{run}", email=f"cy.{run}@example.com"
    )
    print(f"   start_user_onboarding(...) -> workflow {handle.id}")
    asleep = await until_step(
        client.status_user_onboarding, temporal, handle.id, "wait_1d"
    )
    show("status", asleep)
    print(
        "   The day-0 email is sent and the workflow now sleeps for a day (then six\n"
        "   more) in a durable Temporal timer. A real server cannot finish that in a\n"
        "   demo and this demo does not pretend to: it shows where the job is. Under\n"
        "   `lichc dev` the timer survives restarts (history in .lichc-dev/); with\n"
        "   `lichc dev --then` the private stack, and this run, end with the demo.\n"
        "   The whole week runs in seconds on Temporal's time-skipping test server:\n"
        "   tests/e2e/test_temporal_time_skipping.py."
    )


async def until_step(
    status: Callable[[Client, str], Awaitable[JobStatus]],
    temporal: Client,
    workflow_id: str,
    step: str,
) -> JobStatus:
    """Ask the workflow's `status` query until it is at `step`."""
    deadline = asyncio.get_running_loop().time() + TIMEOUT
    while True:
        current = await status(temporal, workflow_id)
        if current.current == step:
            return current
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"{workflow_id} did not reach {step}: {current}")
        await asyncio.sleep(0.1)


def outbox() -> Path:
    """Where the example's email handlers write (SHOP_OUTBOX, default ./.outbox)."""
    folder = Path(os.environ.get("SHOP_OUTBOX", ".outbox")).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def temporal_scenarios(run: str) -> None:
    temporal = await client.connect()
    await process_order(temporal, run)
    await user_onboarding(temporal, run)


def main() -> int:
    run = uuid.uuid4().hex[:8]  # ids of their own, so the demo can run again
    print(f"The example shop's four scenarios (run {run}), through shop.client")
    welcome_email(run)
    image_resize(run)
    asyncio.run(temporal_scenarios(run))
    heading(f"done: 2 Celery tasks and 2 Temporal workflows; files in {outbox()}")
    return 0


if __name__ == "__main__":
    code = main()
    # A short-lived Temporal client can crash CPython's teardown (SIGABRT,
    # temporalio/sdk-python#300): the demo is done, so exit without it.
    sys.stdout.flush()
    os._exit(code)
