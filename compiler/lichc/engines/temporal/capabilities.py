"""What Temporal is built for, can run, or cannot run (lichc.plan.features)."""

from __future__ import annotations

from lichc.plan.features import Capabilities, Refusal

CAPABILITIES: Capabilities = {
    "more_steps": "built_for",
    "sleep": "built_for",
    "long_timeout": "built_for",
    "compensate": "built_for",
    "wait_for": "built_for",
    "heartbeat": "built_for",
    "conditional_sleep": "built_for",
    "jitter": Refusal(
        "jitter is not supported by Temporal's retry policy",
        "remove jitter (Temporal spreads retries itself), or use `engine: celery`",
    ),
    "soft_timeout": Refusal(
        "soft_timeout is Celery-only",
        "use heartbeat to notice a stuck activity on Temporal",
    ),
    "dead_letter": Refusal(
        "dead_letter is Celery-only: failed Temporal workflows stay in history",
        "remove dead_letter and find failed runs in the Temporal UI or with "
        "`temporal workflow list --query 'ExecutionStatus=\"Failed\"'`",
    ),
    # per task queue: engines/temporal/rules.py asks for a queue of its own
    "rate_limit": "built_for",
}
