"""Real servers for end-to-end tests, started from pip-installed binaries.

The implementation is lichc's own (`lichc.devstack.servers`, which `lichc dev`
uses): one way to find redis-server, start it and wait for it. A test that
needs a server fails (never skips) when it cannot start: the error says which
binary was tried and what it printed.
"""

from __future__ import annotations

from lichc.devstack.servers import StackError, free_port, port_is_free, wait_until
from lichc.engines.celery.servers import RedisServer, redis_server

__all__ = [
    "RedisServer",
    "StackError",
    "free_port",
    "port_is_free",
    "redis_server",
    "wait_until",
]
