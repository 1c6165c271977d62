"""What Celery is built for, can run, or cannot run (lichc.plan.features)."""

from __future__ import annotations

from lichc.plan.features import Capabilities, Refusal

_HINT = "set `engine: temporal` for this job, or remove the key"

CAPABILITIES: Capabilities = {
    # a chain of tasks, a countdown, a long time limit: it works, but a crash
    # mid-way or a long countdown in the broker is what Temporal is made for
    "more_steps": "can_run",
    "sleep": "can_run",
    "long_timeout": "can_run",
    "compensate": Refusal("compensate needs Temporal", _HINT),
    "wait_for": Refusal("wait_for needs Temporal", _HINT),
    "heartbeat": Refusal("heartbeat needs Temporal", _HINT),
    # a chain's sleeps are countdowns, fixed when the chain is sent
    "conditional_sleep": Refusal(
        "a sleep with `if` needs Temporal (on Celery a sleep is the next "
        "task's countdown, set when the job starts)",
        _HINT,
    ),
    "jitter": "built_for",
    "soft_timeout": "built_for",
    "dead_letter": "built_for",
    "rate_limit": "built_for",
}
