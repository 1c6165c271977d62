"""The services Temporal jobs need: the server (with Postgres and the UI in
compose), the worker and the one-shot schedules step, for the compose stack
and for `lichc dev` alike."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from lichc.engines.temporal.options import GRACEFUL_SHUTDOWN
from lichc.fileformat.templated import EnvString
from lichc.fileformat.values import format_duration
from lichc.plan.ir import Plan
from lichc.render.compose import stack

if TYPE_CHECKING:
    from lichc.devstack.services import Ports
    from lichc.devstack.services import Service as DevService

SERVER = "temporal"
IMAGES = {
    "postgres": "postgres:16-alpine",
    # auto-setup creates the schema and the namespace on start: made for local stacks.
    "temporal": "temporalio/auto-setup:1.29.1",
    "temporal_ui": "temporalio/ui:2.34.0",
}
TEMPORAL_PORT = 7233
TEMPORAL_UI_PORT = 8088
POSTGRES_USER = "temporal"
COMPOSE_TEMPORAL = stack.Endpoint(SERVER, TEMPORAL_PORT)


def compose_services(
    plan: Plan, servers: Mapping[str, stack.Endpoint], state: str
) -> stack.EngineServices:
    server = servers.get(SERVER, COMPOSE_TEMPORAL)
    apps = [
        stack.Service(
            "temporal-worker",
            ("python", "-m", f"{plan.project}.temporal_worker"),
            # Docker's 10 s default would kill it mid-way through its graceful shutdown
            stop_grace=format_duration(GRACEFUL_SHUTDOWN + stack.SHUTDOWN_MARGIN),
            ready_line=r"worker polling task queues",  # the generated worker
        )
    ]
    if any(job.schedules for job in plan.jobs_on("temporal")):
        apps.append(
            stack.Service(
                "temporal-schedules",
                ("python", "-m", f"{plan.project}.temporal_schedules"),
                restart="no",
                role="once",
            )
        )
    return stack.EngineServices(
        servers="temporal/compose_servers.yml.jinja",
        server=SERVER,
        volume="postgres-data",
        apps=tuple(apps),
        env=_env(plan, server),
        values={
            "images": IMAGES,
            "port": TEMPORAL_PORT,
            "ui_port": TEMPORAL_UI_PORT,
            "postgres_user": POSTGRES_USER,
            "namespace": namespace(plan.temporal.namespace),
            "address": server.address,
        },
    )


def _env(plan: Plan, server: stack.Endpoint) -> tuple[stack.EnvEntry, ...]:
    temporal = plan.temporal
    entries = stack.point(temporal.address, server.address, server, TEMPORAL_PORT)
    entries += stack.point(temporal.namespace, namespace(temporal.namespace), None)
    if isinstance(temporal.tls, EnvString):
        entries += stack.point(
            temporal.tls, "false", None
        )  # the local server has no TLS
    # the API key is a secret: only ever passed through by name
    entries += stack.passthrough(temporal.api_key)
    return stack.unique(entries)


def namespace(setting: EnvString) -> str:
    return setting.example() or "default"


# -- lichc dev ------------------------------------------------------------------------
# (devstack is imported where it is used: building or checking a spec never needs it)


def dev_endpoint(ports: Ports) -> tuple[str, stack.Endpoint]:
    """The server service's name and where `lichc dev` runs it."""
    from lichc.devstack.servers import HOST

    return SERVER, stack.Endpoint(HOST, ports.temporal)


def dev_server(
    plan: Plan, env: Mapping[str, str], ports: Ports, state_dir: Path
) -> DevService:
    """The Temporal dev server, once the settings are known to reach it."""
    from lichc.devstack.servers import HOST
    from lichc.devstack.services import Service
    from lichc.engines.temporal import servers

    name = _check(plan, env, ports)
    binary = servers.temporal_binary()
    argv = servers.temporal_command(
        binary, ports.temporal, ports.ui, name, state_dir / "temporal.db"
    )
    return Service(
        SERVER,
        tuple(argv),
        "server",
        probe=lambda: servers.temporal_ready(binary, ports.temporal, name),
        listens=(
            ("Temporal", f"{HOST}:{ports.temporal}, namespace {name}", ports.temporal),
            ("Temporal UI", f"http://localhost:{ports.ui}", ports.ui),
        ),
        namespace=name,
    )


def _check(plan: Plan, env: Mapping[str, str], ports: Ports) -> str:
    """Check the Temporal settings; returns the namespace to create."""
    from lichc.devstack.servers import HOST, StackError
    from lichc.devstack.services import elsewhere, resolve

    temporal = plan.temporal
    address = resolve(temporal.address, env, "temporal.address")
    host, _, port = address.rpartition(":")
    if host.strip("[]") not in stack.LOOPBACK or port != str(ports.temporal):
        raise elsewhere(
            "temporal.address", temporal.address, address, f"{HOST}:{ports.temporal}"
        )
    tls = temporal.tls
    if tls is True or (
        isinstance(tls, EnvString)
        and resolve(tls, env, "temporal.tls").strip().lower()
        in ("1", "true", "yes", "on")
    ):
        raise StackError(
            "temporal.tls: the local dev server has no TLS; write "
            "`tls: ${TEMPORAL_TLS:-true}` so lichc dev can turn it off"
        )
    if temporal.api_key is not None:
        resolve(temporal.api_key, env, "temporal.api_key")
    return resolve(temporal.namespace, env, "temporal.namespace")
