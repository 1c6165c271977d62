"""`lichc new`: the job is added, nothing the user wrote changes, stubs only where missing."""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from harness.cli import run_lichc
from lichc.fileformat import names
from lichc.fileformat.values import SpecValueError

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = (ROOT / "jobs.yaml").read_text(encoding="utf-8")


def write(folder: Path, text: str, name: str = "jobs.yaml") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8", newline="")
    return path


def only_added(old: str, new: str) -> list[str]:
    """The lines `new` adds to `old`; fails if any line of `old` changed or moved."""
    added = []
    matcher = difflib.SequenceMatcher(None, old.splitlines(True), new.splitlines(True))
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        assert op in ("equal", "insert"), (op, old.splitlines()[i1:i2])
        if op == "insert":
            added += new.splitlines(True)[j1:j2]
    return added


def test_seed_command_adds_a_temporal_job_to_the_example(tmp_path: Path) -> None:
    """`lich make job ProcessOrder --queue temporal` from the seed, as lichc new."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    write(tmp_path, EXAMPLE)
    result = run_lichc(
        "new",
        "ShipOrder",
        "--engine",
        "temporal",
        "--steps",
        "validate,charge,reserve,confirm",
        "--queue",
        "shipping",
        cwd=tmp_path,
    )
    assert result.code == 0, result.err
    text = (tmp_path / "jobs.yaml").read_text(encoding="utf-8")
    assert text.startswith(EXAMPLE)  # every byte the user wrote, in place
    assert text[len(EXAMPLE) :] == (
        "\n"
        "  ShipOrder:\n"
        "    engine: temporal\n"
        "    queue: shipping\n"
        "    steps:\n"
        "      - {name: validate, run: examples.shop.ship_order:validate}\n"
        "      - {name: charge, run: examples.shop.ship_order:charge}\n"
        "      - {name: reserve, run: examples.shop.ship_order:reserve}\n"
        "      - {name: confirm, run: examples.shop.ship_order:confirm}\n"
    )
    stubs = (tmp_path / "examples" / "shop" / "ship_order.py").read_text(
        encoding="utf-8"
    )
    for function in ("validate", "charge", "reserve", "confirm"):
        assert f"\ndef {function}() -> None:\n" in stubs
    assert "examples/shop/ship_order.py: added validate, charge, reserve, confirm" in (
        result.out
    )
    # the result builds, and the stubs pass the repo's own lint
    built = run_lichc("build", cwd=tmp_path)
    assert built.code == 0, built.err
    lint = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--config",
            str(ROOT / "pyproject.toml"),
            "examples",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert lint.returncode == 0, lint.stdout


def test_a_new_file_and_handler_package(tmp_path: Path) -> None:
    result = run_lichc("new", "SendInvoice", "--engine", "celery", cwd=tmp_path)
    assert result.code == 0, result.err
    spec = yaml.safe_load((tmp_path / "jobs.yaml").read_text(encoding="utf-8"))
    assert spec == {
        "version": 1,
        "jobs": {
            "SendInvoice": {
                "engine": "celery",
                "run": "handlers.send_invoice:send_invoice",
            }
        },
    }
    assert (tmp_path / "handlers" / "__init__.py").read_text() == ""
    stub = (tmp_path / "handlers" / "send_invoice.py").read_text(encoding="utf-8")
    assert "def send_invoice() -> None:" in stub
    # the next job follows the package the existing handlers live in
    again = run_lichc("new", "SendReminder", "--engine", "temporal", cwd=tmp_path)
    assert again.code == 0, again.err
    assert run_lichc("validate", cwd=tmp_path).code == 0
    text = (tmp_path / "jobs.yaml").read_text(encoding="utf-8")
    assert "    run: handlers.send_reminder:send_reminder\n" in text
    assert "\n\n  SendReminder:\n" in text


@pytest.mark.parametrize("existing", ["", "\n", "# our jobs, see docs/jobs.md\n"])
def test_an_empty_file_is_started_and_its_comments_kept(
    tmp_path: Path, existing: str
) -> None:
    write(tmp_path, existing)
    result = run_lichc("new", "Ping", "--engine", "celery", cwd=tmp_path)
    assert result.code == 0, result.err
    text = (tmp_path / "jobs.yaml").read_text(encoding="utf-8")
    assert text.startswith(existing.strip() + "\n\n" if existing.strip() else "#")
    assert yaml.safe_load(text)["jobs"] == {
        "Ping": {"engine": "celery", "run": "handlers.ping:ping"}
    }


def test_the_comments_of_a_crlf_file_are_kept_with_its_text(tmp_path: Path) -> None:
    """A file with comments only is read as text: its line ends become the
    new file's LF, and a BOM is dropped."""
    (tmp_path / "jobs.yaml").write_bytes(b"\xef\xbb\xbf# one\r\n# two\r\r\n")
    result = run_lichc("new", "Ping", "--engine", "celery", cwd=tmp_path)
    assert result.code == 0, result.err
    text = (tmp_path / "jobs.yaml").read_bytes().decode("utf-8")
    assert text.startswith("# one\n# two\n\n# Background jobs")
    assert "\r" not in text


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("jobs:\n", "jobs:\n"),
        ("jobs:   # none yet\n", "jobs:   # none yet\n"),
        ("jobs: {}  # none yet\n", "jobs:   # none yet\n"),
        ("jobs: null\n", "jobs:\n"),
        ("", ""),  # no `jobs:` at all: lichc new writes it
    ],
    ids=["empty", "comment", "flow-empty", "null", "missing"],
)
def test_empty_or_missing_jobs(tmp_path: Path, before: str, after: str) -> None:
    head = "# my spec\nversion: 1\nproject: acme  # ours\n"
    write(tmp_path, head + before)
    result = run_lichc("new", "Ping", "--engine", "celery", cwd=tmp_path)
    assert result.code == 0, result.err
    text = (tmp_path / "jobs.yaml").read_text(encoding="utf-8")
    prefix = head + (after or "\njobs:\n")
    assert text == prefix + "  Ping:\n    engine: celery\n    run: handlers.ping:ping\n"


