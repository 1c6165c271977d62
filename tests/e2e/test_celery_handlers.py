"""A Celery worker whose handler cannot take what its job passes refuses to
start, naming the handler, instead of failing each task with a TypeError."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from harness.cli import binary, build
from harness.workers import pythonpath, start
from lichc.engines.celery.servers import RedisServer

pytestmark = pytest.mark.e2e

SPEC = """\
version: 1
project: e2e_refuse
jobs:
  Greet:
    engine: celery
    run: greeter:greet
    input: {name: str}
"""


def test_a_celery_worker_refuses_to_start_with_a_mismatched_handler(
    redis: RedisServer, tmp_path: Path
) -> None:
    (tmp_path / "greeter.py").write_text(
        "def greet(name: str) -> str:\n    return name\n", encoding="utf-8"
    )
    output = build(tmp_path, SPEC)
    # after the build, the handler wants an argument the job never supplies
    (tmp_path / "greeter.py").write_text(
        "def greet(name: str, title: str) -> str:\n    return f'{title} {name}'\n",
        encoding="utf-8",
    )
    command = [
        binary("celery"),
        "-A",
        "e2e_refuse.celery_app",
        "worker",
        "--pool=solo",
        f"--hostname=refuse@{socket.gethostname()}",
        "--without-gossip",
        "--without-mingle",
    ]
    env = {
        "REDIS_URL": redis.url(0),
        "REDIS_RESULT_URL": redis.url(1),
        "PYTHONPATH": pythonpath(output),
    }
    worker = start(command, env, tmp_path, tmp_path / "refuse.log", "refuse")
    try:
        code = worker.process.wait(timeout=90)
    except subprocess.TimeoutExpired:
        worker.stop()
        pytest.fail("the worker started with a mismatched handler")
    log = worker.output()
    assert code != 0, log[-3000:]
    assert "greeter:greet cannot be called with name" in log, log[-3000:]
    assert "missing a required argument: 'title'" in log
