"""`lichc dev`, `lichc run`/`signal`/`status`/`cancel` and the README's demo,
for real: the stack is started from the installed binaries, jobs run on its
workers, and Ctrl-C (or a crashed worker) must leave no process and no port
behind."""

from __future__ import annotations

import signal
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harness.cli import build, run_lichc, write_spec
from lichc.devstack.servers import free_port, wait_until
from lichc.devstack.services import Ports
from tests.e2e.dev_support import (
    ROOT,
    Dev,
    lichc,
    lichc_env,
    lichc_json,
    ports_free,
)

pytestmark = pytest.mark.e2e

SPEC = Path(__file__).parent / "specs" / "dev.yaml"
CELERY_ONLY = """\
version: 1
project: e2e_dev_crash
jobs:
  Greet:
    engine: celery
    queue: greetings
    run: tests.e2e.handlers.dev:greet
    input: {name: str}
"""


@pytest.fixture
def up() -> Iterator[Callable[[Path, str], Dev]]:
    """Start `lichc dev --free-ports` in a folder and wait until it is up.
    Whatever happens, no stack outlives the test."""
    started: list[Dev] = []

    def start(folder: Path, project_name: str) -> Dev:
        dev = Dev(folder, "--free-ports")
        started.append(dev)
        dev.wait_for(f"lichc dev: {project_name} is up")
        return dev

    yield start
    for dev in started:
        dev.kill()