def test_jobs_in_the_middle_keep_comments_and_following_keys(tmp_path: Path) -> None:
    old = write(
        tmp_path,
        """\
        version: 1
        jobs:
            Alpha:
                engine: celery
                description: |
                    Two lines, the last one
                    # looks like a comment
            # Beta is on hold:
            # Beta: {run: a.b:c}

        # connection settings
        celery:
            broker: ${REDIS_URL:-redis://localhost:6379/0}
        """,
    ).read_text()
    old_text = old.replace(
        "engine: celery\n", "engine: celery\n        run: m.alpha:run\n"
    )
    (tmp_path / "jobs.yaml").write_text(old_text)
    result = run_lichc(
        "new",
        "Beta",
        "--engine",
        "celery",
        "--steps",
        "one",
        "--queue",
        "true",
        cwd=tmp_path,
    )
    assert result.code == 0, result.err
    new = (tmp_path / "jobs.yaml").read_text(encoding="utf-8")
    added = only_added(old_text, new)
    assert added == [
        "\n",
        "    Beta:\n",
        "        engine: celery\n",
        "        queue: 'true'\n",
        "        steps:\n",
        "          - {name: one, run: m.beta:one}\n",  # no sequence yet: dash offset 2
    ]
    # inserted after the block scalar, before the comments that follow the job
    assert new.index("# looks like a comment") < new.index("    Beta:")
    assert new.index("    Beta:") < new.index("# Beta is on hold")


def test_style_of_the_file_is_followed(tmp_path: Path) -> None:
    """Four-space indents, sequences flush with their key, CRLF and a BOM."""
    text = (
        "\ufeffversion: 1\r\njobs:\r\n    A:\r\n        engine: celery\r\n"
        "        steps:\r\n        - {name: s, run: m.a:s}\r\n"
    )
    (tmp_path / "jobs.yaml").write_bytes(text.encode("utf-8"))
    result = run_lichc("new", "B", "--engine", "celery", "--steps", "x,y", cwd=tmp_path)
    assert result.code == 0, result.err
    new = (tmp_path / "jobs.yaml").read_bytes().decode("utf-8")
    assert new == text + (
        "\r\n    B:\r\n        engine: celery\r\n        steps:\r\n"
        "        - {name: x, run: m.b:x}\r\n        - {name: y, run: m.b:y}\r\n"
    )


