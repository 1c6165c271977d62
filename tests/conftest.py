from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    # `examples`, `harness` and `tests` import from the checkout
    sys.path.insert(0, str(ROOT))

from lichc.engines.celery.servers import RedisServer, redis_server  # noqa: E402


@pytest.fixture(scope="session")
def redis() -> Iterator[RedisServer]:
    """A real redis-server for the whole session (fails, never skips)."""
    with redis_server() as server:
        yield server
