"""The version record: what a build keeps of each job, how a change of a
Temporal job's commands becomes a new version, and how live versions merge."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from lichc.diagnostics import SpecError
from lichc.engines.temporal.history import steps
from lichc.evolution import history
from lichc.evolution.record import RECORD, Record, parse
from lichc.evolution.store import read_record
from lichc.plan.ir import Plan
from lichc.write import writer
from tests.support.plans import plan_of


def spec(*steps_yaml: str, timeout: str = "") -> str:
    lines = "\n".join(f"              - {s}" for s in steps_yaml)
    return f"""
        version: 1
        jobs:
          Ship:
            engine: temporal
            {f"timeout: {timeout}" if timeout else ""}
            steps:
{lines}
          Mail:
            engine: celery
            input: {{to: str, cc: {{type: str, default: ""}}}}
            run: m.x:mail
        """


def evolve(plan: Plan, old: Record) -> history.Evolution:
    return history.evolve(
        plan, old, lambda job: steps if job.engine == "temporal" else None
    )


FIRST = "{name: first, run: m.x:first}"
WAIT = "{name: approval, wait_for: {signal: approve}}"
LAST = "{name: last, run: m.x:last}"
AUDIT = "{name: audit, run: m.x:audit}"


def built(*versions: tuple[str, ...]) -> history.Evolution:
    """The evolution after building each step list in turn."""
    record = Record()
    evolution = None
    for version in versions:
        evolution = evolve(plan_of(spec(*version)), record)
        record = evolution.record
    assert evolution is not None
    return evolution


def test_a_first_build_records_version_1_and_the_interfaces_of_every_job() -> None:
    evolution = built((FIRST, WAIT, LAST))
    ship = evolution.record.jobs["Ship"]
    assert [(v.version, v.patch, v.change) for v in ship.versions] == [
        (1, None, "baseline")
    ]
    assert [s.name for s in ship.versions[0].steps] == ["first", "approval", "last"]
    assert ship.interface.signals == ("approve",)
    mail = evolution.record.jobs["Mail"]
    assert mail.versions == ()  # Celery: no replay, only the interface
    assert mail.interface.inputs == {"to": "str", "cc": "str="}
    assert evolution.changes == []


def test_inserting_steps_appends_a_version_named_after_the_change() -> None:
    evolution = built((FIRST, WAIT, LAST), (FIRST, AUDIT, WAIT, LAST))
    versions = evolution.record.jobs["Ship"].versions
    assert [v.version for v in versions] == [1, 2]
    assert versions[1].change == "inserted audit before approval"
    assert versions[1].patch == "lichc:Ship:v2:inserted-audit-before-approval"
    assert evolution.changes == [
        "Ship: version 2: inserted audit before approval; runs started on "
        "version 1 keep their path, new runs take the new one"
    ]
    assert evolution.jobs["Ship"].pins == ((2, versions[1].patch),)


def test_an_edit_that_keeps_the_commands_updates_the_version_in_place() -> None:
    retried = "{name: last, run: m.x:other, retry: {attempts: 9}}"
    evolution = built((FIRST, WAIT, LAST), (FIRST, WAIT, retried))
    (only,) = evolution.record.jobs["Ship"].versions
    last = only.steps[-1].call
    assert last is not None
    assert (str(last.handler), last.attempts) == ("m.x:other", 9)
    # said, though no version is made: replay compares activity types only
    assert evolution.changes == [
        "Ship: replaced the handler of last; same activity types, so runs in "
        "flight replay unchanged and call the new handler from their next "
        "attempt of that step"
    ]
    retries_only = "{name: last, run: m.x:last, retry: {attempts: 9}}"
    assert built((FIRST, WAIT, LAST), (FIRST, WAIT, retries_only)).changes == []


def test_a_rebuild_without_edits_changes_nothing() -> None:
    once = built((FIRST, WAIT, LAST), (FIRST, AUDIT, WAIT, LAST))
    twice = evolve(plan_of(spec(FIRST, AUDIT, WAIT, LAST)), once.record)
    assert twice.record == once.record
    assert twice.changes == []


def test_the_job_timeout_is_part_of_a_version() -> None:
    record = built((FIRST, WAIT, LAST)).record
    evolution = evolve(plan_of(spec(FIRST, WAIT, LAST, timeout="7d")), record)
    versions = evolution.record.jobs["Ship"].versions
    assert [(v.version, v.deadline) for v in versions] == [(1, None), (2, 604800.0)]
    assert versions[1].change == "timeout added"


def test_merged_steps_say_which_versions_run_them() -> None:
    evolution = built((FIRST, WAIT, LAST), (FIRST, AUDIT, WAIT), (AUDIT, WAIT, LAST))
    merged = [(m.entry.name, m.born, m.died) for m in evolution.jobs["Ship"].merged]
    assert merged == [
        ("first", 1, 3),
        ("audit", 2, None),
        ("approval", 1, None),
        ("last", 1, 2),
        ("last", 3, None),
    ]
    # each version, read off the merged list, is the step list it was built from
    for version in evolution.jobs["Ship"].versions:
        path = [
            m.entry.name
            for m in evolution.jobs["Ship"].merged
            if m.born <= version.version
            and (m.died is None or version.version < m.died)
        ]
        assert path == [s.name for s in version.steps]


def test_retired_versions_are_kept_in_the_record_but_not_merged() -> None:
    evolution = built((FIRST, WAIT, LAST), (FIRST, AUDIT, WAIT, LAST))
    ship = evolution.record.jobs["Ship"]
    retired = evolution.record.model_copy(
        update={
            "jobs": {
                **evolution.record.jobs,
                "Ship": ship.model_copy(update={"oldest_live": 2}),
            }
        }
    )
    again = evolve(plan_of(spec(FIRST, AUDIT, WAIT, LAST)), retired)
    assert [v.version for v in again.record.jobs["Ship"].versions] == [1, 2]
    live = again.jobs["Ship"]
    assert [v.version for v in live.versions] == [2]
    assert live.pins == ()  # the oldest live version is what no marker means
    assert all(m.died is None for m in live.merged)


def test_a_removed_job_stays_in_the_record() -> None:
    record = built((FIRST, WAIT, LAST)).record
    only_mail = plan_of(
        """
        version: 1
        jobs:
          Mail: {engine: celery, run: m.x:mail}
        """
    )
    assert set(evolve(only_mail, record).record.jobs) == {"Mail", "Ship"}


def test_patch_ids_cut_long_changes_at_a_whole_word() -> None:
    change = "inserted reserve_inventory and charge_payment before approval"
    patch = history.patch_id("ProcessOrder", 4, change)
    slug = patch.removeprefix("lichc:ProcessOrder:v4:")
    assert len(slug) <= history.MAX_SLUG
    assert change.replace(" ", "-").startswith(slug)
    assert not slug.endswith("-")


def test_the_record_reads_back_what_it_wrote() -> None:
    record = built((FIRST, WAIT, LAST), (FIRST, AUDIT, WAIT, LAST)).record
    text = record.dumps()
    assert parse(text.encode(), RECORD) == record
    assert json.loads(text)["format"] == 1


@pytest.mark.parametrize(
    ("edit", "where"),
    [
        (lambda d: d.update(format=2), "format"),
        (
            lambda d: d["jobs"]["Ship"]["versions"][0].update(change="x\nimport os"),
            "change",
        ),
        (
            lambda d: d["jobs"]["Ship"]["versions"][0]["steps"][0]["call"].update(
                handler="os:system('x')"
            ),
            "handler",
        ),
        (lambda d: d["jobs"].update({"Ship; import os": d["jobs"]["Ship"]}), "jobs"),
    ],
    ids=["format", "newline-in-change", "code-as-handler", "code-as-job-name"],
)
def test_a_hand_edited_record_is_refused_with_a_way_out(edit, where: str) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(built((FIRST, WAIT, LAST)).record.dumps())
    edit(data)
    with pytest.raises(SpecError) as raised:
        parse(json.dumps(data).encode(), RECORD)
    (diagnostic,) = raised.value.diagnostics
    assert "corrupt" in diagnostic.message
    assert where in diagnostic.message
    assert "--new-baseline" in (diagnostic.hint or "")


def test_a_record_the_last_build_wrote_must_not_vanish(tmp_path: Path) -> None:
    assert read_record(tmp_path) == Record()  # a first build
    writer.write(tmp_path, {RECORD: Record().dumps().encode()}, writer.Manifest())
    (tmp_path / RECORD).unlink()
    with pytest.raises(SpecError) as raised:
        read_record(tmp_path)
    assert "missing" in raised.value.diagnostics[0].message
    assert read_record(tmp_path, new_baseline=True) == Record()


def test_retiring_makes_the_next_version_the_oldest_with_its_patch_deprecated() -> None:
    record = built((FIRST, WAIT, LAST), (FIRST, AUDIT, WAIT, LAST)).record
    plan = plan_of(spec(FIRST, AUDIT, WAIT, LAST))
    retired = history.evolve(
        plan,
        record,
        lambda job: steps if job.engine == "temporal" else None,
        {"Ship": 2},
    )
    assert retired.record.jobs["Ship"].oldest_live == 2
    live = retired.jobs["Ship"]
    assert live.pins == ()
    assert live.deprecated == "lichc:Ship:v2:inserted-audit-before-approval"
    # a later build without `retire` keeps the retirement
    again = evolve(plan, retired.record)
    assert again.record.jobs["Ship"].oldest_live == 2


def test_a_removed_parallel_step_keeps_its_branches_conditions(tmp_path: Path) -> None:
    """Runs on version 1 take the removed parallel step's branches only when
    their own `if` holds, as they did: the condition comes from the record."""
    from harness.cli import build

    branches = (
        '{name: fan, parallel: [{name: a, run: m.x:a, if: "${input.n} > 1"},'
        " {name: b, run: m.x:b}]}"
    )
    for listed in ((FIRST, branches, LAST), (FIRST, LAST)):
        text = spec(*listed).replace(
            "engine: temporal", "engine: temporal\n            input: {n: int}", 1
        )
        out = build(tmp_path, textwrap.dedent(text))
    workflows = (out / "jobs" / "temporal_workflows.py").read_text()
    branch = workflows.split("async def branch_a_v1() -> None:")[1]
    assert branch.lstrip().startswith("if input.n > 1:"), branch[:300]


def test_args_added_to_a_single_step_job_are_no_new_version() -> None:
    """A single-step workflow schedules one activity of the same type with
    or without `args` (what it passes changes, as when a step's args change),
    and its interface, the input, stays: no version, no breaking change."""
    from lichc.engines.registry import engine
    from lichc.evolution.breaking import breaking_changes

    def single(args: str) -> Plan:
        return plan_of(f"""
            version: 1
            jobs:
              Greet:
                engine: temporal
                run: m.x:greet
                input: {{name: str}}
                {args}
            """)

    before = evolve(single(""), Record())
    plan = single('args: {greeting: Hello, name: "${input.name}"}')
    after = evolve(plan, before.record)
    assert after.changes == []
    assert after.record.jobs["Greet"] == before.record.jobs["Greet"]
    assert breaking_changes(plan, before.record, engine) == []
