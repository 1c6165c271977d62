"""Schedules on real Redis and a real worker: every tick is a run of its own
(a job's `id` included), and a tick due while the previous one runs is skipped.

Ticks are sent the way `celery beat` sends them: the app's beat_scheduler
(JobScheduler) is built from its config, and each due entry goes through
`reserve` and `apply_entry`, as `Scheduler.tick` does, with the entry's
last run set so that each tick has a known scheduled time.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from celery.utils.imports import symbol_by_name

from lichc.devstack.servers import wait_until
from lichc.engines.celery.servers import RedisServer
from tests.e2e import celery_support as cs
from tests.e2e.handlers import celery_jobs as handlers

pytestmark = pytest.mark.e2e

RESULT_TIMEOUT = 60
KEY = uuid.uuid4().hex[:10]
CHAIN_KEY = uuid.uuid4().hex[:10]
SPEC = f"""
version: 1
project: e2e_beat
jobs:
  Daily:
    engine: celery
    id: daily-{{key}}
    run: tests.e2e.handlers.celery_jobs:gated
    input: {{key: str}}
    schedule: {{cron: "0 3 * * *", input: {{key: "{KEY}"}}}}
  Nightly:
    engine: celery
    id: nightly-{{key}}
    input: {{key: str}}
    schedule: {{cron: "0 3 * * *", input: {{key: "{CHAIN_KEY}"}}}}
    steps:
      - {{name: first, run: "tests.e2e.handlers.celery_jobs:gated"}}
      - {{name: second, run: "tests.e2e.handlers.celery_jobs:stamp"}}
"""


@pytest.fixture(scope="module")
def beat(
    tmp_path_factory: pytest.TempPathFactory, redis: RedisServer
) -> Iterator[tuple[cs.Project, Any]]:
    folder = tmp_path_factory.mktemp("celery-beat")
    # one worker process: messages run in the order they were sent
    with cs.served(
        folder, SPEC, "e2e_beat", redis, "beat-worker", concurrency=1
    ) as proj:
        scheduler_class = symbol_by_name(proj.app.conf.beat_scheduler)
        scheduler = scheduler_class(
            app=proj.app, schedule_filename=str(folder / "beat-schedule")
        )
        try:
            yield proj, scheduler
        finally:
            scheduler.close()


def tick(scheduler: Any, name: str, day: int) -> str | None:
    """Send entry `name`'s tick due on 2026-01-<day> at 03:00 UTC, as beat
    does; returns the id of what was sent (None: skipped)."""
    entry = scheduler.schedule[name]
    entry.last_run_at = datetime(2026, 1, day, 2, 0, tzinfo=UTC)
    scheduler.reserve(entry)
    result = scheduler.apply_async(entry, producer=scheduler.producer, advance=False)
    return None if result is None else str(result.id)


def runs(key: str) -> int:
    return len(handlers.calls(f"{key}:start"))


def test_each_tick_of_a_job_with_an_id_runs(beat: tuple[cs.Project, Any]) -> None:
    proj, scheduler = beat
    handlers.open_gate(KEY)
    first = tick(scheduler, "daily", 1)
    assert first == f"daily-{KEY}-2026-01-01T03:00:00Z"
    assert proj.app.AsyncResult(first).get(timeout=RESULT_TIMEOUT)["key"] == KEY
    second = tick(scheduler, "daily", 2)
    assert second == f"daily-{KEY}-2026-01-02T03:00:00Z"
    assert proj.app.AsyncResult(second).get(timeout=RESULT_TIMEOUT)["key"] == KEY
    assert runs(KEY) == 2


def test_a_tick_is_skipped_while_the_previous_one_runs(
    beat: tuple[cs.Project, Any], caplog: pytest.LogCaptureFixture
) -> None:
    proj, scheduler = beat
    handlers.close_gate(KEY)
    before = runs(KEY)
    first = tick(scheduler, "daily", 3)
    assert first == f"daily-{KEY}-2026-01-03T03:00:00Z"
    wait_until(lambda: runs(KEY) == before + 1, "the tick to start", RESULT_TIMEOUT)
    with caplog.at_level(logging.WARNING):
        assert tick(scheduler, "daily", 4) is None  # the first still runs
    assert f"its previous run {first} is still running" in caplog.text
    handlers.open_gate(KEY)
    proj.app.AsyncResult(first).get(timeout=RESULT_TIMEOUT)
    third = tick(scheduler, "daily", 5)
    assert third == f"daily-{KEY}-2026-01-05T03:00:00Z"
    proj.app.AsyncResult(third).get(timeout=RESULT_TIMEOUT)
    # one worker process runs messages in order: a skipped tick sent anyway
    # would have run before the third
    assert runs(KEY) == before + 2
    skipped = f"daily-{KEY}-2026-01-04T03:00:00Z"
    assert proj.app.AsyncResult(skipped).state == "PENDING"


def test_a_chain_tick_runs_under_its_own_id_and_blocks_the_next(
    beat: tuple[cs.Project, Any],
) -> None:
    proj, scheduler = beat
    run_id = f"nightly-{CHAIN_KEY}-2026-01-01T03:00:00Z"
    assert tick(scheduler, "nightly", 1) == f"{run_id}-launcher"
    wait_until(lambda: runs(CHAIN_KEY) == 1, "the chain to start", RESULT_TIMEOUT)
    assert tick(scheduler, "nightly", 2) is None  # its chain still runs
    handlers.open_gate(CHAIN_KEY)
    # the chain's last step runs under the tick's id
    assert isinstance(proj.app.AsyncResult(run_id).get(timeout=RESULT_TIMEOUT), float)
    second = f"nightly-{CHAIN_KEY}-2026-01-03T03:00:00Z"
    assert tick(scheduler, "nightly", 3) == f"{second}-launcher"
    assert isinstance(proj.app.AsyncResult(second).get(timeout=RESULT_TIMEOUT), float)
    assert runs(CHAIN_KEY) == 2
