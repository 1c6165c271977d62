"""What the stack runs for a plan, in one place.

The compose template only lays these values out; every decision (which
services, which command, which environment variable points where) is made
here, where it can be read and tested. `lichc dev` asks the same question for
servers on this machine (`stack(plan, redis=..., temporal=...)`), so both
stacks run the same workers with the same settings. Settings written
`${NAME:-default}` in jobs.yaml are read from the environment by the
generated code, so a stack sets exactly those variables, pointed at its own
servers.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from lichc.engines.temporal.options import GRACEFUL_SHUTDOWN
from lichc.fileformat.templated import EnvString, EnvVar
from lichc.fileformat.values import format_duration
from lichc.plan.ir import Plan

IMAGES = {
    "redis": "redis:7-alpine",
    "postgres": "postgres:16-alpine",
    # auto-setup creates the schema and the namespace on start: made for local stacks.
    "temporal": "temporalio/auto-setup:1.29.1",
    "temporal_ui": "temporalio/ui:2.34.0",
}
TEMPORAL_UI_PORT = 8088

# Where the app image holds the project (the folder of jobs.yaml); see docs/workflow.md.
APP_ROOT = "/app"
REDIS_HOST = "redis"
REDIS_PORT = 6379
TEMPORAL_HOST = "temporal"
TEMPORAL_PORT = 7233
BEAT_SCHEDULE = "/tmp/celerybeat-schedule"
POSTGRES_USER = "temporal"
WORKER_CONCURRENCY = 2  # per container; scale out with `docker compose up --scale`
MAX_STOP_GRACE = timedelta(minutes=10)
COMPOSE_STOP_GRACE = timedelta(seconds=10)  # compose's own default
# after the last task or activity ends: acks, result writes, the process exit
SHUTDOWN_MARGIN = timedelta(seconds=10)
LOOPBACK = frozenset(["localhost", "127.0.0.1", "::1", "0.0.0.0"])


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where a stack's server listens, as the app services reach it."""

    host: str
    port: int

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


COMPOSE_REDIS = Endpoint(REDIS_HOST, REDIS_PORT)
COMPOSE_TEMPORAL = Endpoint(TEMPORAL_HOST, TEMPORAL_PORT)


@dataclass(frozen=True, slots=True)
class EnvEntry:
    """One environment variable of an app service."""

    name: str
    value: str | None  # None: passed through from the shell running compose

    @property
    def passthrough(self) -> bool:
        return self.value is None


@dataclass(frozen=True, slots=True)
class Service:
    name: str
    command: tuple[str, ...]
    stop_grace: str | None = None  # compose duration, e.g. "1m30s"


@dataclass(frozen=True, slots=True)
class Stack:
    project: str
    build_context: str  # the folder of jobs.yaml, relative to the compose file
    pythonpath: str
    celery_workers: tuple[Service, ...]
    celery_beat: Service | None
    celery_env: tuple[EnvEntry, ...]
    temporal_worker: Service | None
    temporal_schedules: Service | None
    temporal_env: tuple[EnvEntry, ...]
    temporal_namespace: str  # created by auto-setup, checked by the health check
    temporal_address: str

    @property
    def redis(self) -> bool:
        return bool(self.celery_workers)

    @property
    def temporal(self) -> bool:
        return self.temporal_worker is not None

    @property
    def redis_port(self) -> int:
        return REDIS_PORT

    @property
    def temporal_port(self) -> int:
        return TEMPORAL_PORT

    @property
    def temporal_ui_port(self) -> int:
        return TEMPORAL_UI_PORT

    @property
    def postgres_user(self) -> str:
        return POSTGRES_USER


