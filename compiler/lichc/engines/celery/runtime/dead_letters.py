"""Dead letters: the failures of jobs with `dead_letter`, kept in the broker's
Redis for the queue's retention, listed and replayed by `lichc dlq`."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from celery.result import AsyncResult

from . import spec
from .ids import broker_redis
from .policy import job_deadline, logger

# The dead-letter queue of messages for tasks no worker knows (a job or step
# removed or renamed while its messages were queued); `:` is in no queue name.
UNREGISTERED = "lichc:unregistered"


class DeadLetters:
    """One dead-letter queue in the broker's Redis: a hash of JSON records and
    a sorted set of when each expires. Expired records are removed whenever the
    queue is written or read; both keys expire with the newest record."""

    def __init__(self, queue: str) -> None:
        self.queue = queue
        self.key = f"{spec.KEY_PREFIX}dlq:{queue}"
        self.expiry_key = f"{spec.KEY_PREFIX}dlq-expiry:{queue}"  # not matched by all()
        self.retention = spec.DEAD_LETTER_RETENTION.get(queue, spec.DEFAULT_RETENTION)

    @classmethod
    def all(cls) -> list[DeadLetters]:
        keys = broker_redis().scan_iter(match=f"{spec.KEY_PREFIX}dlq:*")
        names = sorted(k.decode().removeprefix(f"{spec.KEY_PREFIX}dlq:") for k in keys)
        return [cls(name) for name in names]

    def add(self, record: dict[str, Any]) -> str:
        record_id = uuid.uuid4().hex[:12]
        record = {
            "id": record_id,
            "queue": self.queue,
            "failed_at": datetime.now(UTC).isoformat(timespec="seconds"),
            **record,
        }
        expires = time.time() + self.retention
        pipe = broker_redis().pipeline()
        pipe.hset(self.key, record_id, json.dumps(record, default=repr))
        pipe.zadd(self.expiry_key, {record_id: expires})
        for key in (self.key, self.expiry_key):
            pipe.expireat(key, int(expires) + 1)
        pipe.execute()
        self.prune()
        return record_id

    def prune(self) -> None:
        """Remove the records whose retention has passed."""
        client = broker_redis()
        expired = client.zrangebyscore(self.expiry_key, "-inf", time.time())
        if expired:
            client.hdel(self.key, *expired)
            client.zrem(self.expiry_key, *expired)

    def records(self) -> list[dict[str, Any]]:
        self.prune()
        raw = broker_redis().hgetall(self.key)
        found = [json.loads(value) for value in raw.values()]
        return sorted(found, key=lambda r: (r["failed_at"], r["id"]))

    def get(self, record_id: str) -> dict[str, Any] | None:
        self.prune()
        raw = broker_redis().hget(self.key, record_id)
        return None if raw is None else dict(json.loads(raw))

    def replay(
        self, record_id: str, deadline: float | None = None
    ) -> AsyncResult[Any] | None:
        """Send the task again (same id, arguments and rest of its chain); the
        record is removed only once the message is sent. `deadline` (seconds
        since the epoch) replaces the job deadline a chain step carries, which
        the rest of the chain inherits."""
        app = spec.app()

        record = self.get(record_id)
        if record is None:
            return None
        args = record["args"]
        if deadline is not None and job_deadline(args) is not None:
            args = [{**args[0], "deadline": deadline}, *args[1:]]
        result = app.send_task(
            record["task"],
            args=args,
            kwargs=record["kwargs"],
            task_id=record["task_id"],
            chain=record["chain"] or None,
        )
        broker_redis().hdel(self.key, record_id)
        broker_redis().zrem(self.expiry_key, record_id)
        return result


def find_dead_letter(record_id: str) -> DeadLetters | None:
    for queue in DeadLetters.all():
        if queue.get(record_id) is not None:
            return queue
    return None


def keep_unregistered(
    sender: Any = None,
    message: Any = None,
    exc: BaseException | None = None,
    name: str = "",
    id: str = "",
    **_: Any,
) -> None:
    """Celery's `task_unknown` signal: a message for a task this worker does
    not have is rejected, so without this it would be lost. Kept instead as a
    dead letter, listed by `lichc dlq list` and replayable once the task is
    back. Runs in the worker's main process, where it was received."""
    try:
        args, kwargs, embed = message.decode()
    except Exception:  # not a protocol 2 body: keep what the headers say
        args, kwargs, embed = [], {}, {}
    record = {
        "task": name,
        "task_id": id,
        "args": list(args),
        "kwargs": dict(kwargs),
        "chain": (embed or {}).get("chain") or [],
        "error": f"celery.exceptions.NotRegistered: {name!r} is not a task of "
        "this worker (removed from jobs.yaml, or renamed, while it was queued)",
        "traceback": "",
        "attempts": 0,
    }
    try:
        DeadLetters(UNREGISTERED).add(record)
    except Exception:
        logger.exception("could not keep the message for unknown task %s[%s]", name, id)
