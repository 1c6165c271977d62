"""Queued Celery messages consumed after an edit (issue 12), on real Redis and
a real worker process: messages sent by version 1's client while no worker
runs, then version 2 built over it and its worker started.

Version 2 removes input field `colour` and adds `size` with a default (the
single-step job Label and the chain Parcel), and removes job Gone, which
`lichc build` refuses as a breaking change until `--accept-breaking`. Label's
and Parcel's messages run, with `size` defaulted and `colour` dropped; Gone's
message finds no task and is kept as a dead letter, listed by `lichc dlq list`.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from harness.cli import run_lichc, write_spec
from lichc.devstack.servers import wait_until
from lichc.engines.celery.servers import RedisServer
from tests.e2e import celery_support as cs

pytestmark = pytest.mark.e2e

PROJECT = "e2e_evo_celery"
HANDLERS = "tests.e2e.handlers.evolution"
RESULT_TIMEOUT = 90


def spec(fields: str, *, gone: bool) -> str:
    text = f"""\
version: 1
project: {PROJECT}
defaults:
  retry: {{attempts: 1}}
  timeout: 30s
jobs:
  Label:
    engine: celery
    input: {{{fields}}}
    run: {HANDLERS}:echo
  Parcel:
    engine: celery
    input: {{{fields}}}
    steps:
      - {{name: first, run: {HANDLERS}:first, args: {{key: "${{input.key}}"}}}}
      - {{name: echo, run: {HANDLERS}:echo}}
"""
    if gone:
        text += f"""\
  Gone:
    engine: celery
    input: {{key: str}}
    run: {HANDLERS}:first
"""
    return text


V1 = "key: str, colour: str"
V2 = "key: str, size: {type: int, default: 3}"


def unregistered(proj: cs.Project, task_id: str) -> list[dict[str, Any]]:
    runtime = proj.module("celery_runtime")
    return [
        r
        for r in runtime.DeadLetters(runtime.dead_letters.UNREGISTERED).records()
        if r["task_id"] == task_id
    ]


def test_messages_queued_before_an_edit_run_after_it_or_become_dead_letters(
    tmp_path: Path, redis: RedisServer
) -> None:
    key = uuid.uuid4().hex[:10]
    with cs.project(tmp_path, spec(V1, gone=True), PROJECT, redis) as proj:
        client = proj.client
        # sent by version 1 while no worker runs: they wait in Redis
        label = client.start_label(key=key, colour="red")
        parcel = client.start_parcel(key=key, colour="red")
        gone = client.start_gone(key=key)

        write_spec(tmp_path, spec(V2, gone=False))
        refused = run_lichc("build", cwd=tmp_path)
        assert refused.code == 1, refused.out + refused.err
        assert "breaking change: job Gone removed or renamed" in refused.err
        assert "jobs.yaml:" in refused.err
        assert "Traceback" not in refused.err
        accepted = run_lichc("build", "--accept-breaking", cwd=tmp_path)
        assert accepted.code == 0, accepted.out + accepted.err
        assert "Gone" in accepted.out

        with cs.worker(proj, "evolved-worker") as worker:
            assert label.get(timeout=RESULT_TIMEOUT) == {"key": key, "size": 3}
            assert parcel.get(timeout=RESULT_TIMEOUT) == {"key": key, "size": 3}
            wait_until(
                lambda: unregistered(proj, gone.id),
                f"the message of removed task Gone ({gone.id}) as a dead letter",
                RESULT_TIMEOUT,
            )
            assert "ignored colour" in worker.output()
        (record,) = unregistered(proj, gone.id)
        assert record["task"] == f"{PROJECT}.gone"
        assert record["kwargs"] == {"key": key}
        assert "NotRegistered" in record["error"]
        listed = run_lichc("dlq", "list", "-f", str(tmp_path / "jobs.yaml"))
        assert listed.code == 0, listed.err
        assert gone.id in listed.out
        assert "lichc:unregistered" in listed.out
