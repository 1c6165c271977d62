"""Soak runs: many jobs through generated code while workers are SIGKILLed.

Shared by tests/e2e/test_soak.py (small runs) and bench/soak_celery.py,
bench/soak_temporal.py (10,000 Celery jobs, 1,000 Temporal workflows).

Celery: half the jobs have an `id`. The worker (prefork, whole process
group) is SIGKILLed each time another share of the jobs has finished and is
started again; its unacknowledged messages come back once Redis's
visibility timeout has passed (restored when a worker starts, or by kombu's
periodic sweep). Afterwards every job must have a SUCCESS result, and no job
with an `id` may have started after its first completion (`date_done`);
runs killed before they finished may run again (at least once).

Temporal: each workflow runs two activities; the worker process is
SIGKILLed mid-run and started again. Every workflow must complete; activities
caught by the kill run again (at least once); starting every id again
afterwards must not run anything.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis

from harness import celery_project as cs
from harness import workers
from harness.cli import build
from harness.temporal import Server, import_project
from lichc.devstack.servers import wait_until

CELERY_SPEC = """\
version: 1
project: {project}
jobs:
  Record:
    engine: celery
    run: harness.soak_handlers:record
    input: {{key: str, pause: {{type: float, default: 0.0}}}}
    timeout: 2s
    retry: {{attempts: 5, delay: 100ms, max_delay: 500ms}}
  RecordOnce:
    engine: celery
    id: once-{{key}}
    run: harness.soak_handlers:record
    input: {{key: str, pause: {{type: float, default: 0.0}}}}
    timeout: 2s
    retry: {{attempts: 5, delay: 100ms, max_delay: 500ms}}
"""

TEMPORAL_SPEC = """\
version: 1
project: {project}
jobs:
  Pipeline:
    engine: temporal
    queue: soak
    id: soak-{{key}}
    input: {{key: str, log: str}}
    retry: {{attempts: unlimited, delay: 200ms, max_delay: 1s}}
    steps:
      - name: first
        run: harness.soak_handlers:step
        timeout: 5s
        args: {{key: "${{input.key}}", name: first, log: "${{input.log}}"}}
      - name: second
        run: harness.soak_handlers:step
        timeout: 5s
        args: {{key: "${{input.key}}", name: second, log: "${{input.log}}"}}
