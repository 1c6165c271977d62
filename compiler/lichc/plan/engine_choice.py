"""`engine: auto`: the seed's decision table, made executable from the
engines' capability tables.

Auto takes the first engine of lichc.engines.registry built for every feature
the job uses (Celery), else the next (Temporal), the last when none is: today
Temporal when a job has more than one step, any `compensate`, `wait_for`,
`sleep` or `heartbeat`, or a `timeout` / `total_timeout` over 1h; otherwise
Celery. The reason is kept so that `lichc explain` and error messages can say
why an engine was chosen.
"""

from __future__ import annotations

from collections.abc import Sequence

from lichc.plan.features import Use
from lichc.plan.ir import Engine


def choose(requested: str, used: Sequence[Use]) -> tuple[Engine, str]:
    """The job's engine and why, from `engine:` and the features it uses."""
    from lichc.engines.registry import ENGINES, engine

    if requested != "auto":
        return engine(requested).name, f"set by `engine: {requested}`"
    passed_over: list[str] = []  # what the engines before the chosen one lack
    for candidate in ENGINES:
        against = [
            u.reason for u in used if candidate.capabilities[u.feature] != "built_for"
        ]
        if not against or candidate is ENGINES[-1]:
            break
        passed_over.extend(against)
    reasons = list(dict.fromkeys(passed_over))
    because = "; ".join(reasons) if reasons else candidate.auto_reason
    return candidate.name, f"engine: auto chose {candidate.name} because {because}"
