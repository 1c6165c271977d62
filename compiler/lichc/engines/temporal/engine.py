"""Temporal as lichc.engines.registry lists it.

Checking a spec reads only the capabilities and rules; the options and
services are imported when explained, rendered or run (validation stays fast).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from lichc.engines import EngineInfo
from lichc.engines.temporal import capabilities, rules
from lichc.plan.ir import Job, Plan, RunStep

if TYPE_CHECKING:
    from lichc.devstack.services import Ports
    from lichc.devstack.services import Service as DevService
    from lichc.render.base import Backend
    from lichc.render.compose.stack import Endpoint, EngineServices


def _explain_job(plan: Plan, job: Job) -> dict[str, str]:
    from lichc.engines.temporal import options

    return options.explain_job(plan, job)


def _explain_step(plan: Plan, job: Job, step: RunStep) -> list[tuple[str, str]]:
    from lichc.engines.temporal import options

    return options.explain(job, step)


def _client_exports(plan: Plan) -> list[str]:
    from lichc.engines.temporal import options

    return options.client_exports(plan)


def _compose_services(
    plan: Plan, servers: Mapping[str, Endpoint], state: str
) -> EngineServices:
    from lichc.engines.temporal import services

    return services.compose_services(plan, servers, state)


def _dev_endpoint(ports: Ports) -> tuple[str, Endpoint]:
    from lichc.engines.temporal import services

    return services.dev_endpoint(ports)


def _dev_server(
    plan: Plan, env: Mapping[str, str], ports: Ports, state_dir: Path
) -> DevService:
    from lichc.engines.temporal import services

    return services.dev_server(plan, env, ports, state_dir)


def _backend() -> Backend:
    from lichc.engines.temporal.backend import TemporalBackend

    return TemporalBackend()


TEMPORAL = EngineInfo(
    name="temporal",
    title="Temporal",
    capabilities=capabilities.CAPABILITIES,
    auto_reason="nothing in the job needs another engine",  # never told: it is last
    plan_rules=rules.check_plan,
    job_rules=rules.check_job,
    generated_names=(("workflow class", "workflow_class"),),
    explain_job=_explain_job,
    explain_step=_explain_step,
    backend=_backend,
    client_exports=_client_exports,
    compose_services=_compose_services,
    dev_endpoint=_dev_endpoint,
    dev_server=_dev_server,
)