"""


@dataclass
class CeleryReport:
    jobs: int
    with_id: int
    completed: int = 0
    lost: list[str] = field(default_factory=list)
    executions: int = 0
    reruns: int = 0  # jobs that ran more than once (at least once)
    reruns_with_id: int = 0
    unfinished_runs: int = 0  # runs a kill stopped before they finished
    after_completion: list[str] = field(default_factory=list)  # must stay empty
    in_flight: list[int] = field(default_factory=list)  # unacked at each kill
    send_seconds: float = 0.0
    run_seconds: float = 0.0  # from the first run's start to the last completion
    first_round_rate: float = 0.0  # jobs/s before the first kill

    @property
    def ok(self) -> bool:
        return (
            self.completed == self.jobs and not self.lost and not self.after_completion
        )

    def lines(self) -> list[str]:
        rate = self.completed / self.run_seconds if self.run_seconds else 0.0
        return [
            f"jobs sent              {self.jobs} ({self.with_id} with an id) "
            f"in {self.send_seconds:.1f}s ({self.jobs / self.send_seconds:.0f}/s)",
            f"worker kills           {len(self.in_flight)} "
            f"(messages in flight at each: {self.in_flight})",
            f"completed (SUCCESS)    {self.completed}",
            f"lost                   {len(self.lost)}",
            f"handler executions     {self.executions}",
            f"jobs run more than once {self.reruns} ({self.reruns_with_id} with an id), "
            f"runs killed before finishing: {self.unfinished_runs}",
            f"id jobs run again after completing: {len(self.after_completion)}",
            f"throughput             {rate:.0f} jobs/s overall "
            f"({self.run_seconds:.1f}s, kills and recovery included), "
            f"{self.first_round_rate:.0f} jobs/s before the first kill",
            f"verdict                {'PASS' if self.ok else 'FAIL'}",
        ]


def celery_soak(
    proj: cs.Project,
    jobs: int,
    *,
    kills: int,
    restart_after_visibility: bool,
    deadline: float,
    pause: float = 0.0,
    concurrency: int = 2,
) -> CeleryReport:
    """Run `jobs` jobs, killing the worker `kills` times; see the module doc.

    `restart_after_visibility`: start the next worker only once the killed
    one's messages are visible again (it restores them at once); otherwise
    at once, and kombu's periodic sweep (every ~100s) brings them back.
    `pause`: seconds each job takes, so that a small run is still going
    when the kill comes.
    """
    run = uuid.uuid4().hex[:8]
    broker = redis.Redis.from_url(proj.redis.url(0))
    results = redis.Redis.from_url(proj.redis.url(1))
    client = proj.celery_client
    report = CeleryReport(jobs=jobs, with_id=jobs // 2)
    sent: list[tuple[str, bool, str]] = []  # key, has an id, task id
    started = time.monotonic()
    for i in range(jobs):
        key = f"{run}-{i}"
        once = i % 2 == 1
        start = client.start_record_once if once else client.start_record
        sent.append((key, once, start(key=key, pause=pause).id))
    report.send_seconds = time.monotonic() - started

    finish_key = f"soak:finish:{run}"
    visibility = proj.app.conf.broker_transport_options["visibility_timeout"]
    kill_times: list[float] = []
    for round_number in range(kills + 1):
        if round_number and restart_after_visibility:
            time.sleep(max(0.0, kill_times[-1] + visibility + 1 - time.time()))
        name = f"soak-{run}-{round_number}"
        with cs.worker(proj, name, concurrency=concurrency) as worker:
            if round_number < kills:
                target = jobs * (round_number + 1) // (kills + 1)
                wait_until(
                    lambda: broker.hlen(finish_key) >= target,  # noqa: B023 (run at once)
                    f"{target} jobs finished",
                    deadline,
                )
                report.in_flight.append(int(broker.hlen("unacked")))
                worker.kill()
                kill_times.append(time.time())
            else:
                wait_until(
                    lambda: broker.hlen(finish_key) >= jobs,
                    "every job finished",
                    deadline,
                )
                metas = _wait_for_results(results, [t for _, _, t in sent], deadline)
    _verify(report, broker, sent, metas, kill_times)
    return report


def _wait_for_results(
    results: redis.Redis, task_ids: list[str], deadline: float
) -> dict[str, dict[str, Any]]:
    """Every task's result meta, once each one says SUCCESS (or the deadline)."""
    end = time.monotonic() + deadline
    metas: dict[str, dict[str, Any]] = {}
    while True:
        missing = [t for t in task_ids if metas.get(t, {}).get("status") != "SUCCESS"]
        for chunk in range(0, len(missing), 1000):
            ids = missing[chunk : chunk + 1000]
            pipe = results.pipeline()
            for task_id in ids:
                pipe.get(f"celery-task-meta-{task_id}")
            for task_id, raw in zip(ids, pipe.execute(), strict=True):
                if raw is not None:
                    metas[task_id] = json.loads(raw)
        if all(metas.get(t, {}).get("status") == "SUCCESS" for t in task_ids):
            return metas
        if time.monotonic() > end:
            return metas
        time.sleep(0.5)


def _verify(
    report: CeleryReport,
    broker: redis.Redis,
    sent: list[tuple[str, bool, str]],
    metas: dict[str, dict[str, Any]],
    kill_times: list[float],
) -> None:
    pipe = broker.pipeline()
    for key, _, _ in sent:
        pipe.lrange(f"soak:start:{key}", 0, -1)
    starts = pipe.execute()
    run = sent[0][0].split("-", 1)[0]
    finishes = {
        (k.decode() if isinstance(k, bytes) else k): int(v)
        for k, v in broker.hgetall(f"soak:finish:{run}").items()
    }
    done_at: list[float] = []
    started_at: list[float] = []
    for (key, once, task_id), runs in zip(sent, starts, strict=True):
        times = [float(raw) for raw in runs]
        started_at += times
        report.executions += len(times)
        report.unfinished_runs += len(times) - finishes.get(key, 0)
        if len(times) > 1:
            report.reruns += 1
            report.reruns_with_id += once
        meta = metas.get(task_id, {})
        if meta.get("status") != "SUCCESS":
            report.lost.append(key)
            continue
        report.completed += 1
        completed = cs.done_at(meta)
        done_at.append(completed)
        if once and any(t > completed for t in times):
            report.after_completion.append(key)
    if done_at and started_at:
        first = min(started_at)
        report.run_seconds = max(done_at) - first
        if kill_times:
            finished = sum(1 for t in done_at if t < kill_times[0])
            report.first_round_rate = finished / (kill_times[0] - first)


