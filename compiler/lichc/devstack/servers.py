"""Local servers from pip-installed binaries: what every engine's server
needs (free ports, readiness waits, finding a console script). The servers
themselves are each engine's own: engines/<e>/servers.py.

One implementation for `lichc dev`, the tests and the benchmarks. Nothing here is
downloaded; a missing binary is an error that names the extra to install.
"""

from __future__ import annotations

import shutil
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

STARTUP_DEADLINE = 60.0  # seconds; CI machines are shared and slow
HOST = "127.0.0.1"
INSTALL_HINT = "install lichc's stack extras: pip install 'lichc[stack]'"


class StackError(RuntimeError):
    """A server or worker could not start, or the stack cannot run as asked."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    """True when a server could listen on HOST:port now (TIME_WAIT is no obstacle)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


def wait_until(
    check: Callable[[], object], what: str, deadline: float = STARTUP_DEADLINE
) -> None:
    """Poll `check()` until it returns true; raise StackError after the deadline.

    Any other exception of `check()` means "not ready yet"; a StackError means
    it never will be (say, the process exited) and is raised at once.
    """
    end = time.monotonic() + deadline
    delay = 0.01
    while True:
        try:
            if check():
                return
        except StackError:
            raise
        except Exception:  # not ready yet
            pass
        if time.monotonic() > end:
            raise StackError(f"{what} did not become ready within {deadline:.0f}s")
        time.sleep(delay)
        delay = min(delay * 2, 0.2)


def beside_python(name: str) -> str | None:
    """A console script of this interpreter's environment, or one on PATH."""
    return shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(
        name
    )
