"""Job ids: the client claims a job's `id` in Redis before sending it, so a
job with an id is sent once however many times it is started."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from functools import cache
from typing import Any

import redis
from celery import states
from celery.result import AsyncResult

from . import spec
from .policy import logger

CLAIM_POLL = 0.05  # seconds between looks at another client's pending claim


@cache
def results_redis() -> redis.Redis:
    return redis.Redis.from_url(spec.result_backend_url())


@cache
def broker_redis() -> redis.Redis:
    return redis.Redis.from_url(spec.broker_url())


def send_once(
    task_id: str | None, send: Callable[[], AsyncResult[Any]]
) -> AsyncResult[Any]:
    """Send a job with an `id` unless a job with that id was already started
    (a job without one, `task_id` None, is simply sent).

    The id is claimed with SET NX while the message is sent, for longer than
    a send can take (`pending_claim_ttl`), then for CLAIM_TTL seconds. A
    second start returns the first one's result handle once that one is sent;
    while it is being sent the second start waits. A claimer that dies before
    sending leaves a pending claim that expires (a failed send deletes it at
    once): the next start then claims the id (SET NX again, so one of several
    does) and sends, unless the job has a state already (then it was sent).
    """
    if task_id is None:
        return send()
    app = spec.app()

    key = f"{spec.KEY_PREFIX}id:{task_id}"
    client = results_redis()
    pending = f"sending:{uuid.uuid4().hex}"
    ttl = pending_claim_ttl(app.conf)
    give_up = time.monotonic() + 2 * ttl
    while not client.set(key, pending, nx=True, ex=ttl):
        raw: Any = client.get(key)
        claim = raw.decode() if isinstance(raw, bytes) else raw
        if claim is not None and not claim.startswith("sending"):
            return AsyncResult(task_id, app=app)  # sent by an earlier start
        if time.monotonic() > give_up:
            raise TimeoutError(f"the id {task_id} stays claimed but is never sent")
        time.sleep(CLAIM_POLL)  # pending (or just lapsed): look again
    result: AsyncResult[Any] = AsyncResult(task_id, app=app)
    if result.state != states.PENDING:
        # a lapsed claim whose message was sent after all: it has run
        mark_sent(client, key, pending)
        return result
    try:
        result = send()
    except BaseException:
        release_claim(client, key, pending)
        raise
    mark_sent(client, key, pending)
    return result


def pending_claim_ttl(conf: Any) -> int:
    """Seconds a pending claim lasts: CLAIM_PENDING_TTL more than the longest
    a send can take, every try of task_publish_retry_policy waiting
    broker_connection_timeout and the intervals between tries."""
    policy = conf.task_publish_retry_policy or {}
    tries = int(policy.get("max_retries") or 0) + 1
    start = float(policy.get("interval_start") or 0)
    step = float(policy.get("interval_step") or 0)
    most = float(policy.get("interval_max") or 0)
    waits = sum(min(most, start + step * n) for n in range(tries - 1))
    send = tries * float(conf.broker_connection_timeout or 0) + waits
    return int(spec.CLAIM_PENDING_TTL + send) + 1


def mark_sent(client: redis.Redis, key: str, pending: str) -> bool:
    """Mark the id sent if the pending claim is still this client's; log an
    error (another start may have sent the job too) when it is not."""
    marked = client.eval(
        "if redis.call('get', KEYS[1]) == ARGV[1] then"
        " return redis.call('set', KEYS[1], 'sent', 'EX', ARGV[2]) and 1 end"
        " return 0",
        1,
        key,
        pending,
        spec.CLAIM_TTL,
    )
    if not marked:
        logger.error(
            "the claim %s lapsed while its job was sent: it may have been sent twice",
            key,
        )
    return bool(marked)


def release_claim(client: redis.Redis, key: str, pending: str) -> None:
    """Delete a pending claim if it is still this client's (it may have lapsed
    and been taken by another start meanwhile)."""
    client.eval(
        "if redis.call('get', KEYS[1]) == ARGV[1] then"
        " return redis.call('del', KEYS[1]) end return 0",
        1,
        key,
        pending,
    )
