"""Input fields and handlers named like the generated code's own names.

Start functions take input fields as parameters, and activities take them
too: a field called `app`, `uuid` or like a handler's module must not hide
what the generated code means by that name; nor may a handler called
`context` or `result` hide a task's own variable. Each job below runs on a
real server and must reach its handler with every value.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from harness.cli import build
from lichc.engines.celery.servers import RedisServer
from tests.e2e import celery_support as cs
from tests.support.temporal import Server, import_project

pytestmark = pytest.mark.e2e

TEMPORAL_SPEC = """\
version: 1
project: e2e_names_temporal
jobs:
  Echo:
    engine: temporal
    queue: names
    timeout: 1m
    input:
      echo: str
      error: str
      heartbeat: str
      uuid: str
      timedelta: str
      client: str
      client_: str
      fields: {type: "list[str]", default: []}
    steps:
      - name: first
        run: tests.e2e.handlers.echo:echo
        heartbeat: 5s
        timeout: 30s
        retry: {non_retryable: [tests.e2e.handlers.echo:Refused]}
"""

CELERY_SPEC = """\
version: 1
project: e2e_names_celery
jobs:
  Flow:
    engine: celery
    id: flow-{app}
    input: {app: str, chain: str, chord: str, send_once: str, new_context: str}
    steps:
      - {name: first, run: tests.e2e.handlers.echo:context, args: {app: "${input.app}"}}
      - {name: second, run: tests.e2e.handlers.echo:result, args: {chain: "${input.chain}"}}
      - name: both
        parallel:
          - {name: third, run: tests.e2e.handlers.echo:self, args: {chord: "${input.chord}"}}
"""


def test_temporal_fields_named_like_modules_and_helpers(
    temporal: Server, tmp_path: Path
) -> None:
    output = build(tmp_path, TEMPORAL_SPEC)
    modules = import_project(output, "e2e_names_temporal")
    client_module, worker = modules["temporal_client"], modules["temporal_worker"]
    values: dict[str, Any] = {
        "echo": "e",
        "error": "r",
        "heartbeat": "h",
        "uuid": "u",
        "timedelta": "t",
        "client": "c",
        "client_": "c_",
    }

    async def scenario() -> Any:
        async with worker.running(temporal.client):
            return await client_module.run_echo(temporal.client, **values, fields=["f"])

    assert temporal.run(scenario()) == {"first": {**values, "fields": ["f"]}}


def test_celery_fields_and_handlers_named_like_the_codes_own(
    tmp_path: Path, redis: RedisServer
) -> None:
    key = uuid.uuid4().hex[:8]
    with cs.served(tmp_path, CELERY_SPEC, "e2e_names_celery", redis, "names") as proj:
        result = proj.client.start_flow(
            app=key, chain="b", chord="c", send_once="d", new_context="e"
        )
        assert result.id == f"flow-{key}"
        # the chain gets here only if `context` and `result` ran as handlers
        assert result.get(timeout=60) == {"third": {"self": {"chord": "c"}}}