def stack(
    plan: Plan,
    *,
    redis: Endpoint = COMPOSE_REDIS,
    temporal: Endpoint = COMPOSE_TEMPORAL,
    beat_schedule: str = BEAT_SCHEDULE,
) -> Stack:
    """The services of `plan`'s stack and their settings (compose's by default)."""
    celery_jobs = plan.jobs_on("celery")
    temporal_jobs = plan.jobs_on("temporal")
    app = f"{plan.project}.celery_app"
    workers = tuple(
        Service(
            f"celery-worker-{queue}",
            (
                "celery",
                "-A",
                app,
                "worker",
                "--queues",
                queue,
                "--hostname",
                f"{queue}@%h",
                "--loglevel=INFO",
                f"--concurrency={WORKER_CONCURRENCY}",
                "--prefetch-multiplier=1",
            ),
            stop_grace=_stop_grace(plan, queue),
        )
        for queue in plan.queues_on("celery")
    )
    beat = None
    if any(job.schedules for job in celery_jobs):
        beat = Service(
            "celery-beat",
            (
                "celery",
                "-A",
                app,
                "beat",
                "--loglevel=INFO",
                f"--schedule={beat_schedule}",
            ),
        )
    temporal_worker = temporal_schedules = None
    if temporal_jobs:
        temporal_worker = Service(
            "temporal-worker",
            ("python", "-m", f"{plan.project}.temporal_worker"),
            # Docker's 10 s default would kill it mid-way through its graceful shutdown
            stop_grace=format_duration(GRACEFUL_SHUTDOWN + SHUTDOWN_MARGIN),
        )
    if any(job.schedules for job in temporal_jobs):
        temporal_schedules = Service(
            "temporal-schedules", ("python", "-m", f"{plan.project}.temporal_schedules")
        )
    return Stack(
        project=plan.project,
        build_context=posixpath.relpath(".", plan.output),
        pythonpath=":".join(
            dict.fromkeys([posixpath.normpath(f"{APP_ROOT}/{plan.output}"), APP_ROOT])
        ),
        celery_workers=workers,
        celery_beat=beat,
        celery_env=_celery_env(plan, redis),
        temporal_worker=temporal_worker,
        temporal_schedules=temporal_schedules,
        temporal_env=_temporal_env(plan, temporal),
        temporal_namespace=_namespace(plan.temporal.namespace),
        temporal_address=temporal.address,
    )


def _stop_grace(plan: Plan, queue: str) -> str:
    """Long enough for the tasks of a queue to finish on `docker compose stop`:
    Celery's warm shutdown waits for running tasks, which stop at their
    `timeout` (the hard time limit) at the latest."""
    longest = max(
        (
            step.timeout
            for job in plan.jobs_on("celery")
            for step in job.run_steps()
            if step.queue == queue
        ),
        default=COMPOSE_STOP_GRACE,  # a queue of launchers and chord bodies only
    )
    return format_duration(min(longest + SHUTDOWN_MARGIN, MAX_STOP_GRACE))


def _redis_url(setting: EnvString, default_db: str, redis: Endpoint) -> str:
    """The stack's Redis, keeping the database number of the setting's default."""
    example = setting.example() or ""
    path = urlsplit(example).path if "://" in example else ""
    db = path if path.strip("/").isdigit() else default_db
    return f"redis://{redis.address}{db}"


def _point(
    setting: EnvString, target: str, server: Endpoint | None, usual_port: int = 0
) -> list[EnvEntry]:
    """Environment variables that point one setting at a stack's server.

    A setting that is one whole variable gets the server's address. Inside a
    longer value, a variable defaulting to a loopback host gets the server's
    host, one defaulting to the server's usual port gets its port, and any
    other is pinned to its default, so the stack never depends on the shell
    that runs it; one without a default is passed through from that shell.
    """
    if (variable := setting.variable) is not None:
        return [EnvEntry(variable.name, target)]
    entries = []
    for part in setting.parts:
        if not isinstance(part, EnvVar):
            continue
        if server and part.default in LOOPBACK:
            entries.append(EnvEntry(part.name, server.host))
        elif server and part.default == str(usual_port):
            entries.append(EnvEntry(part.name, str(server.port)))
        else:
            entries.append(EnvEntry(part.name, part.default))
    return entries


def _passthrough(setting: EnvString | bool | None) -> list[EnvEntry]:
    if not isinstance(setting, EnvString):
        return []
    return [EnvEntry(p.name, None) for p in setting.parts if isinstance(p, EnvVar)]


def _unique(entries: list[EnvEntry]) -> tuple[EnvEntry, ...]:
    """One entry per variable name; the first setting that uses it decides."""
    first: dict[str, EnvEntry] = {}
    for entry in entries:
        first.setdefault(entry.name, entry)
    return tuple(first.values())


def _celery_env(plan: Plan, redis: Endpoint) -> tuple[EnvEntry, ...]:
    broker, backend = plan.celery.broker, plan.celery.result_backend
    return _unique(
        _point(broker, _redis_url(broker, "/0", redis), redis, REDIS_PORT)
        + _point(backend, _redis_url(backend, "/1", redis), redis, REDIS_PORT)
    )


def _temporal_env(plan: Plan, server: Endpoint) -> tuple[EnvEntry, ...]:
    temporal = plan.temporal
    entries = _point(temporal.address, server.address, server, TEMPORAL_PORT)
    entries += _point(temporal.namespace, _namespace(temporal.namespace), None)
    if isinstance(temporal.tls, EnvString):
        entries += _point(temporal.tls, "false", None)  # the local server has no TLS
    # the API key is a secret: only ever passed through by name
    entries += _passthrough(temporal.api_key)
    return _unique(entries)


def _namespace(setting: EnvString) -> str:
    return setting.example() or "default"
