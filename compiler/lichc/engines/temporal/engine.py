"""Temporal as lichc.engines.registry lists it."""

from __future__ import annotations

from lichc.engines import EngineInfo
from lichc.engines.temporal import capabilities, options, rules, services
from lichc.plan.ir import Job, Plan, RunStep


def _explain_step(plan: Plan, job: Job, step: RunStep) -> list[tuple[str, str]]:
    return options.explain(job, step)


TEMPORAL = EngineInfo(
    name="temporal",
    title="Temporal",
    capabilities=capabilities.CAPABILITIES,
    auto_reason="nothing in the job needs another engine",  # never told: it is last
    plan_rules=rules.check_plan,
    job_rules=rules.check_job,
    generated_names=(("workflow class", "workflow_class"),),
    explain_job=options.explain_job,
    explain_step=_explain_step,
    client_exports=options.client_exports,
    compose_services=services.compose_services,
    dev_endpoint=services.dev_endpoint,
    dev_server=services.dev_server,
)
