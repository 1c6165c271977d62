"""The Celery client's start options (tests/e2e/specs/start_options.yaml) on a
real worker process and Redis. The worker listens on `cother` alone, so
whatever runs went there through `queue=`; a start without it stays on the
spec's queue `cstart`. An explicit id is the run's task id and is sent once
per id, `delay=` holds the first message back, an id the job's `id`
template contradicts is refused, and a chain takes all three."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis as redis_client

from lichc.engines.celery.servers import RedisServer
from tests.e2e import celery_support as cs
from tests.e2e.handlers import celery_jobs as handlers

pytestmark = pytest.mark.e2e

SPEC = (Path(__file__).parent / "specs" / "start_options.yaml").read_text()
DEADLINE = 60  # seconds for anything a worker does, on a busy machine
OTHER = "cother"


@pytest.fixture(scope="module")
def proj(
    tmp_path_factory: pytest.TempPathFactory, redis: RedisServer
) -> Iterator[cs.Project]:
    folder = tmp_path_factory.mktemp("celery-start")
    with cs.served(
        folder, SPEC, "e2e_start", redis, "cstart", queues=[OTHER]
    ) as served:
        yield served


def new_key() -> str:
    return uuid.uuid4().hex


def test_an_explicit_id_on_another_queue_after_a_delay_runs_once(
    proj: cs.Project,
) -> None:
    client = proj.module("celery_client")
    key = new_key()
    sent = time.time()
    first = client.start_stamp(
        key=key, id=f"stamp-{key}", queue=OTHER, delay=timedelta(seconds=1.5)
    )
    again = client.start_stamp(key=key, id=f"stamp-{key}", queue=OTHER)
    ran_at = first.get(timeout=DEADLINE)
    assert first.id == again.id == f"stamp-{key}"
    assert ran_at - sent >= 1.5
    assert len(handlers.calls(key)) == 1  # the second start sent nothing

    with pytest.raises(ValueError, match=r"does not match .*'claim-\{key\}'"):
        client.start_claim(key=key, id="claim-other")
    claimed = client.start_claim(key=key, id=f"claim-{key}", queue=OTHER)
    assert claimed.id == f"claim-{key}"
    assert claimed.get(timeout=DEADLINE) > ran_at

    # without `queue=` the message waits on the spec's queue, which no worker serves
    broker = redis_client.Redis.from_url(proj.redis.url(0))
    queued = broker.llen("cstart")
    client.start_stamp(key=new_key())
    assert broker.llen("cstart") == queued + 1
    broker.delete("cstart")


def test_a_chain_takes_the_id_queue_and_delay(proj: cs.Project) -> None:
    client = proj.module("celery_client")
    key = new_key()
    sent = time.time()
    result = client.start_chain(
        key=key, id=f"chain-{key}", queue=OTHER, delay=timedelta(seconds=1)
    )
    assert result.id == f"chain-{key}"
    assert result.get(timeout=DEADLINE) == {"step": "second"}
    calls = handlers.calls(key)
    assert [c["step"] for c in calls] == ["first", "second"]
    assert calls[0]["at"] - sent >= 1.0
