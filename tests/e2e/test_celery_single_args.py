"""`args` on a single-step Celery job: the client still sends the job's
input as keyword arguments to task `<project>.<job>` (docs/celery.md, "Names
you can rely on"), and the task calls the handler with the literals and
`${input.X}` references of `args` (defaults filled), on a real worker and
Redis."""

from __future__ import annotations

from pathlib import Path

import pytest

from lichc.engines.celery.servers import RedisServer
from tests.e2e import celery_support as cs

pytestmark = pytest.mark.e2e

SPEC = """\
version: 1
project: e2e_cargs
jobs:
  Greet:
    engine: celery
    queue: cargs
    run: tests.e2e.handlers.greetings:compose_greeting
    input: {name: str, punctuation: {type: str, default: "?"}}
    args: {greeting: Hi, name: "${input.name}", punctuation: "${input.punctuation}",
           times: 2, tags: [x], extra: {n: 1}}
  Fixed:
    engine: celery
    queue: cargs
    run: tests.e2e.handlers.greetings:compose_greeting
    args: {greeting: Hey, name: world, loud: true}
"""
DEADLINE = 60  # seconds, on a busy machine


def test_literal_and_input_args_reach_the_handler(
    redis: RedisServer, tmp_path: Path
) -> None:
    with cs.served(
        tmp_path, SPEC, "e2e_cargs", redis, "cargs", queues=["cargs"]
    ) as proj:
        client = proj.celery_client
        greeted = client.start_greet(name="Ada")
        fixed = client.start_fixed()
        assert greeted.get(timeout=DEADLINE) == {
            "text": "Hi, Ada? Hi, Ada?",
            "args": {
                "greeting": "Hi",
                "name": "Ada",
                "punctuation": "?",
                "times": 2,
                "loud": False,
                "tags": ["x"],
                "extra": {"n": 1},
            },
        }
        assert fixed.get(timeout=DEADLINE)["text"] == "HEY, WORLD!"
        # by its task's name, with the job's input as kwargs, as a caller
        # without the generated client sends it
        raw = proj.app.send_task("e2e_cargs.greet", kwargs={"name": "Bo"})
        assert raw.get(timeout=DEADLINE)["text"] == "Hi, Bo? Hi, Bo?"