@dataclass
class TemporalReport:
    workflows: int
    completed: int = 0
    failed: list[str] = field(default_factory=list)
    activity_runs: int = 0  # activities started
    activities_done: int = 0  # activities that got to the end of their handler
    rerun_after_completion: int = 0  # activity runs after starting every id again
    kills: int = 0
    seconds: float = 0.0

    @property
    def reruns(self) -> int:
        """Activity runs beyond one per step: at-least-once after the kills."""
        return self.activity_runs - 2 * self.workflows

    @property
    def ok(self) -> bool:
        return (
            self.completed == self.workflows
            and not self.failed
            and self.rerun_after_completion == 0
        )

    def lines(self) -> list[str]:
        rate = self.completed / self.seconds if self.seconds else 0.0
        return [
            f"workflows started      {self.workflows} (2 activities each)",
            f"worker kills           {self.kills}",
            f"completed              {self.completed}",
            f"failed or missing      {len(self.failed)}",
            f"activity executions    {self.activity_runs} started, "
            f"{self.activities_done} finished ({self.reruns} run again after "
            "the kill: at least once)",
            f"runs when every id was started again: {self.rerun_after_completion}",
            f"time                   {self.seconds:.1f}s ({rate:.1f} workflows/s, "
            "kills and recovery included)",
            f"verdict                {'PASS' if self.ok else 'FAIL'}",
        ]


def temporal_soak(
    server: Server,
    folder: Path,
    project: str,
    workflows: int,
    *,
    kills: int,
    deadline: float,
) -> TemporalReport:
    """Run `workflows` workflows, killing the worker `kills` times mid-run."""
    output = build(folder / "project", TEMPORAL_SPEC.format(project=project))
    client_module = import_project(output, project)["temporal_client"]
    log = folder / "runs.log"
    log.touch()
    run = uuid.uuid4().hex[:8]
    keys = [f"{run}-{i}" for i in range(workflows)]
    report = TemporalReport(workflows=workflows, kills=kills)

    def lines(prefix: str) -> int:
        text = log.read_text(encoding="utf-8")
        return sum(1 for line in text.splitlines() if line.startswith(prefix))

    async def start_all() -> list[Any]:
        handles = []
        for chunk in range(0, workflows, 100):
            handles += await asyncio.gather(
                *(
                    client_module.start_pipeline(server.client, key=key, log=str(log))
                    for key in keys[chunk : chunk + 100]
                )
            )
        return handles

    async def results(handles: list[Any]) -> list[Any]:
        return await asyncio.gather(
            *(h.result() for h in handles), return_exceptions=True
        )

    started = time.monotonic()
    handles: list[Any] = []
    for round_number in range(kills + 1):
        name = f"soak-{run}-{round_number}"
        with workers.temporal_worker(output, project, server.address, name) as worker:
            if round_number == 0:
                handles = server.run(start_all(), timeout=deadline)
            if round_number < kills:
                target = workflows * (round_number + 1) // (kills + 1)
                wait_until(
                    lambda: lines("done second ") >= target,  # noqa: B023 (run at once)
                    f"{target} workflows",
                    deadline,
                )
                worker.kill()
            else:
                outcomes = server.run(results(handles), timeout=deadline)
                report.seconds = time.monotonic() - started
                before = lines("start ")
                again = server.run(start_all(), timeout=deadline)
                server.run(results(again), timeout=deadline)
                report.rerun_after_completion = lines("start ") - before
    for key, outcome in zip(keys, outcomes, strict=True):
        if outcome == {"first": {"step": "first"}, "second": {"step": "second"}}:
            report.completed += 1
        else:
            report.failed.append(f"{key}: {outcome!r}"[:200])
    report.activity_runs = lines("start ")
    report.activities_done = lines("done ")
    return report
