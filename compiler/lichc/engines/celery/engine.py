"""Celery as lichc.engines.registry lists it.

Checking a spec reads only the capabilities and rules; the services are
imported when rendered or run (validation stays fast).
"""

from __future__ import annotations

from lichc.engines import EngineInfo, lazy
from lichc.engines.celery import capabilities, rules

PACKAGE = "lichc.engines.celery"
OPTIONS, SERVICES = f"{PACKAGE}.options", f"{PACKAGE}.services"

CELERY = EngineInfo(
    name="celery",
    title="Celery",
    capabilities=capabilities.CAPABILITIES,
    auto_reason="the job is a single short step with no compensate, wait_for, "
    "sleep or heartbeat",
    plan_rules=rules.check_plan,
    job_rules=rules.check_job,
    generated_names=(),
    explain_job=lazy(OPTIONS, "explain_job"),
    explain_step=lazy(OPTIONS, "explain"),
    backend=lazy(f"{PACKAGE}.backend", "CeleryBackend"),
    client_exports=lazy(OPTIONS, "client_exports"),
    compose_services=lazy(SERVICES, "compose_services"),
    dev_endpoint=lazy(SERVICES, "dev_endpoint"),
    dev_server=lazy(SERVICES, "dev_server"),
)
