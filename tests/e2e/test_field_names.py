"""Input fields and handlers named like the generated code's own names.

Start functions take input fields as parameters, and activities take them
too: a field called `app`, `uuid` or like a handler's module must not hide
what the generated code means by that name; nor may a handler called
`context` or `result` hide a task's own variable. Each job below runs on a
real server and must reach its handler with every value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

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


def test_temporal_fields_named_like_modules_and_helpers(
    temporal: Server, tmp_path: Path
) -> None:
    output = cs.build(tmp_path, TEMPORAL_SPEC)
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
