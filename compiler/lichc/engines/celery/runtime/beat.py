"""`celery beat`: each tick of a schedule is a run of its own, skipped while
the entry's previous run still runs; crontabs read in their own timezone."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from celery import states
from celery.beat import PersistentScheduler, ScheduleEntry
from celery.result import AsyncResult
from celery.schedules import crontab
from celery.utils.time import ffwd

from . import spec
from .ids import results_redis
from .policy import logger

TICK = "lichc_tick"  # beat entry option: {"id": base of the tick ids, "chain": bool}
RUN_ID = "lichc_run_id"  # header of a launcher sent by beat: its chain's task id


class JobScheduler(PersistentScheduler):
    """The scheduler of `celery beat` (celery_app sets beat_scheduler).

    Each tick is a run of its own: its task id is the entry's base id plus the
    tick's scheduled time (`daily-hi-2026-01-01T03:00:00Z`), as Temporal names
    a Schedule's runs, so a job's `id` never makes a tick look like the last.
    A tick due while the entry's previous tick still runs is skipped and logged,
    like Temporal's ScheduleOverlapPolicy.SKIP.
    """

    def apply_async(
        self,
        entry: ScheduleEntry,
        producer: Any = None,
        advance: bool = True,
        **kwargs: Any,
    ) -> Any:
        options = dict(entry.options or {})
        tick = options.pop(TICK, None)
        if tick is None:  # not an entry of jobs.yaml
            return super().apply_async(entry, producer, advance, **kwargs)
        if advance:
            self.reserve(entry)
        scheduled = scheduled_time(entry)
        key = f"{spec.KEY_PREFIX}tick:{entry.name}"
        previous = results_redis().get(key)
        if isinstance(previous, bytes):
            previous = previous.decode()
        if previous is not None and still_running(previous, tick["chain"]):
            logger.warning(
                "beat: skipped %s due at %s: its previous run %s is still running",
                entry.name,
                scheduled.isoformat(),
                previous,
            )
            return None
        run_id = f"{tick['id']}-{scheduled:%Y-%m-%dT%H:%M:%SZ}"
        task_id = run_id
        if tick["chain"]:  # the launcher sends the chain as `run_id`
            task_id = f"{run_id}-launcher"
            options["headers"] = {**options.get("headers", {}), RUN_ID: run_id}
        due = copy.copy(entry)
        due.options = {**options, "task_id": task_id}
        result = super().apply_async(due, producer, False, **kwargs)
        results_redis().set(key, task_id, ex=spec.CLAIM_TTL)
        return result


def scheduled_id(task_id: str | None) -> str | None:
    """The task id of a chain the client sends: the tick's when a launcher sent
    by beat sends it (JobScheduler's header), else `task_id` (None: a new one)."""
    from celery import current_task

    request = current_task.request if current_task else None
    return getattr(request, RUN_ID, None) or task_id


def scheduled_time(entry: ScheduleEntry) -> datetime:
    """When the due tick of `entry` was scheduled (beat may send it a bit late)."""
    if isinstance(entry.schedule, crontab) and entry.last_run_at is not None:
        start, delta, _ = entry.schedule.remaining_delta(entry.last_run_at)
        due: datetime = start + delta  # delta is a relativedelta-like ffwd
        return due.astimezone(UTC)
    return datetime.now(UTC).replace(microsecond=0)


def still_running(task_id: str, chain: bool) -> bool:
    """Whether the run sent as `task_id` has not finished; a launcher's run is
    the chain it sent, whose last task's state Celery sets on any failure too.
    Unknown (expired) results count as running: the tick key expires with them."""
    app = spec.app()

    result: AsyncResult[Any] = AsyncResult(task_id, app=app)
    if result.state not in states.READY_STATES:
        return True
    if chain and result.state == states.SUCCESS and isinstance(result.result, str):
        return AsyncResult(result.result, app=app).state not in states.READY_STATES
    return False


class zoned_crontab(crontab):
    """A crontab read in its own timezone rather than in the app's (UTC)."""

    def __init__(
        self,
        minute: str = "*",
        hour: str = "*",
        day_of_week: str = "*",
        day_of_month: str = "*",
        month_of_year: str = "*",
        timezone: str = "UTC",
    ) -> None:
        super().__init__(minute, hour, day_of_week, day_of_month, month_of_year)
        self.fields = (minute, hour, day_of_week, day_of_month, month_of_year)
        self.timezone = timezone

    def remaining_delta(
        self, last_run_at: datetime, tz: tzinfo | None = None, ffwd: type[ffwd] = ffwd
    ) -> tuple[datetime, Any, datetime]:
        return super().remaining_delta(last_run_at, tz or ZoneInfo(self.timezone), ffwd)

    def __reduce__(self) -> tuple[type[zoned_crontab], tuple[str, ...]]:
        return self.__class__, (*self.fields, self.timezone)
