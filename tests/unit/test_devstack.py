"""lichc dev's pieces without servers: what runs for a plan, how settings are
pointed at the local servers, how the supervisor stops stubborn processes,
and how a running stack is found."""

from __future__ import annotations

import os
import re
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from lichc.devstack import state
from lichc.devstack.servers import StackError, wait_until
from lichc.devstack.services import DevStack, Ports, Service, dev_stack
from lichc.devstack.supervisor import Supervisor
from tests.support.plans import plan_of

ROOT = Path(__file__).resolve().parents[2]
PORTS = Ports(16379, 17233, 18233)


def stack_of(yaml_text: str, tmp_path: Path) -> DevStack:
    return dev_stack(plan_of(yaml_text), tmp_path / "out", tmp_path, tmp_path, PORTS)


CELERY_JOB = """
  Mail:
    engine: celery
    queue: emails
    run: examples.shop.emails:send_welcome
    input: {email: str}
"""
TEMPORAL_JOB = """
  Order:
    engine: temporal
    queue: orders
    input: {order_id: str, amount: float, email: str}
    steps:
      - {name: charge, run: examples.shop.orders:charge_payment}
    schedule: {cron: "0 3 * * *", input: {order_id: o, amount: 1.0, email: a@b.c}}
"""


def test_the_shop_runs_what_compose_runs_from_this_python(tmp_path: Path) -> None:
    local = dev_stack(
        plan_of((ROOT / "jobs.yaml").read_text()), tmp_path, ROOT, tmp_path, PORTS
    )
    assert [s.name for s in local.services] == [
        "redis",
        "temporal",
        "celery-worker-emails",
        "celery-worker-images",
        "celery-worker-maintenance",
        "celery-beat",
        "temporal-worker",
    ]
    worker = local.services[2]
    assert worker.argv[:3] == (sys.executable, "-m", "celery")
    assert worker.argv[worker.argv.index("--queues") + 1] == "emails"
    beat = local.services[5]
    assert f"--schedule={tmp_path / 'celerybeat-schedule'}" in beat.argv
    temporal = local.services[1]
    assert "--db-filename" in temporal.argv
    assert str(tmp_path / "temporal.db") in temporal.argv
    assert local.services[-1].argv == (sys.executable, "-m", "shop.temporal_worker")
    assert local.settings == {
        "REDIS_URL": "redis://127.0.0.1:16379/0",
        "REDIS_RESULT_URL": "redis://127.0.0.1:16379/1",
        "TEMPORAL_ADDRESS": "127.0.0.1:17233",
    }
    assert local.env["PYTHONPATH"].split(os.pathsep)[:2] == [str(tmp_path), str(ROOT)]
    assert local.needed_ports() == {
        "Redis": 16379,
        "Temporal": 17233,
        "Temporal UI": 18233,
    }


def test_only_what_the_spec_uses(tmp_path: Path) -> None:
    celery = stack_of(f"version: 1\njobs:{CELERY_JOB}", tmp_path)
    assert [s.name for s in celery.services] == ["redis", "celery-worker-emails"]
    assert "TEMPORAL_ADDRESS" not in celery.settings
    temporal = stack_of(f"version: 1\njobs:{TEMPORAL_JOB}", tmp_path)
    assert [(s.name, s.role) for s in temporal.services] == [
        ("temporal", "server"),
        ("temporal-schedules", "once"),
        ("temporal-worker", "worker"),
    ]
    with pytest.raises(StackError, match="no jobs: nothing to run"):
        stack_of("version: 1\njobs: {}", tmp_path)


