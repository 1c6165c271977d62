"""`args` on a single-step Temporal job (Temporal's hello sample): the
workflow passes literals and `${input.X}` references to its one activity, on
a real server and worker. The workflow is started by its type's name, the
job's name (docs/temporal.md, "Names you can rely on")."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from harness.cli import build
from harness.workers import temporal_worker
from tests.support.temporal import Server

pytestmark = pytest.mark.e2e

SPEC = """\
version: 1
project: e2e_targs
jobs:
  Greet:
    engine: temporal
    queue: targs
    run: tests.e2e.handlers.greetings:compose_greeting
    input: {name: str, punctuation: {type: str, default: "!"}}
    args: {greeting: Hello, name: "${input.name}", punctuation: "${input.punctuation}",
           times: 2, tags: [a, b], extra: {lang: en}}
  Fixed:
    engine: temporal
    queue: targs
    run: tests.e2e.handlers.greetings:compose_greeting
    args: {greeting: Hey, name: world, loud: true}
"""


def test_literal_and_input_args_reach_the_handler(
    temporal: Server, tmp_path: Path
) -> None:
    output = build(tmp_path, SPEC)
    key = uuid.uuid4().hex
    with temporal_worker(output, "e2e_targs", temporal.address) as worker:
        greeted = temporal.run(
            temporal.client.execute_workflow(
                "Greet", {"name": "Ada"}, id=f"greet-{key}", task_queue="targs"
            )
        )
        fixed = temporal.run(
            temporal.client.execute_workflow(
                "Fixed", {}, id=f"fixed-{key}", task_queue="targs"
            )
        )
        assert worker.stop(timeout=60) == 0, worker.output()[-3000:]
    assert greeted == {
        "text": "Hello, Ada! Hello, Ada!",
        "args": {
            "greeting": "Hello",
            "name": "Ada",
            "punctuation": "!",
            "times": 2,
            "loud": False,
            "tags": ["a", "b"],
            "extra": {"lang": "en"},
        },
    }
    assert fixed["text"] == "HEY, WORLD!"
    assert fixed["args"]["loud"] is True
