"""What `lichc dev` runs for a plan, and the environment that connects it.

The workers and their command lines are the compose stack's
(`lichc.render.compose.stack`), so the local stack and the containers run
the same things; here they run from this Python environment against servers
on 127.0.0.1. The `${NAME:-default}` settings of jobs.yaml are pointed at
those servers through the same variables, then read back the way the
generated code reads them, so a setting that would still reach another
server (a literal address, TLS) is an error before anything starts.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from lichc.devstack import servers
from lichc.devstack.servers import HOST, StackError
from lichc.fileformat.templated import EnvString, EnvVar
from lichc.plan.ir import Plan
from lichc.render.compose.stack import (
    LOOPBACK,
    REDIS_PORT,
    TEMPORAL_PORT,
    Endpoint,
    EnvEntry,
    stack,
)

UI_PORT = 8233  # the dev server's own default: its gRPC port + 1000
Role = Literal["server", "once", "worker"]


@dataclass(frozen=True, slots=True)
class Ports:
    redis: int
    temporal: int
    ui: int

    @classmethod
    def usual(cls, offset: int = 0) -> Ports:
        return cls(REDIS_PORT + offset, TEMPORAL_PORT + offset, UI_PORT + offset)

    @classmethod
    def free(cls) -> Ports:
        """Three distinct ports nothing listens on now."""
        found: set[int] = set()
        while len(found) < 3:
            found.add(servers.free_port())
        return cls(*sorted(found))


@dataclass(frozen=True)
class Service:
    """One process of the stack."""

    name: str
    argv: tuple[str, ...]
    role: Role  # servers start first and stop last; `once` must exit 0
    ready_line: re.Pattern[str] | None = None  # readiness seen in its output
    probe: Callable[[], bool] | None = None  # or polled


@dataclass(frozen=True)
class DevStack:
    project: str
    services: tuple[Service, ...]
    settings: dict[str, str]  # the variables that point the generated code here
    env: dict[str, str]  # the whole environment of every child
    ports: Ports
    namespace: str  # Temporal's ("" without Temporal jobs)

    def role(self, role: Role) -> tuple[Service, ...]:
        return tuple(s for s in self.services if s.role == role)

    @property
    def redis(self) -> bool:
        return any(s.name == "redis" for s in self.services)

    @property
    def temporal(self) -> bool:
        return any(s.name == "temporal" for s in self.services)

    def where(self) -> list[tuple[str, str]]:
        """What listens where, for people."""
        found = []
        if self.redis:
            found.append(("Redis", f"redis://{HOST}:{self.ports.redis}"))
        if self.temporal:
            found.append(
                (
                    "Temporal",
                    f"{HOST}:{self.ports.temporal}, namespace {self.namespace}",
                )
            )
            found.append(("Temporal UI", f"http://localhost:{self.ports.ui}"))
        return found

    def needed_ports(self) -> dict[str, int]:
        """The ports this stack will listen on, by what listens."""
        wanted = {}
        if self.redis:
            wanted["Redis"] = self.ports.redis
        if self.temporal:
            wanted["Temporal"] = self.ports.temporal
            wanted["Temporal UI"] = self.ports.ui
        return wanted


def dev_stack(
    plan: Plan, out_dir: Path, spec_dir: Path, state_dir: Path, ports: Ports
) -> DevStack:
    """The servers, one-shot steps and workers of `plan`, and their environment."""
    celery = bool(plan.jobs_on("celery"))
    temporal = bool(plan.jobs_on("temporal"))
    if not (celery or temporal):
        raise StackError(f"{plan.source} has no jobs: nothing to run")
    local = stack(
        plan,
        redis=Endpoint(HOST, ports.redis),
        temporal=Endpoint(HOST, ports.temporal),
        beat_schedule=str(state_dir / "celerybeat-schedule"),
    )
    settings = _settings_env(local.celery_env if celery else ())
    settings |= _settings_env(local.temporal_env if temporal else ())
    env = _process_env(settings, out_dir, spec_dir)
    found: list[Service] = []
    namespace = ""
    if celery:
        _check_celery(plan, env, ports)
        found.append(_redis(state_dir, ports))
    if temporal:
        namespace = _check_temporal(plan, env, ports)
        found.append(_temporal(state_dir, ports, namespace))
    if local.temporal_schedules:
        found.append(
            _app(
                local.temporal_schedules.name, local.temporal_schedules.command, "once"
            )
        )
    for worker in local.celery_workers:
        found.append(
            _app(worker.name, worker.command, "worker", _READY["celery-worker"])
        )
    if local.celery_beat:
        found.append(
            _app(
                local.celery_beat.name,
                local.celery_beat.command,
                "worker",
                _READY["celery-beat"],
            )
        )
    if local.temporal_worker:
        found.append(
            _app(
                local.temporal_worker.name,
                local.temporal_worker.command,
                "worker",
                _READY["temporal-worker"],
            )
        )
    return DevStack(plan.project, tuple(found), settings, env, ports, namespace)


# What each app service prints once it is ready (INFO logging is on for all).
_READY = {
    "celery-worker": re.compile(r"@\S+ ready\.$"),  # celery.apps.worker
    "celery-beat": re.compile(r"beat: Starting\.\.\."),  # celery.beat.Service
    "temporal-worker": re.compile(
        r"worker polling task queues"
    ),  # the generated worker
}


def _redis(state_dir: Path, ports: Ports) -> Service:
    data = state_dir / "redis"  # created by the caller before it starts
    argv = servers.redis_command(
        servers.redis_binary(), ports.redis, data, persist=True
    )
    return Service(
        "redis", tuple(argv), "server", probe=lambda: servers.redis_ping(ports.redis)
    )


def _temporal(state_dir: Path, ports: Ports, namespace: str) -> Service:
    binary = servers.temporal_binary()
    argv = servers.temporal_command(
        binary, ports.temporal, ports.ui, namespace, state_dir / "temporal.db"
    )
    return Service(
        "temporal",
        tuple(argv),
        "server",
        probe=lambda: servers.temporal_ready(binary, ports.temporal, namespace),
    )


def _app(
    name: str,
    command: tuple[str, ...],
    role: Role,
    ready: re.Pattern[str] | None = None,
) -> Service:
    """A compose command run by this interpreter (no PATH lookup, no venv needed)."""
    program, *rest = command
    prefix = {"celery": (sys.executable, "-m", "celery"), "python": (sys.executable,)}
    return Service(name, (*prefix[program], *rest), role, ready_line=ready)


def _settings_env(entries: tuple[EnvEntry, ...]) -> dict[str, str]:
    """The variables the stack sets; pass-through ones keep the shell's value."""
    return {e.name: e.value for e in entries if e.value is not None}