def test_dev_runs_both_engines_and_ctrl_c_leaves_nothing(
    tmp_path: Path, up: Callable[[Path, str], Dev]
) -> None:
    folder = write_spec(tmp_path, SPEC)
    dev = up(folder, "e2e_dev")
    assert "schedule e2e_dev.approve.0 is up to date" in dev.output  # synced at start
    env = dev.state()["env"]
    redis_port = int(env["REDIS_URL"].rsplit(":", 1)[1].split("/")[0])
    temporal_port = int(env["TEMPORAL_ADDRESS"].rsplit(":", 1)[1])
    ui_port = int(dev.output.split("http://localhost:")[1].split()[0])
    worker = dev.child("celery", "worker", "--queues", "greetings")
    pool = {p.pid for p in worker.children()}

    greeted = lichc_json(folder, "run", "Greet", "--input", '{"name": "ada"}')
    assert greeted["greeting"] == "hello ada"
    assert greeted["pid"] in pool  # it ran in the worker lichc dev started
    # lichc cancel of a Celery run: one that has finished is left as it is
    sent = lichc_json(folder, "run", "Greet", "--input", '{"name": "bo"}', "--no-wait")
    wait_until(
        lambda: (
            lichc_json(folder, "status", "Greet", sent["task_id"])["state"] == "SUCCESS"
        ),
        "the second greeting",
        60,
    )
    finished = lichc(folder, "cancel", "Greet", sent["task_id"])
    assert finished.returncode == 1
    assert "had already finished (SUCCESS): not cancelled" in finished.stderr
    # lichc dlq talks to the running stack too, whatever the shell's REDIS_URL
    elsewhere = lichc_env(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    dead = lichc(folder, "dlq", "list", env=elsewhere)
    assert dead.returncode == 0, dead.stderr
    assert dead.stdout == "no dead letters\n"

    started = lichc_json(
        folder, "run", "Approve", "--input", '{"ticket": "t1"}', "--no-wait"
    )
    assert started == {"job": "Approve", "workflow_id": "approve-t1"}

    def waiting_for_approval() -> bool:
        status = lichc_json(folder, "status", "Approve", "approve-t1")
        return bool(status["current"] == "approval")

    wait_until(waiting_for_approval, "Approve at its approval step", 60)
    sent = lichc(
        folder,
        "signal",
        "Approve",
        "approve-t1",
        "approve",
        "--payload",
        '{"by": "ann"}',
    )
    assert sent.returncode == 0, sent.stderr
    # the same id: the client finds the running workflow and waits for it
    result = lichc_json(folder, "run", "Approve", "--input", '{"ticket": "t1"}')
    assert result["close"] == {"ticket": "t1", "closed_by": "ann"}
    final = lichc_json(folder, "status", "Approve", "approve-t1")
    assert final["state"] == "completed"
    assert final["completed"] == ["check", "approval", "close"]

    # lichc cancel: a second run, cancelled while it waits
    lichc_json(folder, "run", "Approve", "--input", '{"ticket": "t2"}', "--no-wait")
    wait_until(
        lambda: (
            lichc_json(folder, "status", "Approve", "approve-t2")["current"]
            == "approval"
        ),
        "the second run at its approval step",
        60,
    )
    cancelled = lichc(folder, "cancel", "Approve", "approve-t2")
    assert cancelled.returncode == 0, cancelled.stderr
    assert cancelled.stdout == "cancel requested for Approve approve-t2\n"
    wait_until(
        lambda: (
            lichc_json(folder, "status", "Approve", "approve-t2")["state"]
            == "cancelled"
        ),
        "the second run to end cancelled",
        60,
    )

    assert dev.interrupt() == 0, dev.output
    assert "lichc dev: stopped" in dev.output
    assert dev.survivors() == []
    assert len(dev.seen) >= 6  # redis, temporal, worker + pool, temporal worker
    assert ports_free([redis_port, temporal_port, ui_port])
    assert not (folder / ".lichc-dev" / "stack.json").exists()
    assert (folder / ".lichc-dev" / "temporal.db").exists()  # history is kept


def test_run_signal_status_refuse_bad_requests(tmp_path: Path) -> None:
    """Refused before anything is sent, with a message: no stack runs."""
    folder = tmp_path
    build(folder, SPEC)

    unknown = lichc(folder, "run", "Gret")
    assert unknown.returncode == 2
    assert "Did you mean Greet?" in unknown.stderr

    bad = lichc(folder, "run", "Greet", "--input", '{"name": 3, "extra": 1}')
    assert bad.returncode == 1
    assert "name: Input should be a valid string (got 3)" in bad.stderr
    assert "extra: Extra inputs are not permitted" in bad.stderr
    assert bad.stdout == ""

    not_json = lichc(folder, "run", "Greet", "--input", "{name: ada}")
    assert not_json.returncode == 1
    assert "--input: not valid JSON" in not_json.stderr

    celery_signal = lichc(folder, "signal", "Greet", "x", "approve")
    assert celery_signal.returncode == 2
    assert "only Temporal jobs with a `wait_for` step" in celery_signal.stderr

    typo = lichc(folder, "signal", "Approve", "x", "aprove")
    assert typo.returncode == 2
    assert "Did you mean approve?" in typo.stderr

    nowhere = lichc_env(
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
        TEMPORAL_ADDRESS=f"127.0.0.1:{free_port()}",
    )
    no_redis = lichc(folder, "run", "Greet", "--input", '{"name": "x"}', env=nowhere)
    assert no_redis.returncode == 1
    assert "cannot reach Redis at redis://127.0.0.1:" in no_redis.stderr
    no_redis_cancel = lichc(folder, "cancel", "Greet", "x", env=nowhere)
    assert no_redis_cancel.returncode == 1
    assert "cannot reach Redis at redis://127.0.0.1:" in no_redis_cancel.stderr
    no_temporal = lichc(folder, "status", "Approve", "approve-x", env=nowhere)
    assert no_temporal.returncode == 1
    assert "cannot reach Temporal at 127.0.0.1:" in no_temporal.stderr


def test_a_crashed_worker_stops_the_stack(
    tmp_path: Path, up: Callable[[Path, str], Dev]
) -> None:
    dev = up(write_spec(tmp_path, CELERY_ONLY), "e2e_dev_crash")
    worker = dev.child("celery", "worker")
    pool = worker.children()
    assert pool
    worker.send_signal(signal.SIGKILL)  # its pool processes are orphaned
    assert dev.wait() == 1
    assert "celery-worker-greetings exited with code -9; stopping the stack" in (
        dev.output
    )
    assert dev.survivors() == []


@pytest.mark.parametrize(
    "signum", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"]
)
def test_stopping_lichc_itself_stops_its_children(
    tmp_path: Path, up: Callable[[Path, str], Dev], signum: int
) -> None:
    """SIGTERM is a Ctrl-C; even SIGKILL, which lichc cannot handle, leaves
    nothing running: each child gets SIGTERM when lichc dies (Linux)."""
    dev = up(write_spec(tmp_path, CELERY_ONLY), "e2e_dev_crash")
    dev.process.send_signal(signum)
    assert dev.wait() == (0 if signum == signal.SIGTERM else -signum)
    wait_until(lambda: dev.survivors() == [], "every child to stop", 30)


def test_busy_port_is_a_clear_error(tmp_path: Path) -> None:
    folder = write_spec(tmp_path, SPEC)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", free_port()))
        busy.listen()
        port = busy.getsockname()[1]
        offset = port - Ports.usual().temporal  # the stack's Temporal port
        result = run_lichc("dev", "--port-offset", str(offset), cwd=folder)
    assert result.code == 1
    assert f"port {port} (Temporal) in use" in result.err
    assert f"--port-offset {offset + 10}" in result.err
    assert "--free-ports" in result.err
    assert not (folder / ".lichc-dev" / "stack.json").exists()


def test_a_literal_remote_broker_is_refused_before_starting(tmp_path: Path) -> None:
    spec = CELERY_ONLY.replace(
        "jobs:", "celery: {broker: redis://cache.internal:6379/0}\njobs:"
    )
    result = run_lichc("dev", "--free-ports", cwd=write_spec(tmp_path, spec))
    assert result.code == 1
    assert "celery.broker: `redis://cache.internal:6379/0` gives" in result.err
    assert "${NAME:-default}" in result.err


def test_the_readme_demo(tmp_path: Path) -> None:
    """The README's first command, minus the install: the four scenarios."""
    folder = write_spec(tmp_path, ROOT / "jobs.yaml")
    dev = Dev(
        folder,
        "--then",
        "python -m examples.demo",
        env=lichc_env(SHOP_OUTBOX=str(tmp_path / "outbox")),
    )
    try:
        code = dev.wait()
    finally:
        dev.kill()
    out = dev.output
    assert code == 0, out
    for scenario in (
        "1. SendWelcomeEmail",
        "2. ResizeImage",
        "3. ProcessOrder",
        "4. UserOnboarding",
    ):
        assert scenario in out
    approval = '"approved": true,\n       "by": "demo",\n       "note": null\n'
    assert '"approval": {\n       ' + approval in out
    assert "answering it again is refused: workflow order-" in out
    assert '"reason": "validation"' in out  # an invalid order ends early
    assert "order rejected by demo" in out  # and a rejected one fails
    assert '"compensated": ["reserve_inventory", "charge_payment"]' in out
    assert (
        '"state": "running", "current": "wait_1d", "completed": ["create_profile", "send_day_0"]'
        in out
    )
    assert "done: 2 Celery tasks and 2 Temporal workflows" in out
    assert "lichc dev: stopped" in out
    assert dev.survivors() == []
    sent = sorted(p.name.split("-")[0] for p in (tmp_path / "outbox").glob("*.json"))
    assert sent == ["onboarding", "order", "welcome"]
    assert list((tmp_path / "outbox").glob("photo-*_32x24.ppm"))
