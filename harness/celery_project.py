"""Build a spec with lichc and run its generated Celery code on real workers.

Workers are `celery -A <project>.celery_app worker` processes against a real
redis-server (harness/workers.py). Readiness is a real control-channel ping.
"""

from __future__ import annotations

import gc
import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from harness import workers
from harness.cli import build
from lichc.engines.celery.servers import RedisServer


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


def done_at(meta: dict[str, Any]) -> float:
    """When a task's result was stored (its `date_done`; UTC when it has no
    zone), in seconds since the epoch."""
    moment = datetime.fromisoformat(meta["date_done"])
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


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


@contextmanager
def worker(
    proj: Project,
    name: str,
    *,
    queues: list[str] | None = None,
    concurrency: int = 2,
    module: str = "",
    loglevel: str = "INFO",
) -> Iterator[workers.WorkerProcess]:
    """A real `celery worker` process for `proj`, ready when it answers a ping
    (`module`, `loglevel`: see workers.celery_worker)."""
    with workers.celery_worker(
        proj.app,
        proj.out_dir,
        proj.name,
        proj.env(),
        name,
        queues=queues,
        concurrency=concurrency,
        module=module,
        loglevel=loglevel,
    ) as running:
        yield running
