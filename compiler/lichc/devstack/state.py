"""The state folder of `lichc dev` (default `.lichc-dev/` beside jobs.yaml).

It holds the Temporal history (`temporal.db`), Redis's append-only file
(`redis/`), beat's schedule file, a lock held while the stack runs, and
`stack.json`: what the running stack set (ports, environment), so
`lichc run`/`signal`/`status` in another shell talk to it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from lichc.devstack.servers import StackError

STATE_DIR = ".lichc-dev"
STACK_FILE = "stack.json"
LOCK_FILE = "lock"
# Set for `lichc dev --then COMMAND`: the private stack COMMAND runs against.
STATE_ENV = "LICHC_DEV_STATE"


@dataclass(frozen=True)
class StackInfo:
    pid: int
    project: str
    spec: str
    env: dict[str, str]  # the variables the stack set for the generated code


def state_dir_of(spec_dir: Path) -> Path:
    return spec_dir / STATE_DIR


@contextlib.contextmanager
def holding_lock(state_dir: Path) -> Iterator[None]:
    """Exclusive use of a state folder while a stack runs on it."""
    state_dir.mkdir(parents=True, exist_ok=True)
    with (state_dir / LOCK_FILE).open("a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            running = read_running(state_dir, locked_by_us=True)
            who = f" (pid {running.pid})" if running else ""
            raise StackError(
                f"lichc dev already runs on {state_dir}{who}: stop it first, or "
                "use `lichc run` against it"
            ) from None
        try:
            yield
        finally:
            (state_dir / STACK_FILE).unlink(missing_ok=True)


def write_info(state_dir: Path, info: StackInfo) -> None:
    path = state_dir / STACK_FILE
    temp = path.with_suffix(".tmp")
    temp.write_text(json.dumps(asdict(info), indent=2) + "\n", encoding="utf-8")
    os.replace(temp, path)


def read_running(state_dir: Path, *, locked_by_us: bool = False) -> StackInfo | None:
    """The stack that runs on `state_dir` now, or None (its lock is free)."""
    try:
        data = json.loads((state_dir / STACK_FILE).read_text(encoding="utf-8"))
        info = StackInfo(
            int(data["pid"]), str(data["project"]), str(data["spec"]), dict(data["env"])
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if locked_by_us:
        return info
    try:
        with (state_dir / LOCK_FILE).open("a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return info  # the lock is held: a stack runs
    except OSError:
        return None
    return None  # left by a stack that was killed


def running_stack(spec_dir: Path) -> StackInfo | None:
    """The stack `lichc run` should talk to: `--then`'s, else the spec's `lichc dev`."""
    chosen = os.environ.get(STATE_ENV)
    return read_running(Path(chosen) if chosen else state_dir_of(spec_dir))
