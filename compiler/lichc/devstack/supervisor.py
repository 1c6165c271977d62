"""Run the processes of a stack, show their output, and stop all of them.

Every child starts in a session (and process group) of its own, so the
terminal's Ctrl-C reaches only lichc, which stops the children in order:
workers first (SIGTERM: Celery's warm shutdown, the Temporal worker's
graceful one), then the servers; a group still alive after the grace period
is killed whole (SIGKILL to the group, pool processes included). A child's
exit is noticed without reaping it (`waitid(WNOWAIT)`), so its process group
id cannot be reused before the rest of the group is killed. On Linux each
child also gets SIGTERM if lichc itself dies (PR_SET_PDEATHSIG).

Single-threaded: output of every child is read with `selectors`, and the
signal handlers only count signals, which the loops check.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import FrameType

import click

from lichc.devstack.servers import STARTUP_DEADLINE, StackError
from lichc.devstack.services import Service

TAIL_LINES = 30
PROBE_EVERY = 0.2  # seconds between readiness probes of a server
COLORS = ("cyan", "yellow", "green", "magenta", "blue", "bright_red")


class Child:
    """A started service: its process, output and readiness."""

    def __init__(
        self, service: Service, process: subprocess.Popen[bytes], tier: int
    ) -> None:
        self.service = service
        self.process = process
        self.tier = tier  # higher tiers stop first
        self.ready = False
        self.tail: deque[str] = deque(maxlen=TAIL_LINES)
        self.partial = b""
        self.last_probe = 0.0

    @property
    def name(self) -> str:
        return self.service.name

    def exit_code(self) -> int | None:
        """The exit code once the leader has exited, without reaping it."""
        if self.process.returncode is not None:
            return self.process.returncode
        if not hasattr(os, "waitid"):  # poll() reaps: a tiny window for pid reuse
            return self.process.poll()
        try:
            info = os.waitid(
                os.P_PID, self.process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT
            )
        except ChildProcessError:
            return self.process.poll()
        if info is None:
            return None
        code = info.si_status
        return -code if info.si_code in (os.CLD_KILLED, os.CLD_DUMPED) else code

    def signal_group(self, signum: int) -> None:
        """Signal every process of the child's group (its id is the leader's pid)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signum)

    def signal_leader(self, signum: int) -> None:
        if self.exit_code() is None:  # (Popen.send_signal would reap it)
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signum)

    def reap(self) -> int:
        """Kill what is left of the group, then collect the leader's exit code."""
        self.signal_group(signal.SIGKILL)
        return self.process.wait()


def _parent_death_hook() -> Callable[[], None] | None:
    """A pre-exec hook that makes the child get SIGTERM when lichc dies (Linux).

    prctl is looked up here, in lichc, so the forked child only calls it.
    """
    if sys.platform != "linux":
        return None
    import ctypes

    prctl = ctypes.CDLL(None, use_errno=True).prctl
    pr_set_pdeathsig = 1

    def hook() -> None:
        prctl(pr_set_pdeathsig, signal.SIGTERM)

    return hook