def test_an_alias_at_the_end_of_the_last_job(tmp_path: Path) -> None:
    old = write(
        tmp_path,
        """\
        version: 1
        defaults:
          retry: &quick {attempts: 2}
        jobs:
          A:
            run: m.a:run
            retry:
              *quick
        """,
    ).read_text()
    assert run_lichc("new", "B", "--engine", "celery", cwd=tmp_path).code == 0
    new = (tmp_path / "jobs.yaml").read_text()
    assert new == old + "\n  B:\n    engine: celery\n    run: m.b:b\n"


def test_existing_job_is_refused(tmp_path: Path) -> None:
    write(tmp_path, EXAMPLE)
    result = run_lichc("new", "ResizeImage", "--engine", "celery", cwd=tmp_path)
    assert result.code == 1
    line = EXAMPLE.splitlines().index("  ResizeImage:") + 1
    assert f"job 'ResizeImage' already exists (jobs.yaml:{line}:3)" in result.err
    assert (tmp_path / "jobs.yaml").read_text() == EXAMPLE


@pytest.mark.parametrize(
    ("args", "check", "value"),
    [
        (["send_email"], names.job_name, "send_email"),
        (["Ok", "--steps", "validate,Charge"], names.step_name, "Charge"),
        (["Ok", "--steps", "a,class"], names.step_name, "class"),
        (["Ok", "--queue", "no spaces"], names.queue_name, "no spaces"),
    ],
)
def test_invalid_names_get_the_validators_message(
    tmp_path: Path, args: list[str], check: object, value: str
) -> None:
    assert callable(check)
    with pytest.raises(SpecValueError) as expected:
        check(value)
    result = run_lichc("new", *args, "--engine", "celery", cwd=tmp_path)
    assert result.code == 2
    assert expected.value.message in result.err
    assert not (tmp_path / "jobs.yaml").exists()


def test_module_override_and_existing_functions_are_kept(tmp_path: Path) -> None:
    write(tmp_path, "version: 1\njobs:\n")
    module = write(
        tmp_path,
        '''\
        """Billing handlers."""
        from billing.charges import charge as charge
        try:
            from fastjson import dumps
        except ImportError:
            def validate(order_id):
                return order_id


        def refund(charge_id: str) -> None:
            ...
        ''',
        "app/billing.py",
    )
    old = module.read_text()
    result = run_lichc(
        "new",
        "Bill",
        "--engine",
        "temporal",
        "--module",
        "app.billing",
        "--steps",
        "validate,charge,refund,notify,dumps",
        cwd=tmp_path,
    )
    assert result.code == 0, result.err
    new = module.read_text()
    assert new.startswith(old)
    assert new[len(old) :] == (
        "\n\n"
        "def notify() -> None:\n"
        '    """Step notify of Bill (see jobs.yaml)."""\n'
        '    raise NotImplementedError("Bill: notify")\n'
    )
    assert "app/billing.py: kept your validate, charge, refund, dumps" in result.out
    assert not (tmp_path / "app" / "__init__.py").exists()  # the folder was there


@pytest.mark.parametrize(
    ("module_text", "message"),
    [
        ("def broken(:\n", "app/jobs.py:1: cannot parse it"),
        ("from os.path import *\n", "app/jobs.py:1: `import *` hides"),
    ],
)
def test_handler_module_that_cannot_be_read_changes_nothing(
    tmp_path: Path, module_text: str, message: str
) -> None:
    spec = write(tmp_path, "version: 1\njobs:\n").read_text()
    write(tmp_path, module_text, "app/jobs.py")
    result = run_lichc(
        "new", "Ping", "--engine", "celery", "--module", "app.jobs", cwd=tmp_path
    )
    assert result.code == 1
    assert message in result.err
    assert (tmp_path / "jobs.yaml").read_text() == spec
    assert (tmp_path / "app" / "jobs.py").read_text() == module_text


def test_an_invalid_result_is_never_written(tmp_path: Path) -> None:
    """The default handler package would be shadowed by the generated one."""
    spec = write(tmp_path, "version: 1\nproject: handlers\njobs:\n").read_text()
    result = run_lichc("new", "Ping", "--engine", "celery", cwd=tmp_path)
    assert result.code == 1
    assert "would make jobs.yaml invalid; nothing was changed" in result.err
    assert "shadow" in result.err
    assert (tmp_path / "jobs.yaml").read_text() == spec
    assert not (tmp_path / "handlers").exists()


