"""Small soak runs: jobs keep completing while the worker is SIGKILLed.

300 Celery jobs (half with an `id`) with one kill of the whole worker, and
50 Temporal workflows with one kill of the worker process; the scenarios
are harness/soak.py, which bench/soak_celery.py and bench/soak_temporal.py
run with 10,000 and 1,000.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.soak import CELERY_SPEC, celery_soak, temporal_soak
from lichc.engines.celery.servers import redis_server
from tests.e2e import celery_support as cs
from tests.support.temporal import Server

pytestmark = pytest.mark.e2e


def test_celery_jobs_survive_a_killed_worker(tmp_path: Path) -> None:
    spec = CELERY_SPEC.format(project="e2e_soak_celery")
    # A Redis of its own: recovery after the kill depends on kombu's
    # `unacked_mutex`, which a worker killed by an earlier test on the shared
    # Redis can leave held for 5 minutes, and on an `unacked` hash of its own.
    with (
        redis_server() as redis,
        cs.project(tmp_path, spec, "e2e_soak_celery", redis) as proj,
    ):
        # 300 jobs of 40ms on two processes: the kill comes mid-run. The
        # deadline covers a restore that meets the killed worker's lock (held
        # up to 60s) and waits for kombu's next scan, ~100s later
        report = celery_soak(
            proj, 300, kills=1, restart_after_visibility=True, deadline=240, pause=0.04
        )
    print("\n".join(report.lines()))
    assert report.lost == []
    assert report.completed == 300
    assert report.after_completion == []  # an id never runs after completing
    assert report.executions >= 300
    assert report.in_flight[0] > 0  # the kill did catch messages in flight


def test_temporal_workflows_survive_a_killed_worker(
    temporal: Server, tmp_path: Path
) -> None:
    report = temporal_soak(
        temporal, tmp_path, "e2e_soak_temporal", 50, kills=1, deadline=120
    )
    print("\n".join(report.lines()))
    assert report.failed == []
    assert report.completed == 50
    assert report.rerun_after_completion == 0
    assert report.activity_runs >= 100
