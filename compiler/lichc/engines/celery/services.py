"""The services Celery jobs need: Redis, a worker per queue and beat, for the
compose stack and for `lichc dev` alike."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from lichc.fileformat.templated import EnvString
from lichc.fileformat.values import format_duration
from lichc.plan.ir import Plan
from lichc.render.compose import stack

if TYPE_CHECKING:
    from lichc.devstack.services import Ports
    from lichc.devstack.services import Service as DevService

SERVER = "redis"
IMAGE = "redis:7-alpine"
REDIS_PORT = 6379
COMPOSE_REDIS = stack.Endpoint(SERVER, REDIS_PORT)
WORKER_CONCURRENCY = 2  # per container; scale out with `docker compose up --scale`
MAX_STOP_GRACE = timedelta(minutes=10)
COMPOSE_STOP_GRACE = timedelta(seconds=10)  # compose's own default


def compose_services(
    plan: Plan, servers: Mapping[str, stack.Endpoint], state: str
) -> stack.EngineServices:
    redis = servers.get(SERVER, COMPOSE_REDIS)
    app = f"{plan.project}.celery_app"
    apps = [
        stack.Service(
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
            ready_line=r"@\S+ ready\.$",  # celery.apps.worker (INFO logging)
        )
        for queue in plan.queues_on("celery")
    ]
    if any(job.schedules for job in plan.jobs_on("celery")):
        apps.append(
            stack.Service(
                "celery-beat",
                (
                    "celery",
                    "-A",
                    app,
                    "beat",
                    "--loglevel=INFO",
                    f"--schedule={state}/celerybeat-schedule",
                ),
                ready_line=r"beat: Starting\.\.\.",  # celery.beat.Service
            )
        )
    return stack.EngineServices(
        servers="celery/compose_servers.yml.jinja",
        server=SERVER,
        volume="redis-data",
        apps=tuple(apps),
        env=_env(plan, redis),
        values={"image": IMAGE, "port": REDIS_PORT},
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
    return format_duration(min(longest + stack.SHUTDOWN_MARGIN, MAX_STOP_GRACE))


def _redis_url(setting: EnvString, default_db: str, redis: stack.Endpoint) -> str:
    """The stack's Redis, keeping the database number of the setting's default."""
    example = setting.example() or ""
    path = urlsplit(example).path if "://" in example else ""
    db = path if path.strip("/").isdigit() else default_db
    return f"redis://{redis.address}{db}"


def _env(plan: Plan, redis: stack.Endpoint) -> tuple[stack.EnvEntry, ...]:
    broker, backend = plan.celery.broker, plan.celery.result_backend
    return stack.unique(
        stack.point(broker, _redis_url(broker, "/0", redis), redis, REDIS_PORT)
        + stack.point(backend, _redis_url(backend, "/1", redis), redis, REDIS_PORT)
    )


# -- lichc dev ------------------------------------------------------------------------
# (devstack is imported where it is used: building or checking a spec never needs it)


def dev_endpoint(ports: Ports) -> tuple[str, stack.Endpoint]:
    """The server service's name and where `lichc dev` runs it."""
    from lichc.devstack.servers import HOST

    return SERVER, stack.Endpoint(HOST, ports.redis)


def dev_server(
    plan: Plan, env: Mapping[str, str], ports: Ports, state_dir: Path
) -> DevService:
    """Redis for `lichc dev`, once the settings are known to reach it."""
    from lichc.devstack.servers import HOST
    from lichc.devstack.services import Service, elsewhere, resolve
    from lichc.engines.celery import servers

    for key, setting in (
        ("celery.broker", plan.celery.broker),
        ("celery.result_backend", plan.celery.result_backend),
    ):
        value = resolve(setting, env, key)
        url = urlsplit(value)
        try:
            port = url.port or REDIS_PORT
        except ValueError:
            port = -1
        if (
            url.scheme != "redis"
            or url.hostname not in stack.LOOPBACK
            or port != ports.redis
        ):
            raise elsewhere(key, setting, value, f"redis://{HOST}:{ports.redis}")
    data = state_dir / "redis"  # created by the caller before it starts
    argv = servers.redis_command(
        servers.redis_binary(), ports.redis, data, persist=True
    )
    return Service(
        SERVER,
        tuple(argv),
        "server",
        probe=lambda: servers.redis_ping(ports.redis),
        listens=(("Redis", f"redis://{HOST}:{ports.redis}", ports.redis),),
    )
