"""One folder per engine; each owns everything it knows: its capabilities,
its options and their explanation, its names, what its templates see (the
view), its templates and its runtime, and the services it needs.

`EngineInfo` is the small descriptor each engine gives in `<e>/engine.py`;
`lichc.engines.registry` lists them. Code outside an engine's folder asks the
descriptor instead of naming the engine.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from lichc.devstack.services import Ports
    from lichc.devstack.services import Service as DevService
    from lichc.diagnostics import Diagnostic
    from lichc.evolution.record import Entry
    from lichc.plan.features import Capabilities
    from lichc.plan.ir import Job, Plan, RunStep
    from lichc.render.base import Backend
    from lichc.render.compose.stack import Endpoint, EngineServices


@dataclass(frozen=True)
class EngineInfo:
    name: str  # as `engine:` writes it
    title: str  # as messages write it
    capabilities: Capabilities  # every feature of lichc.plan.features
    # completes "engine: auto chose <name> because ..." when nothing is against it
    auto_reason: str
    # rules beyond the capability table, on the plan and on each of its jobs
    plan_rules: Callable[[Plan], Iterable[Diagnostic]]
    job_rules: Callable[[Plan, Job], Iterable[Diagnostic]]
    # (what, Job attribute) of names its generated code gives each of its jobs
    generated_names: tuple[tuple[str, str], ...]
    # `lichc explain`: what a job setting becomes ("id", "timeout", "rate_limit",
    # "schedule", "sleep"), and the rows of one run step
    explain_job: Callable[[Plan, Job], Mapping[str, str]]
    explain_step: Callable[[Plan, Job, RunStep], list[tuple[str, str]]]
    client_exports: Callable[[Plan], list[str]]  # what `<project>.client` re-exports
    # the task / workflow names a queued message or a client of the job names
    message_names: Callable[[Plan, Job], tuple[str, ...]]
    # what becomes of a job's work in flight when the job leaves jobs.yaml
    removed_job_effect: str
    backend: Callable[[], Backend]  # renders its files (imported only to render)
    # its part of a stack (compose's, or `lichc dev`'s with its own servers and
    # state folder): engines/<e>/services.py
    compose_services: Callable[[Plan, Mapping[str, Endpoint], str], EngineServices]
    # `lichc dev`: where its server runs, and the server, its settings checked
    dev_endpoint: Callable[[Ports], tuple[str, Endpoint]]
    dev_server: Callable[[Plan, Mapping[str, str], Ports, Path], DevService]
    # lichc.evolution: the commands a job of several steps issues, recorded
    # per version so runs in flight keep replaying (None: nothing is replayed)
    # (job, jobs=every job by name) -> its commands
    recorded_steps: Callable[..., tuple[Entry, ...]] | None = None


def lazy(module: str, name: str) -> Callable[..., Any]:
    """`module.name`, imported when first called: checking a spec loads only
    an engine's capabilities and rules, never its views, templates or services."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    return call


def conventional(
    package: str,
    *,
    name: str,
    title: str,
    capabilities: Capabilities,
    auto_reason: str,
    rules: ModuleType,
    backend_class: str,
    removed_job_effect: str,
    generated_names: tuple[tuple[str, str], ...] = (),
    replayed: bool = False,
) -> EngineInfo:
    """The descriptor of an engine folder laid out as docs/architecture.md
        says: `rules.check_plan` / `check_job`, `options.explain_job` / `explain` /
        `client_exports`, `services.compose_services` / `dev_endpoint` /
        `dev_server`, `backend.<backend_class>` and, for an engine that replays
    workflows, `history.steps`; all but the rules imported late."""
    options, services = f"{package}.options", f"{package}.services"
    return EngineInfo(
        name=name,
        title=title,
        capabilities=capabilities,
        auto_reason=auto_reason,
        plan_rules=rules.check_plan,
        job_rules=rules.check_job,
        generated_names=generated_names,
        explain_job=lazy(options, "explain_job"),
        explain_step=lazy(options, "explain"),
        backend=lazy(f"{package}.backend", backend_class),
        client_exports=lazy(options, "client_exports"),
        message_names=lazy(options, "message_names"),
        removed_job_effect=removed_job_effect,
        compose_services=lazy(services, "compose_services"),
        dev_endpoint=lazy(services, "dev_endpoint"),
        dev_server=lazy(services, "dev_server"),
        recorded_steps=lazy(f"{package}.history", "steps") if replayed else None,
    )