class Supervisor:
    """Starts children, pumps their output, watches them and stops them."""

    def __init__(self, names: list[str], *, show_logs: bool, color: bool) -> None:
        self.show_logs = show_logs
        self.color = color
        self.children: list[Child] = []
        self.signals = 0
        self.width = max(map(len, names), default=0)  # prefixes line up
        self.selector = selectors.DefaultSelector()
        self.pre_exec = _parent_death_hook()

    # -- signals ---------------------------------------------------------------

    @contextlib.contextmanager
    def handling_signals(self) -> Iterator[None]:
        """SIGINT/SIGTERM/SIGHUP are counted: the first stops, the second kills."""

        def count(signum: int, frame: FrameType | None) -> None:
            self.signals += 1

        handled = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        previous = {s: signal.signal(s, count) for s in handled}
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    @property
    def stop_requested(self) -> bool:
        return self.signals > 0

    # -- output ------------------------------------------------------------------

    def say(self, message: str) -> None:
        click.echo(message)

    def _emit(self, child: Child, line: str) -> None:
        child.tail.append(line)
        if (
            not child.ready
            and child.service.ready_line
            and child.service.ready_line.search(line)
        ):
            child.ready = True
        if self.show_logs:
            index = self.children.index(child)
            prefix = f"{child.name:<{self.width}} |"
            if self.color:
                prefix = click.style(prefix, fg=COLORS[index % len(COLORS)])
            click.echo(f"{prefix} {line}")

    def pump(self, timeout: float) -> None:
        """Read whatever the children wrote within `timeout` seconds."""
        if not self.selector.get_map():
            time.sleep(timeout)
            return
        for key, _ in self.selector.select(timeout):
            child: Child = key.data
            data = os.read(key.fd, 65536)
            if not data:
                self.selector.unregister(key.fd)
                if child.partial:
                    self._emit(child, child.partial.decode(errors="replace"))
                    child.partial = b""
                continue
            *lines, child.partial = (child.partial + data).split(b"\n")
            for line in lines:
                self._emit(child, line.decode(errors="replace").rstrip("\r"))

    # -- starting ----------------------------------------------------------------

    def start(
        self,
        service: Service,
        env: Mapping[str, str],
        cwd: Path,
        tier: int,
        *,
        capture: bool = True,
    ) -> Child:
        """Start a service; `capture=False` leaves its output on lichc's own."""
        try:
            process = subprocess.Popen(
                service.argv,
                env=dict(env),
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE if capture else None,
                stderr=subprocess.STDOUT if capture else None,
                start_new_session=True,
                preexec_fn=self.pre_exec,
            )
        except OSError as error:
            raise StackError(f"cannot start {service.name}: {error}") from error
        child = Child(service, process, tier)
        self.children.append(child)
        if process.stdout is not None:
            os.set_blocking(process.stdout.fileno(), False)
            self.selector.register(process.stdout.fileno(), selectors.EVENT_READ, child)
        return child

    def wait_ready(
        self, waiting: list[Child], deadline: float = STARTUP_DEADLINE
    ) -> None:
        """Until every child is ready: its line was printed or its probe answers."""
        end = time.monotonic() + deadline
        pending = list(waiting)
        while pending:
            self.pump(0.05)
            self.check_stop()
            for child in list(pending):
                self._probe(child)
                if child.ready:
                    pending.remove(child)
                elif child.exit_code() is not None:
                    raise self.failure(child, "exited while starting")
            if time.monotonic() > end and pending:
                names = ", ".join(c.name for c in pending)
                raise self.failure(
                    pending[0], f"not ready within {deadline:.0f}s ({names})"
                )

    def _probe(self, child: Child) -> None:
        probe = child.service.probe
        now = time.monotonic()
        if probe is None or child.ready or now - child.last_probe < PROBE_EVERY:
            return
        child.last_probe = now
        with contextlib.suppress(Exception):  # not listening yet
            child.ready = bool(probe())

    def run_once(self, child: Child, deadline: float = STARTUP_DEADLINE) -> None:
        """Wait for a one-shot child; anything but exit code 0 is a failure."""
        end = time.monotonic() + deadline
        while (code := child.exit_code()) is None:
            self.pump(0.05)
            self.check_stop()
            if time.monotonic() > end:
                raise self.failure(child, f"did not finish within {deadline:.0f}s")
        self.pump(0)
        child.reap()
        if code != 0:
            raise self.failure(child, f"exited with code {code}")
        self.selector_drop(child)

    def check_stop(self) -> None:
        if self.stop_requested:
            raise StopRequested()

    def failure(self, child: Child, what: str) -> StackError:
        self.pump(0)
        tail = "" if self.show_logs else self.tail_of(child)
        return StackError(f"{child.name} {what}{tail}")

    @staticmethod
    def tail_of(child: Child) -> str:
        if not child.tail:
            return ""
        lines = "\n".join(f"  {child.name} | {line}" for line in child.tail)
        return f"; its last output:\n{lines}"

    # -- running -------------------------------------------------------------------

    def watch(self) -> Child | None:
        """Pump output until a stop is requested or a child exits.

        Returns the child that exited (a crash), else None.
        """
        while not self.stop_requested:
            self.pump(0.1)
            for child in self.children:
                if child.process.returncode is None and child.exit_code() is not None:
                    self.pump(0)
                    return child
        return None

    # -- stopping --------------------------------------------------------------------

    def stop(self, grace: float) -> None:
        """Stop every child: highest tier first, each tier given `grace` seconds."""
        for tier in sorted({c.tier for c in self.children}, reverse=True):
            group = [
                c
                for c in self.children
                if c.tier == tier and c.process.returncode is None
            ]
            for child in group:
                child.signal_leader(signal.SIGTERM)
            signals_before = self.signals
            end = time.monotonic() + grace
            while (
                any(c.exit_code() is None for c in group)
                and time.monotonic() < end
                and self.signals == signals_before  # another Ctrl-C: kill now
            ):
                self.pump(0.05)
            for child in group:
                if child.exit_code() is None:
                    self.say(
                        f"lichc dev: {child.name} did not stop in time; killing it"
                    )
                child.reap()
        self.pump(0)
        self.selector.close()
        for child in self.children:
            if child.process.stdout is not None:
                child.process.stdout.close()

    def selector_drop(self, child: Child) -> None:
        if child.process.stdout is not None:
            with contextlib.suppress(KeyError, ValueError):
                self.selector.unregister(child.process.stdout.fileno())


class StopRequested(Exception):
    """Ctrl-C or SIGTERM while the stack was starting."""