def test_an_invalid_spec_must_be_fixed_first(tmp_path: Path) -> None:
    spec = write(
        tmp_path, "version: 1\njobs:\n  A: {run: m.a:run, retry: {attempts: 0}}\n"
    )
    before = spec.read_text()
    result = run_lichc("new", "Ping", "--engine", "celery", cwd=tmp_path)
    assert result.code == 1
    assert "has errors; fix them before adding a job" in result.err
    assert "jobs.yaml:3:" in result.err
    assert spec.read_text() == before


def test_permissions_and_symlinks_are_kept(tmp_path: Path) -> None:
    real = write(tmp_path, "version: 1\njobs:\n", "config/jobs.yaml")
    real.chmod(0o640)
    (tmp_path / "jobs.yaml").symlink_to("config/jobs.yaml")
    result = run_lichc(
        "new", "Ping", "--engine", "celery", "--module", "ping", cwd=tmp_path
    )
    assert result.code == 0, result.err
    assert (tmp_path / "jobs.yaml").is_symlink()
    assert "Ping:" in real.read_text()
    assert real.stat().st_mode & 0o777 == 0o640
    leftovers = [p.name for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []
    assert os.access(tmp_path / "ping.py", os.R_OK)


def test_build_and_validate_never_import_new_or_graph_dependencies(
    tmp_path: Path,
) -> None:
    """`lichc new`/`graph`/`dev`/`run` are lazy: the core commands stay fast."""
    probe = (
        "import sys\n"
        "from lichc.cli import main\n"
        "for command in (['validate'], ['build'], ['check']):\n"
        "    try:\n"
        "        main(command + ['-f', sys.argv[1]])\n"
        "    except SystemExit as done:\n"
        "        assert not done.code, (command, done.code)\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('ruamel', 'celery', 'temporalio')\n"
        "         or m in ('lichc.specedit', 'lichc.stubs', 'lichc.mermaid')\n"
        "         or m.startswith(('lichc.commands.', 'lichc.devstack'))]\n"
        "assert not heavy, heavy\n"
    )
    spec = write(tmp_path, EXAMPLE)
    result = subprocess.run(
        [sys.executable, "-c", probe, str(spec)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("indent", [2, 4])
@pytest.mark.parametrize("dash", [0, 2])
@pytest.mark.parametrize("blank", [True, False])
@pytest.mark.parametrize("after", ["", "# trailing\n", "# settings\ncelery: {}\n"])
def test_splice_keeps_every_line_in_every_style(
    indent: int, dash: int, blank: bool, after: str
) -> None:
    """Two jobs in a given style, then maybe more of the file: the new job is
    inserted in that style and nothing else moves."""
    from lichc import specedit
    from lichc.fileformat.values import PyRef
    from lichc.load import loader

    i, d = " " * indent, " " * dash
    sep = "\n" if blank else ""
    text = (
        f"version: 1\njobs:\n{i}A:\n{i}{i}run: m.a:run  # first\n{sep}"
        f"{i}# about B\n{i}B:\n{i}{i}steps:\n{i}{i}{d}- {{name: x, run: m.b:x,\n"
        f"{i}{i}{d}   timeout: 30s}}\n{i}{i}{d}- name: y\n{i}{i}{d}  run: m.b:y\n"
        + after
    )
    document = loader.parse(text.encode(), "jobs.yaml")
    assert isinstance(document.root, yaml.MappingNode)
    job = specedit.NewJob("C", "celery", None, None, (("z", PyRef("m.c", "z")),))
    new = specedit.add_job(text, document.root, job)
    assert only_added(text, new) == [
        *(["\n"] if blank else []),
        f"{i}C:\n",
        f"{i}{i}engine: celery\n",
        f"{i}{i}steps:\n",
        f"{i}{i}{d}- {{name: z, run: m.c:z}}\n",
    ]
    data = loader.parse(new.encode(), "jobs.yaml").data
    assert data["jobs"]["C"] == job.data()
    assert list(data["jobs"]) == ["A", "B", "C"]
