"""Record histories of the example's Temporal jobs, for the replay test.

    python -m tests.histories.record

Runs each scenario of the seed on Temporal's time-skipping test server with
the checked-in generated/ code and the example's handlers, and writes each
run's history to tests/histories/<Job>.v<N>.<scenario>.json, N the job's
newest version in generated/lichc.versions.json. Commit the files: the
histories of earlier versions stay, and tests/e2e/test_recorded_histories.py
replays every one against the workflows generated now. Record again after an
edit that makes a new version; delete a version's files once it is retired.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowFailureError

from harness import ROOT
from tests.support.temporal import time_skipping_server, wait_for_step

HERE = Path(__file__).resolve().parent
GENERATED = ROOT / "generated"

Scenario = Callable[[Any, Any, Any], Awaitable[Any]]


async def approved(server: Any, client_mod: Any, order: str) -> Any:
    client = server.client
    handle = await client_mod.start_process_order(
        client, order_id=order, amount=25.0, email="ann@example.com"
    )
    await wait_for_step(client_mod.status_process_order, client, handle.id, "approval")
    await client_mod.signal_process_order_approve(client, handle.id, {"by": "bob"})
    await handle.result()
    return handle


async def timed_out(server: Any, client_mod: Any, order: str) -> Any:
    handle = await client_mod.start_process_order(
        server.client, order_id=order, amount=12.5, email="late@example.com"
    )
    with contextlib.suppress(WorkflowFailureError):
        await handle.result()  # the 3-day approval wait times out: compensated
    return handle


async def onboarding_week(server: Any, client_mod: Any, user: str) -> Any:
    client = server.client
    handle = await client_mod.start_user_onboarding(
        client, user_id=user, email="new@example.com"
    )
    status = client_mod.status_user_onboarding
    await wait_for_step(status, client, handle.id, "wait_1d")
    await server.env.sleep(timedelta(days=1, hours=1))
    await handle.result()
    return handle


SCENARIOS: dict[str, tuple[str, Scenario]] = {
    "approved": ("ProcessOrder", approved),
    "approval-timeout": ("ProcessOrder", timed_out),
    "onboarding-week": ("UserOnboarding", onboarding_week),
}


def newest_versions() -> dict[str, int]:
    record = json.loads((GENERATED / "lichc.versions.json").read_text())
    return {
        name: job["versions"][-1]["version"]
        for name, job in record["jobs"].items()
        if job.get("versions")
    }


def main() -> int:
    sys.path[:0] = [str(GENERATED), str(ROOT)]
    os.environ.setdefault("SHOP_OUTBOX", tempfile.mkdtemp(prefix="shop-outbox-"))
    import shop.temporal_client as client_mod
    import shop.temporal_worker as worker

    versions = newest_versions()
    with time_skipping_server() as server:

        async def record() -> list[Path]:
            written = []
            async with worker.running(server.client):
                for scenario, (job, run) in SCENARIOS.items():
                    handle = await run(server, client_mod, uuid.uuid4().hex[:10])
                    history = await handle.fetch_history()
                    path = HERE / f"{job}.v{versions[job]}.{scenario}.json"
                    path.write_text(history.to_json() + "\n", encoding="utf-8")
                    written.append(path)
            return written

        for path in server.run(record()):
            print(f"wrote {path.relative_to(ROOT)}")
    sys.stdout.flush()
    os._exit(0)  # the Temporal runtime can crash CPython's teardown


if __name__ == "__main__":
    raise SystemExit(main())
