"""The Celery runtime's fixtures (test_celery_runtime.py, test_celery_cancel.py):
the runtime package itself, with the `spec` module lichc renders for
tests.support.celery_runtime.SPEC loaded in place of the generated file, and a
Celery app on a real, private redis-server."""

from __future__ import annotations

import gc
import importlib
import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest

from lichc.engines.celery.servers import RedisServer, redis_server
from lichc.render.package.runtime import context
from tests.support.celery_runtime import rendered_spec

PACKAGE = "lichc.engines.celery.runtime"


@pytest.fixture(scope="module")
def runtime() -> Iterator[types.ModuleType]:
    """The runtime package, with the spec module lichc renders for SPEC."""
    spec = types.ModuleType(f"{PACKAGE}.spec")
    spec.__package__ = PACKAGE
    exec(compile(rendered_spec(), "spec.py", "exec"), spec.__dict__)
    # what it imports from the project's context.py: that module's source here
    spec.job_context = lambda: context.JobContext
    spec.takes_context = context.takes_context
    sys.modules[spec.__name__] = spec
    try:
        package = importlib.import_module(PACKAGE)
        package.spec = spec  # as importing a real submodule would
        yield package
    finally:
        for name in [m for m in sys.modules if m.startswith(PACKAGE)]:
            del sys.modules[name]


@pytest.fixture(scope="module")
def redis() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


@pytest.fixture
def app(
    runtime: types.ModuleType, redis: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """A Celery app on the private Redis, as the generated celery_app is."""
    from celery import Celery

    app = Celery("rt", broker=redis.url(0), backend=redis.url(1))
    spec = runtime.spec
    monkeypatch.setattr(spec, "app", lambda: app)
    monkeypatch.setattr(spec, "broker_url", lambda: redis.url(0))
    monkeypatch.setattr(spec, "result_backend_url", lambda: redis.url(1))
    runtime.ids.broker_redis.cache_clear()
    runtime.ids.results_redis.cache_clear()
    runtime.ids.broker_redis().flushall()
    yield app
    gc.collect()  # AsyncResults let go of the result backend while it runs
    runtime.ids.broker_redis.cache_clear()
    runtime.ids.results_redis.cache_clear()
