"""Celery as lichc.engines.registry lists it.

Checking a spec reads only the capabilities and rules; the services are
imported when rendered or run (validation stays fast).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from lichc.engines import EngineInfo
from lichc.engines.celery import capabilities, options, rules
from lichc.plan.ir import Plan

if TYPE_CHECKING:
    from lichc.devstack.services import Ports
    from lichc.devstack.services import Service as DevService
    from lichc.render.base import Backend
    from lichc.render.compose.stack import Endpoint, EngineServices


def _compose_services(
    plan: Plan, servers: Mapping[str, Endpoint], state: str
) -> EngineServices:
    from lichc.engines.celery import services

    return services.compose_services(plan, servers, state)


def _dev_endpoint(ports: Ports) -> tuple[str, Endpoint]:
    from lichc.engines.celery import services

    return services.dev_endpoint(ports)


def _dev_server(
    plan: Plan, env: Mapping[str, str], ports: Ports, state_dir: Path
) -> DevService:
    from lichc.engines.celery import services

    return services.dev_server(plan, env, ports, state_dir)


def _backend() -> Backend:
    from lichc.engines.celery.backend import CeleryBackend

    return CeleryBackend()


CELERY = EngineInfo(
    name="celery",
    title="Celery",
    capabilities=capabilities.CAPABILITIES,
    auto_reason="the job is a single short step with no compensate, wait_for, "
    "sleep or heartbeat",
    plan_rules=rules.check_plan,
    job_rules=rules.check_job,
    generated_names=(),
    # options is imported by the package itself (lichc.engines.celery)
    explain_job=options.explain_job,
    explain_step=options.explain,
    backend=_backend,
    client_exports=options.client_exports,
    compose_services=_compose_services,
    dev_endpoint=_dev_endpoint,
    dev_server=_dev_server,
)
