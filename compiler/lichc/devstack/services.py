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

from lichc.devstack import servers
from lichc.devstack.servers import StackError
from lichc.engines.celery.services import REDIS_PORT
from lichc.engines.temporal.services import TEMPORAL_PORT
from lichc.fileformat.templated import EnvString, EnvVar
from lichc.plan.ir import Plan
from lichc.render.compose.stack import EnvEntry, stack

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
    # a server's: (what, where for people, port) of each thing it listens on
    listens: tuple[tuple[str, str, int], ...] = ()
    namespace: str = ""  # a Temporal server's: the namespace the workers use


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

    def where(self) -> list[tuple[str, str]]:
        """What listens where, for people."""
        return [(what, where) for s in self.services for what, where, _ in s.listens]

    def needed_ports(self) -> dict[str, int]:
        """The ports this stack will listen on, by what listens."""
        return {what: port for s in self.services for what, _, port in s.listens}


def dev_stack(
    plan: Plan, out_dir: Path, spec_dir: Path, state_dir: Path, ports: Ports
) -> DevStack:
    """The servers, one-shot steps and workers of `plan`, and their environment."""
    from lichc.engines.registry import ENGINES

    used = [e for e in ENGINES if plan.jobs_on(e.name)]
    if not used:
        raise StackError(f"{plan.source} has no jobs: nothing to run")
    local = stack(
        plan,
        servers=dict(e.dev_endpoint(ports) for e in ENGINES),
        state=str(state_dir),
    )
    settings: dict[str, str] = {}
    for part in local.parts:
        settings |= _settings_env(part.env)
    env = _process_env(settings, out_dir, spec_dir)
    found = [e.dev_server(plan, env, ports, state_dir) for e in used]
    for part in local.parts:
        for app in part.apps:
            ready = re.compile(app.ready_line) if app.ready_line else None
            found.append(_app(app.name, app.command, _role(app.role), ready))
    # servers first, then one-shot steps, then workers, each in engine order
    found.sort(key=lambda s: _ROLES.index(s.role))
    namespace = next((s.namespace for s in found if s.namespace), "")
    return DevStack(plan.project, tuple(found), settings, env, ports, namespace)


_ROLES: tuple[Role, ...] = ("server", "once", "worker")


def _role(name: str) -> Role:
    return next(r for r in _ROLES if r == name)


def _app(
    name: str,
    command: tuple[str, ...],
    role: Role,
    ready: re.Pattern[str] | None = None,
) -> Service:
    """A compose command run by this interpreter (no PATH lookup, no venv needed)."""
    program, *rest = command
    # `python -m <program>` runs a tool such as celery from this environment
    prefix = (
        (sys.executable,) if program == "python" else (sys.executable, "-m", program)
    )
    return Service(name, (*prefix, *rest), role, ready_line=ready)


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


def elsewhere(key: str, setting: EnvString, value: str, ours: str) -> StackError:
    return StackError(
        f"{key}: `{setting}` gives {value}, not lichc dev's {ours}, so the "
        "generated code would not use the local stack. lichc dev points "
        "settings at its servers through their variables: write "
        "`${NAME:-default}` (see docs/workflow.md)"
    )
