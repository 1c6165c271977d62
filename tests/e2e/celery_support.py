"""Build a spec with lichc and run its generated Celery code on real workers.

Workers are `celery -A <project>.celery_app worker` processes against the
session's redis-server, with PYTHONPATH set to the output folder and the
repository (for the handlers). Readiness is a real control-channel ping.
"""

from __future__ import annotations

import gc
import importlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.support.cli import run_lichc
from tests.support.servers import RedisServer, wait_until

ROOT = Path(__file__).resolve().parents[2]


def celery_binary() -> str:
    beside = Path(sys.executable).parent / "celery"
    return str(beside) if beside.exists() else "celery"


def build(folder: Path, spec: str) -> Path:
    """Write jobs.yaml into `folder`, run `lichc build`, return the output folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "jobs.yaml").write_text(spec, encoding="utf-8")
    result = run_lichc("build", cwd=folder)
    assert result.code == 0, result.out + result.err
    return folder / "generated"


@dataclass
class Project:
    """A generated package, imported in the test process as a client would."""

    out_dir: Path
    name: str
    redis: RedisServer

    def env(self) -> dict[str, str]:
        return {
            "REDIS_URL": self.redis.url(0),
            "REDIS_RESULT_URL": self.redis.url(1),
        }

    def module(self, name: str) -> ModuleType:
        return importlib.import_module(f"{self.name}.{name}")

    @property
    def app(self) -> Any:
        return self.module("celery_app").app

    @property
    def client(self) -> ModuleType:
        """`<project>.client`: every job's start function."""
        return self.module("client")

    @property
    def celery_client(self) -> ModuleType:
        """The Celery start functions alone (no Temporal import)."""
        return self.module("celery_client")


@contextmanager
def project(tmp: Path, spec: str, name: str, redis: RedisServer) -> Iterator[Project]:
    """Build `spec`, point the environment at the test Redis, import the package."""
    out_dir = build(tmp, spec)
    found = Project(out_dir, name, redis)
    with pytest.MonkeyPatch.context() as patch:
        for key, value in found.env().items():
            patch.setenv(key, value)
        patch.syspath_prepend(str(out_dir))
        try:
            yield found
        finally:
            # Result handles unsubscribe from Redis when collected: do it while
            # Redis still runs, then close the app's connections.
            gc.collect()
            if f"{name}.celery_app" in sys.modules:
                found.app.close()
            for module in [m for m in sys.modules if m.split(".")[0] == name]:
                del sys.modules[module]


class Worker:
    def __init__(self, process: subprocess.Popen[bytes], node: str, log: Path) -> None:
        self.process = process
        self.node = node
        self.log = log

    def pids(self) -> list[int]:
        """The worker's pool processes (its children)."""
        import psutil

        return [c.pid for c in psutil.Process(self.process.pid).children()]

    def kill(self) -> None:
        """SIGKILL the whole worker, pool processes included (a machine crash)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # warm shutdown
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@contextmanager
def worker(
    proj: Project,
    name: str,
    *,
    queues: list[str] | None = None,
    concurrency: int = 2,
) -> Iterator[Worker]:
    """A real `celery worker` process, ready when it answers a ping."""
    node = f"{name}@{socket.gethostname()}"
    log = proj.out_dir.parent / f"{name}.log"
    command = [
        celery_binary(),
        "-A",
        f"{proj.name}.celery_app",
        "worker",
        "--loglevel=INFO",
        f"--concurrency={concurrency}",
        "--pool=prefork",
        f"--hostname={node}",
        "--without-gossip",
        "--without-mingle",
    ]
    if queues:
        command.append(f"--queues={','.join(queues)}")
    env = {
        **os.environ,
        **proj.env(),
        "PYTHONPATH": os.pathsep.join([str(proj.out_dir), str(ROOT)]),
    }
    with log.open("ab") as stream:
        process = subprocess.Popen(
            command,
            env=env,
            cwd=proj.out_dir.parent,
            stdout=stream,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Worker(process, node, log)
    try:
        wait_until(lambda: _answers(proj, running), f"celery worker {node}", 90)
        yield running
    finally:
        running.stop()


def _answers(proj: Project, running: Worker) -> bool:
    if running.process.poll() is not None:
        pytest.fail(f"worker {running.node} exited:\n{running.output()[-3000:]}")
    replies = proj.app.control.ping(destination=[running.node], timeout=0.5)
    return bool(replies)