def _process_env(
    settings: Mapping[str, str], out_dir: Path, spec_dir: Path
) -> dict[str, str]:
    """The environment of every child: the shell's, the settings, this Python first."""
    env = {**os.environ, **settings}
    env["PATH"] = os.pathsep.join(
        [str(Path(sys.executable).parent), env.get("PATH", "")]
    )
    paths = [str(out_dir), str(spec_dir), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in dict.fromkeys(paths) if p)
    env["PYTHONUNBUFFERED"] = "1"  # logs reach the console as they are written
    return env


# -- reading settings back as the generated code will ---------------------------------


def resolve(setting: EnvString, env: Mapping[str, str], key: str) -> str:
    """The value of a setting in `env` (empty counts as unset, as in settings.py)."""
    out = []
    for part in setting.parts:
        if not isinstance(part, EnvVar):
            out.append(part)
        elif env.get(part.name):
            out.append(env[part.name])
        elif part.default is not None:
            out.append(part.default)
        else:
            raise StackError(
                f"{key}: environment variable {part.name} is not set "
                f"(jobs.yaml has `{setting}`); set it, or give it a default"
            )
    return "".join(out)


def _elsewhere(key: str, setting: EnvString, value: str, ours: str) -> StackError:
    return StackError(
        f"{key}: `{setting}` gives {value}, not lichc dev's {ours}, so the "
        "generated code would not use the local stack. lichc dev points "
        "settings at its servers through their variables: write "
        "`${NAME:-default}` (see docs/workflow.md)"
    )


def _check_celery(plan: Plan, env: Mapping[str, str], ports: Ports) -> None:
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
        if url.scheme != "redis" or url.hostname not in LOOPBACK or port != ports.redis:
            raise _elsewhere(key, setting, value, f"redis://{HOST}:{ports.redis}")


def _check_temporal(plan: Plan, env: Mapping[str, str], ports: Ports) -> str:
    """Check the Temporal settings; returns the namespace to create."""
    temporal = plan.temporal
    address = resolve(temporal.address, env, "temporal.address")
    host, _, port = address.rpartition(":")
    if host.strip("[]") not in LOOPBACK or port != str(ports.temporal):
        raise _elsewhere(
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
