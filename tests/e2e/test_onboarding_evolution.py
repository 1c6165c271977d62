"""The seed's onboarding week across two edits, on Temporal's time-skipping
test server (issue 12).

Run A starts on version 1 (the seed's week: day 0, sleep 1d, day 1, sleep
6d, check, summary) and sleeps its first day. Version 2 inserts a day-3 email
with its own sleep; run B starts there. Version 3 drops the activity check
(the summary no longer reads it); run C starts there. All three then sleep
through their days on version 3's worker in seconds of skipped time, and
each sends exactly the emails of its own version.

Each version's package is built into the same output folder (so its record
grows version by version) under a project name of its own, and copied aside,
so all three import in this process. The workers run here, one at a time,
without a workflow cache: the test server does not implement
ResetStickyTaskQueue, so a run cached by a stopped worker would wait on that
worker's sticky queue for ever (a real server moves it back to the task
queue after the sticky timeout; tests/e2e/test_temporal_edits.py restarts
real worker processes on the dev server).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import shutil
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from temporalio.worker import Worker

from harness.cli import run_lichc, write_spec
from tests.support.temporal import Server, wait_for_step

pytestmark = pytest.mark.e2e

EMAILS = "examples.shop.emails:send_onboarding_email"
ONBOARDING = "examples.shop.onboarding"


def day(n: int) -> str:
    return f'{{name: send_day_{n}, run: {EMAILS}, args: {{email: "${{input.email}}", day: {n}}}}}'


CHECK = f'{{name: check_activity, run: {ONBOARDING}:check_activity, args: {{user_id: "${{input.user_id}}"}}}}'
SUMMARY = (
    f"{{name: send_summary, run: {ONBOARDING}:send_summary, "
    'args: {email: "${input.email}", active: "${steps.check_activity.active}"}}'
)
PLAIN_SUMMARY = (
    f"{{name: send_summary, run: {ONBOARDING}:send_summary, "
    'args: {email: "${input.email}", active: true}}'
)
PROFILE = f"{{name: create_profile, run: {ONBOARDING}:create_profile}}"
WEEK_WITH_DAY_3 = [
    PROFILE,
    day(0),
    "{name: wait_1d, sleep: 1d}",
    day(1),
    "{name: wait_2d, sleep: 2d}",
    day(3),
    "{name: wait_6d, sleep: 4d}",
]
VERSIONS = {
    1: [
        PROFILE,
        day(0),
        "{name: wait_1d, sleep: 1d}",
        day(1),
        "{name: wait_6d, sleep: 6d}",
        CHECK,
        SUMMARY,
    ],
    # a day-3 email inserted
    2: [*WEEK_WITH_DAY_3, CHECK, SUMMARY],
    # then the activity check dropped
    3: [*WEEK_WITH_DAY_3, PLAIN_SUMMARY],
}
PATHS = {
    1: ["create_profile", "send_day_0", "send_day_1", "check_activity", "send_summary"],
    2: [
        "create_profile",
        "send_day_0",
        "send_day_1",
        "send_day_3",
        "check_activity",
        "send_summary",
    ],
    3: ["create_profile", "send_day_0", "send_day_1", "send_day_3", "send_summary"],
}


def spec(queue: str, version: int) -> str:
    steps = "".join(f"      - {s}\n" for s in VERSIONS[version])
    return f"""\
version: 1
project: {PROJECT}_v{version}
output: generated
jobs:
  UserOnboarding:
    engine: temporal
    queue: {queue}
    input: {{user_id: str, email: str}}
    timeout: 30d
    steps:
{steps}"""


PROJECT = "e2e_evo_onboarding"


def built(folder: Path, queue: str, version: int) -> tuple[type, list[Any]]:
    """Version `version` built into folder/generated and imported from a copy:
    its workflow class and its activities."""
    write_spec(folder, spec(queue, version))
    result = run_lichc("build", cwd=folder)
    assert result.code == 0, result.out + result.err
    package = f"{PROJECT}_v{version}"
    aside = folder / "versions" / f"v{version}"
    shutil.copytree(folder / "generated" / package, aside / package)
    sys.path.insert(0, str(aside))
    workflows = importlib.import_module(f"{package}.temporal_workflows")
    activities = importlib.import_module(f"{package}.temporal_activities")
    registered = [
        value
        for name, value in vars(activities).items()
        if hasattr(value, "__temporal_activity_definition")
        and not name.endswith(("_sync", "_async"))
    ]
    return workflows.UserOnboardingWorkflow, registered


def test_the_onboarding_week_survives_two_edits_under_runs_in_flight(
    skipping: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOP_OUTBOX", str(tmp_path / "outbox"))
    monkeypatch.setattr(sys, "path", list(sys.path))
    queue = f"onboarding-{uuid.uuid4().hex[:10]}"
    users = {v: f"u{v}-{uuid.uuid4().hex[:8]}" for v in VERSIONS}
    runs: dict[int, Any] = {}
    results: dict[int, Any] = {}

    async def scenario(version: int, workflow: type, activities: list[Any]) -> None:
        with ThreadPoolExecutor(4) as pool:
            async with Worker(
                skipping.client,
                task_queue=queue,
                workflows=[workflow],
                activities=activities,
                activity_executor=pool,
                max_cached_workflows=0,
            ):
                handle = await skipping.client.start_workflow(
                    "UserOnboarding",
                    {
                        "user_id": users[version],
                        "email": f"{users[version]}@example.com",
                    },
                    id=f"onboarding-{users[version]}",
                    task_queue=queue,
                )
                runs[version] = handle
                await wait_for_step(_status, skipping.client, handle.id, "wait_1d")
                if version < max(VERSIONS):
                    return
                # waiting on a result lets the test server skip to the next timer
                for v, run in runs.items():
                    results[v] = await asyncio.wait_for(run.result(), 120)

    for version in VERSIONS:
        workflow, activities = built(tmp_path, queue, version)
        skipping.run(scenario(version, workflow, activities))
    for version, result in results.items():
        assert list(result) == PATHS[version], (
            f"run started on version {version} went through {list(result)}"
        )
    sent: dict[str, list[int]] = {}
    for path in (tmp_path / "outbox").glob("onboarding-*.json"):
        message = json.loads(path.read_text())
        if "day" in message:
            sent.setdefault(message["to"], []).append(message["day"])
    days = {v: sorted(sent.get(f"{users[v]}@example.com", [])) for v in VERSIONS}
    assert days == {1: [0, 1], 2: [0, 1, 3], 3: [0, 1, 3]}


async def _status(client: Any, workflow_id: str) -> Any:
    """The generated status query's answer, as `status_x` returns it."""
    from types import SimpleNamespace

    answer = await client.get_workflow_handle(workflow_id).query("status")
    return SimpleNamespace(**answer) if isinstance(answer, dict) else answer
