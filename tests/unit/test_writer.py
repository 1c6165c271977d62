"""The writer never loses anything: only files it wrote are replaced or removed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from lichc.write import writer
from lichc.write.writer import Manifest, WriteError


def write(out: Path, files: dict[str, bytes], *, force: bool = False) -> writer.Changes:
    return writer.write(out, files, Manifest("test", "key"), force=force)


def test_writes_then_removes_only_stale_generated_files(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    write(out, {"pkg/a.py": b"a", "pkg/b.py": b"b"})
    (out / "pkg" / "mine.py").write_text("user code")
    changes = write(out, {"pkg/a.py": b"a2"})
    assert changes.removes == ["pkg/b.py"]
    assert (out / "pkg/a.py").read_bytes() == b"a2"
    assert not (out / "pkg/b.py").exists()
    assert (out / "pkg/mine.py").read_text() == "user code"
    manifest = json.loads((out / writer.MANIFEST).read_text())
    assert list(manifest["files"]) == ["pkg/a.py"]


def test_empty_folders_left_by_removed_files_go_too(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    write(out, {"old/x.py": b"x", "keep.py": b"k"})
    write(out, {"keep.py": b"k"})
    assert not (out / "old").exists()


def test_refuses_to_overwrite_a_file_lichc_did_not_write(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    (out / "pkg").mkdir(parents=True)
    (out / "pkg/a.py").write_text("mine")
    with pytest.raises(WriteError, match="not written by lichc"):
        write(out, {"pkg/a.py": b"generated"})
    with pytest.raises(WriteError):
        write(
            out, {"pkg/a.py": b"generated"}, force=True
        )  # --force never takes user files
    assert (out / "pkg/a.py").read_text() == "mine"


def test_identical_existing_file_is_adopted(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    out.mkdir()
    (out / "a.py").write_bytes(b"same")
    write(out, {"a.py": b"same"})
    assert "a.py" in json.loads((out / writer.MANIFEST).read_text())["files"]


def test_hand_edits_are_conflicts_unless_forced(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    write(out, {"a.py": b"v1", "b.py": b"v1"})
    (out / "a.py").write_bytes(b"edited")
    (out / "b.py").write_bytes(b"edited too")
    with pytest.raises(WriteError, match="edited by hand") as error:
        write(out, {"a.py": b"v2"})
    assert "b.py: no longer generated, but edited by hand" in str(error.value)
    assert (out / "a.py").read_bytes() == b"edited"
    write(out, {"a.py": b"v2"}, force=True)
    assert (out / "a.py").read_bytes() == b"v2"
    assert not (out / "b.py").exists()


def test_output_outside_the_project_is_refused(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (project / "link").symlink_to(tmp_path / "elsewhere")
    for output in ("../elsewhere", "link", "/tmp"):
        with pytest.raises(WriteError, match="outside the project"):
            writer.output_dir(project, output)
    assert writer.output_dir(project, "generated") == (project / "generated").resolve()


def test_symlinked_subfolder_inside_output_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    out.mkdir()
    (tmp_path / "victim").mkdir()
    (out / "pkg").symlink_to(tmp_path / "victim")
    with pytest.raises(WriteError, match="symlink"):
        write(out, {"pkg/a.py": b"x"})
    assert list((tmp_path / "victim").iterdir()) == []


def test_a_committed_journal_is_finished_by_the_next_run(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    write(out, {"a.py": b"old", "gone.py": b"old"})
    # Simulate a build killed right after committing its journal.
    (out / ".a.py.lichc-tmp").write_bytes(b"new")
    (out / f".{writer.MANIFEST}.lichc-tmp").write_bytes(
        Manifest("t", "k", {"a.py": writer.sha256(b"new")}).dumps()
    )
    journal = {
        "renames": [
            [".a.py.lichc-tmp", "a.py"],
            [f".{writer.MANIFEST}.lichc-tmp", writer.MANIFEST],
        ],
        "removes": ["gone.py"],
    }
    (out / writer.JOURNAL).write_text(json.dumps(journal))
    writer.recover(out)
    assert (out / "a.py").read_bytes() == b"new"
    assert not (out / "gone.py").exists()
    assert not (out / writer.JOURNAL).exists()
    assert sorted(os.listdir(out)) == [writer.MANIFEST, "a.py"]


def test_temporary_files_of_an_uncommitted_build_are_dropped(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    write(out, {"a.py": b"old"})
    (out / ".a.py.lichc-tmp").write_bytes(b"half")
    writer.recover(out)
    assert (out / "a.py").read_bytes() == b"old"
    assert not (out / ".a.py.lichc-tmp").exists()


def test_damaged_manifest_is_a_clear_error(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    out.mkdir()
    (out / writer.MANIFEST).write_text("{not json")
    with pytest.raises(WriteError, match="damaged"):
        write(out, {"a.py": b"x"})


@pytest.mark.parametrize(
    "journal",
    [
        {"renames": [], "removes": ["../victim.txt"]},
        {"renames": [], "removes": ["/tmp/victim.txt"]},
        {"renames": [[".a.py.lichc-tmp", "../victim.txt"]], "removes": []},
        {"renames": [["../victim.txt", "a.py"]], "removes": []},
        {"renames": "x", "removes": []},
        {"renames": [], "removes": [5]},
    ],
)
def test_a_journal_naming_paths_outside_the_output_is_refused(
    tmp_path: Path, journal: dict[str, object]
) -> None:
    # A journal committed to the repository by someone else must not make
    # `lichc build` or `lichc check` move or delete files outside the output.
    out = tmp_path / "generated"
    write(out, {"a.py": b"old"})
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (out / ".a.py.lichc-tmp").write_bytes(b"new")
    (out / writer.JOURNAL).write_text(json.dumps(journal))
    with pytest.raises(WriteError, match="was not written by lichc"):
        writer.recover(out)
    assert victim.read_text() == "keep me"
    assert (out / "a.py").read_bytes() == b"old"


def test_a_manifest_naming_paths_outside_the_output_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    write(out, {"a.py": b"a"})
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (out / writer.MANIFEST).write_bytes(
        Manifest("t", "k", {"../victim.txt": writer.sha256(b"keep me")}).dumps()
    )
    with pytest.raises(WriteError):
        write(out, {"a.py": b"a"})
    assert victim.read_text() == "keep me"
