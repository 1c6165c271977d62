"""Cancelling a run: `cancel_<job>` in the generated client, `lichc cancel`.

A run is a single-step job's task, or a multi-step job's chain, named by the
id of the handle `start_<job>` returned (a chain's is its last task's; every
task of the chain carries it in the context as `run`). Cancelling it writes
`cancelled` in the run's key in the result Redis, stores REVOKED for the run
(its handle's `.get()` raises TaskRevokedError at once) and revokes its id
(Celery drops that message wherever it is queued or held for a countdown).

Every task of a run reads the key before it starts, and before it sends a
retry: a task of a cancelled run does not run its handler, stores REVOKED for
itself and sends nothing after it (`Cancelled`, an `Ignore`: no failure, no
dead letter). A step already running is not interrupted; nothing after it runs.

The task that decides a run's outcome (its last one succeeding, or any one
failing for good) first claims it: `finishing` in the key, unless `cancelled`
is there (then that task stops as above). A cancel that finds `finishing`
changes nothing, so a run ends either cancelled or with its own outcome,
never one written over the other. The key lasts as long as the run's id is
remembered (result_expires).
"""

from __future__ import annotations

from typing import Any

from celery import states
from celery.exceptions import Ignore
from celery.result import AsyncResult

from . import spec
from .ids import results_redis
from .policy import chain_context

# TaskRevokedError's message, like Celery's own 'revoked' and 'expired'
REASON = "cancelled"
CANCELLED = b"cancelled"

# `cancelled` unless the run's outcome is already being stored
_CANCEL = (
    "if redis.call('get', KEYS[1]) == 'finishing' then return 0 end"
    " redis.call('set', KEYS[1], 'cancelled', 'EX', ARGV[1]) return 1"
)
# `finishing` unless the run was cancelled first
_CLAIM_OUTCOME = (
    "if redis.call('get', KEYS[1]) == 'cancelled' then return 0 end"
    " redis.call('set', KEYS[1], 'finishing', 'EX', ARGV[1]) return 1"
)


class Cancelled(Ignore):
    """The task's run was cancelled: the task stops without a result, and
    the chain goes no further (Celery acknowledges an ignored message)."""


def run_key(run_id: str) -> str:
    return f"{spec.KEY_PREFIX}run:{run_id}"


def run_of(args: Any, task_id: str) -> str:
    """The run a task belongs to: its chain's (the context's `run`), or the
    task itself for a single-step job (and for a chain sent before contexts
    carried their run: only its last task then knows the run)."""
    context = chain_context(args) or {}
    return str(context.get("run") or task_id)


def cancel_run(run: str | AsyncResult[Any]) -> bool:
    """Cancel the run `run` (a handle `start_<job>` returned, or its id).

    True when the run ends cancelled (by this call or an earlier one); False
    when it had already completed or failed, or its last step had just
    completed: then nothing is changed. An id Celery has never seen looks
    like a queued run (PENDING), as it does to `revoke`, and is cancelled.
    """
    app = spec.app()
    run_id = run if isinstance(run, str) else run.id
    state: str = AsyncResult(run_id, app=app).state
    if state in states.READY_STATES and state != states.REVOKED:
        return False
    if not results_redis().eval(_CANCEL, 1, run_key(run_id), spec.CLAIM_TTL):
        return False
    app.backend.mark_as_revoked(run_id, REASON)
    app.control.revoke(run_id)  # after REVOKED: workers leave a ready state as it is
    return True


def cancelled(run_id: str) -> bool:
    """Whether the run was cancelled (a task reads this before it starts)."""
    return bool(results_redis().get(run_key(run_id)) == CANCELLED)


def claim_outcome(run_id: str) -> bool:
    """Claim the run's outcome for the calling task (about to store its last
    result or a failure for good); False when the run was cancelled first."""
    claim = results_redis().eval(_CLAIM_OUTCOME, 1, run_key(run_id), spec.CLAIM_TTL)
    return bool(claim)
