"""Celery as lichc.engines.registry lists it."""

from __future__ import annotations

from lichc.engines import EngineInfo
from lichc.engines.celery import capabilities, options, rules, services

CELERY = EngineInfo(
    name="celery",
    title="Celery",
    capabilities=capabilities.CAPABILITIES,
    auto_reason="the job is a single short step with no compensate, wait_for, "
    "sleep or heartbeat",
    plan_rules=rules.check_plan,
    job_rules=rules.check_job,
    generated_names=(),
    explain_job=options.explain_job,
    explain_step=options.explain,
    client_exports=options.client_exports,
    compose_services=services.compose_services,
    dev_endpoint=services.dev_endpoint,
    dev_server=services.dev_server,
)
