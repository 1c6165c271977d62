"""Code injection, property-based: no string from jobs.yaml ever becomes code.

Specs full of hostile strings (harness/hostile_specs.py: quotes, triple
quotes, backslashes, newlines, `{{ }}`, `{% %}`, `${ }`, `#`, RTL and bidi
controls, combining marks, astral characters, NUL and other controls, very
long runs) mixing Celery and Temporal jobs go through the real pipeline
(load -> validate -> plan -> render). Each ends either in a SpecError whose
diagnostics point at the broken key (a broken condition: a call, an
attribute, a lambda, an unknown name, an f-string, unbalanced parentheses...
at the step's `if`), or in generated code where:

- every .py file parses, and docker-compose.yml parses as YAML;
- a marker word planted in every free-text value appears only inside string
  literals (never as code, never in a comment) and only inside YAML scalars;
- every identifier is a word of lichc's templates or a validated name;
- each module defines exactly the tasks, workflows, activities, client
  functions, input models and fields the spec asks for;
- every value from YAML (defaults, descriptions as docstrings, queues,
  signals, `${NAME:-default}` defaults, crons, timezones, schedule inputs,
  literal args, the id's text) is a constant with exactly that value;
- each quoted text of an `if:` condition (hostile, written with backslash
  escapes: harness/hostile_control.py) is a constant with exactly its value
  in the test of the `if` that runs or skips its step; an `end` step's result
  is a constant with the spec's value, and its fail message's texts are
  constants, in order, around the references;
- a parameter named after an input field never hides a name the generated
  code means (a module, the Celery app, a builtin).

A batch of the generated trees then goes through one `ruff format --check`
and one `ruff check`. More examples: LICHC_INJECTION_EXAMPLES=2000 pytest
tests/test_injection.py (also `python -m bench.injection`).
"""

from __future__ import annotations

import ast
import copy
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from harness import codecheck
from harness.hostile_control import LINT_FORMS, quoted
from harness.hostile_specs import (
    Drawn,
    specs,
)
from harness.hostile_values import CANARY
from harness.injection_checks import check_broken, check_everything
from harness.injection_spec import (
    RUFF_CHECK,
    RUFF_FORMAT,
    compile_spec,
    ruff,
)
from harness.trees import write_tree
from lichc.diagnostics import SpecError

