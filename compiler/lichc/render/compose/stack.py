"""What the stack runs for a plan, in one place.

The compose template only lays these values out; every decision (which
services, which command, which environment variable points where) is made
here and in each engine's `services.py`, where it can be read and tested.
`lichc dev` asks the same question for servers on this machine
(`stack(plan, servers=..., state=...)`), so both stacks run the same workers
with the same settings. Settings written `${NAME:-default}` in jobs.yaml are
read from the environment by the generated code, so a stack sets exactly those
variables, pointed at its own servers.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from lichc.fileformat.templated import EnvString, EnvVar
from lichc.plan.ir import Plan

# Where the app image holds the project (the folder of jobs.yaml); see docs/workflow.md.
APP_ROOT = "/app"
STATE = "/tmp"  # where an app service keeps files of its own, in its container
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
    restart: str = "unless-stopped"  # "no": a one-shot step
    role: str = "worker"  # for `lichc dev`: "worker", or "once" (must exit 0)
    ready_line: str | None = None  # for `lichc dev`: what it prints once ready (regex)


@dataclass(frozen=True, slots=True)
class EngineServices:
    """What one engine adds to a stack: its servers and the app services that use them."""

    servers: str  # the compose template of its servers
    server: str  # the server service its app services wait for
    volume: str  # the servers' data volume
    apps: tuple[Service, ...]
    env: tuple[EnvEntry, ...]  # the app services' environment
    values: Mapping[str, Any] = field(default_factory=dict)  # for its servers template


@dataclass(frozen=True, slots=True)
class Stack:
    project: str
    build_context: str  # the folder of jobs.yaml, relative to the compose file
    pythonpath: str
    parts: tuple[EngineServices, ...]  # one per engine the plan uses, in registry order


def stack(
    plan: Plan,
    *,
    servers: Mapping[str, Endpoint] | None = None,
    state: str = STATE,
) -> Stack:
    """The services of `plan`'s stack and their settings (compose's by default;
    `servers` maps a server service's name to where `lichc dev` runs it)."""
    from lichc.engines.registry import ENGINES

    parts = []
    for engine in ENGINES:
        if plan.jobs_on(engine.name):
            parts.append(engine.compose_services(plan, servers or {}, state))
    return Stack(
        project=plan.project,
        build_context=posixpath.relpath(".", plan.output),
        pythonpath=":".join(
            dict.fromkeys([posixpath.normpath(f"{APP_ROOT}/{plan.output}"), APP_ROOT])
        ),
        parts=tuple(parts),
    )


def point(
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


def passthrough(setting: EnvString | bool | None) -> list[EnvEntry]:
    if not isinstance(setting, EnvString):
        return []
    return [EnvEntry(p.name, None) for p in setting.parts if isinstance(p, EnvVar)]


def unique(entries: list[EnvEntry]) -> tuple[EnvEntry, ...]:
    """One entry per variable name; the first setting that uses it decides."""
    first: dict[str, EnvEntry] = {}
    for entry in entries:
        first.setdefault(entry.name, entry)
    return tuple(first.values())
