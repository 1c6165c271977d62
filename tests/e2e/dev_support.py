"""Run `lichc dev` and `lichc run` as a user does: real processes, real signals.

`Dev` starts `lichc dev` in a folder, collects its output, and records every
process it ever had below it (sampled with psutil), so a test can check that
none is left once it has stopped.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import psutil

from lichc.devstack.servers import StackError, port_is_free, wait_until

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 90.0  # seconds for the stack to start or stop on a busy 2-core machine


def lichc_env(**extra: str) -> dict[str, str]:
    """The environment of a user's shell: the handlers of tests/ importable,
    and the lichc of this checkout."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("REDIS_URL", "TEMPORAL_ADDRESS")
    }
    # this checkout's lichc (not another one installed editable) and handlers
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "compiler"), str(ROOT)])
    env.update(extra)
    return env


class Dev:
    """A `lichc dev` process and everything it started."""

    def __init__(
        self, folder: Path, *args: str, env: dict[str, str] | None = None
    ) -> None:
        self.folder = folder
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lichc", "dev", *args],
            cwd=folder,
            env=env or lichc_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self.seen: dict[int, float] = {}  # pid -> create time, of every descendant
        self._done = threading.Event()
        self._threads = [
            threading.Thread(target=self._read, daemon=True),
            threading.Thread(target=self._sample, daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def _sample(self) -> None:
        try:
            me = psutil.Process(self.process.pid)
            while not self._done.wait(0.05):
                for child in me.children(recursive=True):
                    with contextlib.suppress(psutil.NoSuchProcess):
                        self.seen.setdefault(child.pid, child.create_time())
        except psutil.NoSuchProcess:
            return

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, text: str, deadline: float = DEADLINE) -> None:
        def printed() -> bool:
            if text in self.output:
                return True
            if self.process.poll() is None:
                return False
            self._threads[0].join(10)  # the last of what it printed
            if text in self.output:
                return True
            raise StackError(
                f"lichc dev exited ({self.process.returncode}) before {text!r}:\n{self.output}"
            )

        wait_until(printed, f"{text!r} from lichc dev", deadline)

    def state(self) -> dict[str, Any]:
        """The stack.json the running stack wrote."""
        data: dict[str, Any] = json.loads(
            (self.folder / ".lichc-dev" / "stack.json").read_text()
        )
        return data

    def child(self, *words: str) -> psutil.Process:
        """The direct child whose command line has all of `words`."""
        for child in psutil.Process(self.process.pid).children():
            if all(word in " ".join(child.cmdline()) for word in words):
                return child
        raise AssertionError(f"no child with {words}:\n{self.output}")

    def interrupt(self) -> int:
        """Ctrl-C, then wait for lichc dev to exit; returns its exit code."""
        self.process.send_signal(signal.SIGINT)
        return self.wait()

    def wait(self) -> int:
        try:
            code = self.process.wait(timeout=DEADLINE)
        finally:
            self._done.set()
            for thread in self._threads:
                thread.join(10)
        return code

    def survivors(self) -> list[psutil.Process]:
        """Descendants that still run (zombies waiting for init do not count)."""
        alive = []
        for pid, created in self.seen.items():
            try:
                process = psutil.Process(pid)
                if (
                    process.create_time() == created
                    and process.status() != psutil.STATUS_ZOMBIE
                ):
                    alive.append(process)
            except psutil.NoSuchProcess:
                continue
        return alive

    def kill(self) -> None:
        """Last resort for a failed test: nothing may outlive it."""
        if self.process.poll() is None:
            self.process.kill()
            self.wait()
        for process in self.survivors():
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()


def ports_free(ports: list[int]) -> bool:
    return all(port_is_free(p) for p in ports)


def lichc(
    folder: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`lichc ARGS` in its own process, as from a second shell."""
    return subprocess.run(
        [sys.executable, "-m", "lichc", *args],
        cwd=folder,
        env=env or lichc_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        check=False,
    )


def lichc_json(folder: Path, *args: str) -> Any:
    """The JSON printed by a successful `lichc ARGS`."""
    done = lichc(folder, *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)