# the suite's small version (derandomized: the same 60 every run); the long
# run is the bench's or LICHC_INJECTION_EXAMPLES=2000
EXAMPLES = int(os.environ.get("LICHC_INJECTION_EXAMPLES", "60"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)


def test_hostile_strings_never_become_code(tmp_path: Path) -> None:
    batch = tmp_path / "batch"
    seen = {"examples": 0}

    @SETTINGS
    @given(specs())
    def generated_code_is_safe(drawn: Drawn) -> None:
        try:
            loaded, files = compile_spec(drawn.spec)
        except SpecError as error:
            pytest.fail(f"a valid spec was refused:\n{error.render()}")
        check_everything(loaded, files)
        # every tree ruff sees is a separate project folder (its own package)
        folder = batch / f"example_{seen['examples']:04d}"
        shutil.rmtree(folder, ignore_errors=True)
        write_tree(folder, files)
        seen["examples"] += 1

    generated_code_is_safe()
    print(f"injection: {seen['examples']} specs checked and formatted")
    formatted = ruff(*RUFF_FORMAT, cwd=batch)
    assert formatted.returncode == 0, (
        formatted.stdout[-5000:] + formatted.stderr[-2000:]
    )
    linted = ruff(*RUFF_CHECK, cwd=batch)
    assert linted.returncode == 0, linted.stdout[-5000:] + linted.stderr[-2000:]


@SETTINGS
@given(specs(invalid=True))
def test_broken_values_are_located_errors(drawn: Drawn) -> None:
    check_broken(drawn)


def test_the_checks_catch_a_pasted_string() -> None:
    """The checks themselves: a value pasted as code is seen."""
    pasted = f"x = 1\n{CANARY}()  # {CANARY}\n"
    assert codecheck.canary_outside_strings(pasted, CANARY)
    vocabulary = codecheck.Vocabulary(frozenset({"send_email"}))
    assert vocabulary.allows("start_send_email")
    assert not vocabulary.allows(CANARY)
    assert not vocabulary.allows("__import__")
    shadow = ast.parse("import uuid\ndef f(*, uuid):\n    return uuid.uuid4()\n")
    assert codecheck.shadowed_names(shadow, {"f": {"uuid"}})
    fine = ast.parse("def f(*, data):\n    data = M(data=data)\n    return data\n")
    assert not codecheck.shadowed_names(fine, {"f": {"data"}})


def test_the_checks_follow_a_renamed_runtime_call() -> None:
    """An input field named `call` makes the tasks import the runtime's `call`
    as `call_2`; the checks still find each handler call (a draw found it)."""
    spec = {
        "version": 1,
        "project": "a",
        "jobs": {
            "A": {
                "engine": "celery",
                "input": {"call": {"type": "str"}},
                "steps": [
                    {"name": "a", "run": "examples.inj.orders:app", "args": {}},
                    {"name": "b", "run": "examples.inj.orders:app"},
                ],
            }
        },
    }
    loaded, files = compile_spec(spec)
    assert b"import call as call_2" in files["a/celery_tasks.py"]
    check_everything(loaded, files)


def test_a_parameter_never_takes_a_later_imports_name() -> None:
    """A handler package named `args`: no activity's parameter may be `args`,
    since it would hide the package (every import is allocated before any
    parameter);
    an input field `orders` beside a module `orders` is a field of the
    arguments dataclass, which hides nothing."""
    spec = {
        "version": 1,
        "project": "a",
        "jobs": {
            "G": {
                "engine": "temporal",
                "input": {"orders": {"type": "int"}},
                "steps": [
                    {"name": "a", "run": "examples.inj.orders:a"},
                    {"name": "b", "run": "args.orders:b"},
                ],
            }
        },
    }
    loaded, files = compile_spec(spec)
    activities = files["a/temporal_activities.py"]
    assert b"\nimport args.orders\n" in activities
    assert b"def g_a_sync(args_2: GAArgs) -> Any:" in activities
    assert b"orders=args_2.orders," in activities
    assert b"    orders: int\n" in activities
    check_everything(loaded, files)


def test_a_job_of_signals_alone_imports_no_timedelta(tmp_path: Path) -> None:
    """No activity, no timeout, no sleep: temporal_workflows.py writes no
    duration, so it must not import timedelta (ruff's F401; a draw found it)."""
    spec = {
        "version": 1,
        "project": "a",
        "jobs": {
            "W": {
                "engine": "temporal",
                "steps": [{"name": "w", "wait_for": {"signal": "go"}}],
            }
        },
    }
    loaded, files = compile_spec(spec)
    assert b"timedelta" not in files["a/temporal_workflows.py"]
    check_everything(loaded, files)
    write_tree(tmp_path / "tree", files)
    linted = ruff(*RUFF_CHECK, cwd=tmp_path / "tree")
    assert linted.returncode == 0, linted.stdout


HOSTILE = f'{CANARY}\'"""\\\x00\n\u2028${{input.x}}\U0010fffd'
RESULT = HOSTILE.replace("${", "$ {")  # a reference stands only whole


def one_job(engine: str, steps: list[dict[str, Any]]) -> dict[str, Any]:
    """Project `a` with job A (input field `f: str`): a first step, then `steps`."""
    first = {"name": "a", "run": "examples.inj.orders:app"}
    job = {"engine": engine, "input": {"f": "str"}, "steps": [first, *steps]}
    return {"version": 1, "project": "a", "jobs": {"A": job}}


def _control_spec(engine: str) -> dict[str, Any]:
    text = quoted(HOSTILE, "'", "short")
    other = quoted(HOSTILE + "\r", '"', "named")
    return one_job(
        engine,
        [
            {
                "name": "b",
                "if": f"${{input.f}} in [{text}, {other}]",
                "run": "examples.inj.orders:app",
            },
            {
                "name": "e",
                "if": f"${{input.f}} == {text}",
                "end": {"fail": CANARY + "'''${input.f}\"\\"},
            },
            {
                "name": "r",
                "if": f"${{input.f}} != {other} or ${{steps.a}} != null",
                "end": {"result": {RESULT: RESULT, "f": "${input.f}"}},
            },
            {"name": "z", "end": {"result": RESULT}},
        ],
    )


@pytest.mark.parametrize("engine", ["celery", "temporal"])
def test_the_checks_see_a_changed_condition_or_end(engine: str) -> None:
    """The control-flow checks themselves: they pass on what lichc writes and
    fail when the spec says a condition's text, a result or a message is
    something else than what was generated."""
    loaded, files = compile_spec(_control_spec(engine))
    check_everything(loaded, files)
    steps = loaded["jobs"]["A"]["steps"]
    # the same text spelled with another escape is no change
    respelled = copy.deepcopy(loaded)
    condition = steps[2]["if"]
    assert "\\\\" in condition
    respelled["jobs"]["A"]["steps"][2]["if"] = condition.replace("\\\\", "\\x5c", 1)
    check_everything(respelled, files)
    changes: list[tuple[int, str, Any]] = [
        (1, "if", steps[1]["if"].replace(CANARY, CANARY + "x", 1)),
        (2, "if", condition.replace("\\\\", "\\x5d", 1)),
        (2, "end", {"fail": steps[2]["end"]["fail"] + "!"}),
        (3, "end", {"result": {RESULT: RESULT + "!", "f": "${input.f}"}}),
        (4, "end", {"result": RESULT[:-1]}),
    ]
    for index, key, value in changes:
        assert value != steps[index][key]
        changed = copy.deepcopy(loaded)
        changed["jobs"]["A"]["steps"][index][key] = value
        with pytest.raises(AssertionError):
            check_everything(changed, files)


def test_conditions_once_written_as_refused_code_are_lint_clean(tmp_path: Path) -> None:
    """harness/hostile_control.py's LINT_FORMS: conditions whose generated
    code ruff once refused (SIM201, SIM202, SIM208, SIM300, RUF021), on both
    engines (a Celery step skipped unless its condition holds tests it
    negated)."""
    for engine in ("celery", "temporal"):
        for number, condition in enumerate(LINT_FORMS.values()):
            spec = one_job(
                engine, [{"name": "b", "if": condition, "run": "examples.inj.b:b"}]
            )
            _, files = compile_spec(spec)
            write_tree(tmp_path / f"{engine}_{number}", files)
    linted = ruff(*RUFF_CHECK, cwd=tmp_path)
    assert linted.returncode == 0, linted.stdout
