"""The CLI surface: exit codes, schema, explain."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from harness.cli import run_lichc

ROOT = Path(__file__).resolve().parents[2]


def test_exit_codes() -> None:
    assert run_lichc("--help").code == 0
    assert run_lichc("--version").code == 0
    assert run_lichc("build", "--no-such-option").code == 2
    assert run_lichc("no-such-command").code == 2
    assert run_lichc("validate", "-f", "missing.yaml", cwd=ROOT).code == 1
    assert run_lichc("validate", cwd=ROOT).code == 0


def test_schema_file_is_the_schema_command_output() -> None:
    result = run_lichc("schema")
    assert result.code == 0
    assert result.out == (ROOT / "schemas/jobs.schema.json").read_text(encoding="utf-8")


def test_example_spec_points_editors_at_the_schema_and_passes_it() -> None:
    text = (ROOT / "jobs.yaml").read_text(encoding="utf-8")
    assert (
        text.splitlines()[0]
        == "# yaml-language-server: $schema=schemas/jobs.schema.json"
    )
    schema = json.loads((ROOT / "schemas/jobs.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(yaml.safe_load(text), schema)


def test_explain_shows_engine_choice_and_engine_options() -> None:
    onboarding = run_lichc("explain", "UserOnboarding", cwd=ROOT)
    assert onboarding.code == 0
    assert "engine: auto chose temporal because it has 7 steps" in onboarding.out
    assert "wait_1d: sleep 1d" in onboarding.out
    welcome = run_lichc("explain", "SendWelcomeEmail", cwd=ROOT).out
    assert "max_retries=3" in welcome
    assert (
        "retry          4 attempts, 2s x2 up to 1m (waits 2s, 4s, 8s)  (job)" in welcome
    )
    order = run_lichc("explain", "ProcessOrder", cwd=ROOT).out
    assert "maximum_attempts=5)" in order
    assert "id_reuse_policy=REJECT_DUPLICATE" in order


def test_explain_unknown_job_is_a_usage_error() -> None:
    result = run_lichc("explain", "ProcesOrder", cwd=ROOT)
    assert result.code == 2
    assert "Did you mean ProcessOrder?" in result.err


def test_explain_shows_the_live_versions_of_a_job(tmp_path: Path) -> None:
    case = ROOT / "tests/golden/temporal-evolution"
    (tmp_path / "jobs.yaml").write_bytes((case / "jobs.yaml").read_bytes())
    (tmp_path / "generated").mkdir()
    (tmp_path / "generated/lichc.versions.json").write_bytes(
        (case / "lichc.versions.json").read_bytes()
    )
    shown = run_lichc("explain", "Shipment", cwd=tmp_path)
    assert shown.code == 0, shown.err
    lines = shown.out.splitlines()
    at = lines.index(
        "  versions   3 live; a run keeps the path of the one it started on"
    )
    assert lines[at + 1] == "    v1 baseline"
    assert lines[at + 2].startswith("    v2 removed label")
    assert lines[at + 3].startswith("       patched('lichc:Shipment:v2:")
    assert lines[at + 4].endswith("<- new runs")
