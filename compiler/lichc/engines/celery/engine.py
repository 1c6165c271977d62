"""Celery as lichc.engines.registry lists it.

Checking a spec reads only the capabilities and rules; the options, services
and backend are imported when explained, rendered or run (validation stays
fast).
"""

from __future__ import annotations

from lichc.engines import conventional
from lichc.engines.celery import capabilities, rules

CELERY = conventional(
    "lichc.engines.celery",
    name="celery",
    title="Celery",
    capabilities=capabilities.CAPABILITIES,
    auto_reason="the job is a single short step with no compensate, wait_for, "
    "sleep or heartbeat",
    rules=rules,
    backend_class="CeleryBackend",
    removed_job_effect="messages queued for its tasks find no task: they go to "
    "the dead-letter queue (`lichc dlq list`), not run",
)
