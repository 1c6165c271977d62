"""Worker processes of generated projects, for the tests and the benchmarks.

A Celery worker is `celery -A <project>.celery_app worker`, a Temporal worker
`python -m <project>.temporal_worker`, each with PYTHONPATH set to the output
folder and the repository (for the handlers). Each runs in a session of its
own, so `kill()` SIGKILLs the whole process group, a Celery worker's pool
processes included: what a machine that dies does to them.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from harness import ROOT
from harness.cli import binary
from lichc.devstack.servers import StackError, wait_until


class WorkerProcess:
    def __init__(self, process: subprocess.Popen[bytes], name: str, log: Path) -> None:
        self.process = process
        self.name = name
        self.log = log

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self) -> None:
        """SIGKILL the whole worker, children included (a machine crash)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self, timeout: float = 20) -> int | None:
        """SIGTERM (a warm shutdown), SIGKILL if it does not end in time."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.process.returncode

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def start(
    command: list[str], env: dict[str, str], cwd: Path, log: Path, name: str
) -> WorkerProcess:
    with log.open("ab") as stream:
        process = subprocess.Popen(
            command,
            env={**os.environ, **env},
            cwd=cwd,
            stdout=stream,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return WorkerProcess(process, name, log)


def pythonpath(out_dir: Path) -> str:
    return os.pathsep.join([str(out_dir), str(ROOT)])


@contextmanager
def celery_worker(
    app: Any,
    out_dir: Path,
    project: str,
    env: dict[str, str],
    name: str,
    *,
    queues: list[str] | None = None,
    concurrency: int = 2,
    module: str = "",
    loglevel: str = "INFO",
) -> Iterator[WorkerProcess]:
    """A real `celery worker` process, ready once it answers a ping through `app`.

    `module` is what `-A` loads, the project's celery_app unless given (a
    module that registers more tasks on the same app).
    """
    node = f"{name}@{socket.gethostname()}"
    command = [
        binary("celery"),
        "-A",
        module or f"{project}.celery_app",
        "worker",
        f"--loglevel={loglevel}",
        f"--concurrency={concurrency}",
        "--pool=prefork",
        f"--hostname={node}",
        "--without-gossip",
        "--without-mingle",
    ]
    if queues:
        command.append(f"--queues={','.join(queues)}")
    worker = start(
        command,
        {**env, "PYTHONPATH": pythonpath(out_dir)},
        out_dir.parent,
        out_dir.parent / f"{name}.log",
        node,
    )

    def answers() -> bool:
        if worker.process.poll() is not None:
            raise StackError(f"worker {node} exited:\n{worker.output()[-3000:]}")
        return bool(app.control.ping(destination=[node], timeout=0.5))

    try:
        wait_until(answers, f"celery worker {node}", 90)
        yield worker
    finally:
        worker.stop()


@contextmanager
def temporal_worker(
    out_dir: Path, project: str, address: str, name: str = "temporal-worker"
) -> Iterator[WorkerProcess]:
    """`python -m <project>.temporal_worker` against the server at `address`."""
    worker = start(
        [sys.executable, "-m", f"{project}.temporal_worker"],
        {"TEMPORAL_ADDRESS": address, "PYTHONPATH": pythonpath(out_dir)},
        out_dir.parent,
        out_dir.parent / f"{name}.log",
        name,
    )
    try:
        yield worker
    finally:
        worker.stop(timeout=60)
