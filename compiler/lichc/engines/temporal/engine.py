"""Temporal as lichc.engines.registry lists it.

Checking a spec reads only the capabilities and rules; the options and
services are imported when explained, rendered or run (validation stays fast).
"""

from __future__ import annotations

from lichc.engines import EngineInfo, lazy
from lichc.engines.temporal import capabilities, rules

PACKAGE = "lichc.engines.temporal"
OPTIONS, SERVICES = f"{PACKAGE}.options", f"{PACKAGE}.services"

TEMPORAL = EngineInfo(
    name="temporal",
    title="Temporal",
    capabilities=capabilities.CAPABILITIES,
    auto_reason="nothing in the job needs another engine",  # never told: it is last
    plan_rules=rules.check_plan,
    job_rules=rules.check_job,
    generated_names=(("workflow class", "workflow_class"),),
    explain_job=lazy(OPTIONS, "explain_job"),
    explain_step=lazy(OPTIONS, "explain"),
    backend=lazy(f"{PACKAGE}.backend", "TemporalBackend"),
    client_exports=lazy(OPTIONS, "client_exports"),
    compose_services=lazy(SERVICES, "compose_services"),
    dev_endpoint=lazy(SERVICES, "dev_endpoint"),
    dev_server=lazy(SERVICES, "dev_server"),
)
