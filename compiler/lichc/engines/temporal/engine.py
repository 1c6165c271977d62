"""Temporal as lichc.engines.registry lists it.

Checking a spec reads only the capabilities and rules; the options, services
and backend are imported when explained, rendered or run (validation stays
fast).
"""

from __future__ import annotations

from lichc.engines import conventional
from lichc.engines.temporal import capabilities, rules

TEMPORAL = conventional(
    "lichc.engines.temporal",
    name="temporal",
    title="Temporal",
    capabilities=capabilities.CAPABILITIES,
    auto_reason="nothing in the job needs another engine",  # never told: it is last
    rules=rules,
    backend_class="TemporalBackend",
    removed_job_effect="its open runs find no workflow of that type on the new "
    "workers and make no progress until one serves it again",
    generated_names=(("workflow class", "workflow_class"),),
    replayed=True,
)
