"""Breaking changes (lichc.evolution.breaking): each edit of a job's interface
that work in flight cannot survive is found, and the safe edits are not; the
CLI refuses them located in jobs.yaml unless `--accept-breaking`."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli import run_lichc, write_spec
from lichc.engines.registry import engine
from lichc.evolution import history
from lichc.evolution.breaking import breaking_changes
from lichc.evolution.record import Record
from lichc.plan.ir import Plan
from tests.support.plans import plan_of

BASE = {
    "Ship": """
          Ship:
            engine: temporal
            queue: ships
            input: {order: str, weight: float}
            steps:
              - {name: pack, run: m.x:pack}
              - {name: approval, wait_for: {signal: approve}}
""",
    "Mail": """
          Mail:
            engine: celery
            input: {to: str}
            steps:
              - {name: write, run: m.x:write}
              - {name: send, run: m.x:send}
""",
}


def spec(**jobs: str) -> str:
    body = "".join({**BASE, **jobs}.values())
    return f"""
        version: 1
        jobs:
{body}"""


def record_of(plan: Plan) -> Record:
    return history.evolve(
        plan,
        Record(),
        lambda job: engine(job.engine).recorded_steps,
        names_of=lambda job: engine(job.engine).message_names(plan, job),
    ).record


def found(before: str, after: str) -> list[str]:
    plan = plan_of(after)
    changes = breaking_changes(plan, record_of(plan_of(before)), engine)
    return [f"{b.job}: {b.what}" for b in changes]


SHIP = BASE["Ship"]
MAIL = BASE["Mail"]


@pytest.mark.parametrize(
    ("edited", "expected"),
    [
        (
            {"Ship": SHIP.replace("weight: float}", "weight: float, dock: str}")},
            "Ship: input field dock added without a default",
        ),
        (
            {"Ship": SHIP.replace("weight: float", "weight: int")},
            "Ship: input field weight changed type from float to int",
        ),
        (
            {"Ship": SHIP.replace("queue: ships", "queue: boats")},
            "Ship: queue moved from ships to boats",
        ),
        (
            {"Ship": SHIP.replace("signal: approve", "signal: confirm")},
            "Ship: signal approve removed or renamed",
        ),
        (
            {"Mail": MAIL.replace("name: send", "name: deliver")},
            "Mail: task ship_mail.mail.send removed or renamed",
        ),
        (
            {"Mail": MAIL.replace("engine: celery", "engine: temporal")},
            "Mail: engine changed from celery to temporal",
        ),
        ({"Mail": ""}, "Mail: job Mail removed or renamed"),
    ],
    ids=["field-added", "type", "queue", "signal", "task", "engine", "job"],
)
def test_each_breaking_edit_is_found(edited: dict[str, str], expected: str) -> None:
    before = spec().replace("version: 1\n", "version: 1\n        project: ship_mail\n")
    after = spec(**edited).replace(
        "version: 1\n", "version: 1\n        project: ship_mail\n"
    )
    assert found(before, after) == [expected]


@pytest.mark.parametrize(
    "edited",
    [
        {"Ship": SHIP.replace("weight: float}", "weight: float, dock: str?}")},
        {
            "Ship": SHIP.replace(
                "weight: float}", "weight: float, n: {type: int, default: 1}}"
            )
        },
        {"Ship": SHIP.replace("order: str, weight: float", "order: str")},
        {"Ship": SHIP + "              - {name: ship, run: m.x:ship}\n"},
        {"Mail": MAIL + "              - {name: log, run: m.x:log}\n"},
    ],
    ids=[
        "optional-added",
        "default-added",
        "field-removed",
        "step-added",
        "task-added",
    ],
)
def test_safe_edits_are_not_breaking(edited: dict[str, str]) -> None:
    assert found(spec(), spec(**edited)) == []


def test_a_removed_job_is_reported_once_then_kept_as_removed() -> None:
    before = record_of(plan_of(spec()))
    plan = plan_of(spec(Mail=""))
    assert [b.job for b in breaking_changes(plan, before, engine)] == ["Mail"]
    after = history.evolve(plan, before, lambda job: None).record
    assert after.jobs["Mail"].removed
    assert breaking_changes(plan, after, engine) == []
    # it comes back: not breaking, and no longer marked removed
    back = plan_of(spec())
    assert breaking_changes(back, after, engine) == []
    assert not history.evolve(back, after, lambda job: None).record.jobs["Mail"].removed


JOBS_YAML = """\
version: 1
project: brk
jobs:
  Mail:
    engine: celery
    input: {to: str}
    run: tests.e2e.handlers.evolution:echo
"""


def test_build_refuses_a_breaking_edit_located_until_accepted(tmp_path: Path) -> None:
    write_spec(tmp_path, JOBS_YAML)
    assert run_lichc("build", cwd=tmp_path).code == 0
    record = (tmp_path / "generated" / "lichc.versions.json").read_bytes()
    write_spec(tmp_path, JOBS_YAML.replace("{to: str}", "{to: str, cc: str}"))
    for command in ("build", "check"):
        result = run_lichc(command, cwd=tmp_path)
        assert result.code == 1, result.out + result.err
        assert (
            "jobs.yaml:6:22: error: jobs.Mail.input.cc: breaking change: " in result.err
        )
        assert "--accept-breaking" in result.err
        assert "Traceback" not in result.err
    # nothing was written
    assert (tmp_path / "generated" / "lichc.versions.json").read_bytes() == record
    accepted = run_lichc("build", "--accept-breaking", cwd=tmp_path)
    assert accepted.code == 0, accepted.err
    assert "Mail: input field cc added without a default (breaking, accepted)" in (
        accepted.out
    )
    assert run_lichc("check", cwd=tmp_path).code == 0
    assert run_lichc("build", cwd=tmp_path).code == 0