def test_variables_inside_longer_settings_get_the_local_host_and_port(
    tmp_path: Path,
) -> None:
    settings = textwrap.dedent("""\
        version: 1
        celery:
          broker: redis://${REDIS_HOST:-localhost}:${REDIS_PORT:-6379}/2
          result_backend: ${RESULTS:-rediss://cache.example.com:6380/5}
        temporal:
          address: ${TEMPORAL_HOST:-localhost}:${TEMPORAL_PORT:-7233}
          namespace: ${TEMPORAL_NAMESPACE:-payments}
          tls: ${TEMPORAL_TLS:-true}
        """)
    local = stack_of(f"{settings}jobs:{CELERY_JOB}{TEMPORAL_JOB}", tmp_path)
    assert local.settings == {
        "REDIS_HOST": "127.0.0.1",
        "REDIS_PORT": "16379",
        "RESULTS": "redis://127.0.0.1:16379/5",  # the local Redis has no TLS
        "TEMPORAL_HOST": "127.0.0.1",
        "TEMPORAL_PORT": "17233",
        "TEMPORAL_NAMESPACE": "payments",
        "TEMPORAL_TLS": "false",
    }
    assert local.namespace == "payments"
    temporal = next(s for s in local.services if s.name == "temporal")
    assert temporal.argv[temporal.argv.index("--namespace") + 1] == "payments"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            "celery: {broker: redis://cache.internal:6379/0}",
            "celery.broker: `redis://cache.internal:6379/0` gives",
        ),
        (
            "celery: {result_backend: redis://localhost:6379/1}",  # the usual port
            "not lichc dev's redis://127.0.0.1:16379",
        ),
        (
            "temporal: {address: temporal.example.com:7233}",
            "temporal.address: `temporal.example.com:7233` gives",
        ),
        ("temporal: {tls: true}", "the local dev server has no TLS"),
        (
            "temporal: {api_key: '${TEMPORAL_API_KEY}'}",
            "environment variable TEMPORAL_API_KEY is not set",
        ),
    ],
)
def test_settings_that_would_miss_the_local_servers_are_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: str, message: str
) -> None:
    monkeypatch.delenv("TEMPORAL_API_KEY", raising=False)
    spec = f"version: 1\n{settings}\njobs:{CELERY_JOB}{TEMPORAL_JOB}"
    with pytest.raises(StackError, match=re.escape(message)):
        stack_of(spec, tmp_path)


STUBBORN = """
import signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
print("ready", flush=True)
time.sleep(60)
"""


def test_a_process_ignoring_sigterm_is_killed_with_its_group_after_the_grace(
    tmp_path: Path,
) -> None:
    service = Service(
        "stubborn",
        (sys.executable, "-c", STUBBORN),
        "worker",
        ready_line=re.compile("^ready$"),
    )
    supervisor = Supervisor([service.name], show_logs=False, color=False)
    child = supervisor.start(service, dict(os.environ), tmp_path, 1)
    supervisor.wait_ready([child], deadline=30)
    leader = psutil.Process(child.process.pid)
    family = [leader, *leader.children()]
    assert len(family) == 2
    started = time.monotonic()
    supervisor.stop(grace=0.5)
    assert time.monotonic() - started < 10
    _, alive = psutil.wait_procs(family, timeout=10)
    assert alive == []
    assert child.process.returncode == -9
    assert list(child.tail) == ["ready"]


def test_a_child_that_dies_while_starting_is_reported_with_its_output(
    tmp_path: Path,
) -> None:
    service = Service(
        "broken",
        (sys.executable, "-c", "print('no config'); raise SystemExit(3)"),
        "worker",
        ready_line=re.compile("never"),
    )
    supervisor = Supervisor([service.name], show_logs=False, color=False)
    child = supervisor.start(service, dict(os.environ), tmp_path, 1)
    try:
        with pytest.raises(StackError, match="broken exited while starting") as failed:
            supervisor.wait_ready([child], deadline=30)
    finally:
        supervisor.stop(grace=1)
    assert "broken | no config" in str(failed.value)


def test_wait_until_retries_errors_but_not_a_stack_error() -> None:
    """A probe that fails is not ready yet; one that raises StackError (the
    process it waits for exited) ends the wait at once, with its message."""
    calls: list[int] = []

    def refused_twice() -> bool:
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionRefusedError("not listening yet")
        return True

    wait_until(refused_twice, "the server", 30)
    assert len(calls) == 3

    def exited() -> bool:
        raise StackError("worker exited: its log")

    started = time.monotonic()
    with pytest.raises(StackError, match=r"^worker exited: its log$"):
        wait_until(exited, "the worker", 30)
    assert time.monotonic() - started < 5


def test_a_running_stack_is_found_through_its_lock(tmp_path: Path) -> None:
    assert state.read_running(tmp_path) is None
    info = state.StackInfo(os.getpid(), "shop", "jobs.yaml", {"REDIS_URL": "x"})
    with state.holding_lock(tmp_path):
        state.write_info(tmp_path, info)
        assert state.read_running(tmp_path) == info
        with (
            pytest.raises(StackError, match="lichc dev already runs"),
            state.holding_lock(tmp_path),
        ):
            pass
    # released: stack.json is gone, and a stale one would not count
    assert not (tmp_path / state.STACK_FILE).exists()
    state.write_info(tmp_path, info)
    assert state.read_running(tmp_path) is None
