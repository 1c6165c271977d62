"""Stage 5: put rendered files on disk without ever losing anything.

- Only files listed in the manifest (files lichc wrote) are replaced or
  removed; a file lichc did not write, or one edited by hand since, is a
  conflict, reported instead of overwritten (`--force` replaces edited ones).
- Updates go through a journal: new contents are written to temporary files
  and fsynced, then the journal listing every rename and removal is committed
  atomically, then applied. A build killed before the commit leaves the old
  output; one killed after it is finished by the next lichc command
  (`recover`). A lock serialises concurrent builds of the same output.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

MANIFEST = ".lichc-manifest.json"
JOURNAL = ".lichc-journal.json"
TMP_SUFFIX = ".lichc-tmp"


class WriteError(Exception):
    """The output cannot be written safely; the message says why and what to do."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Manifest:
    generator: str = ""
    input: str = ""  # fingerprint of (spec bytes, generator); see build.input_key
    files: dict[str, str] = field(default_factory=dict)  # relative path -> sha256

    def dumps(self) -> bytes:
        payload = {
            "generator": self.generator,
            "input": self.input,
            "files": self.files,
        }
        return (json.dumps(payload, indent=2, sort_keys=True) + "\n").encode()

    @classmethod
    def read(cls, out_dir: Path) -> Manifest | None:
        try:
            payload = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
            files = {str(k): str(v) for k, v in payload["files"].items()}
            return cls(
                str(payload.get("generator", "")), str(payload.get("input", "")), files
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise WriteError(
                f"{out_dir / MANIFEST} is damaged ({exc}); lichc cannot tell which files it wrote. "
                "Restore it from version control, or delete the output folder's generated files "
                "and the manifest, then build again."
            ) from None


def output_dir(project_root: Path, output: str) -> Path:
    """The output folder, refused unless it resolves inside the project."""
    root = project_root.resolve()
    target = (root / output).resolve()
    if target != root and root not in target.parents:
        raise WriteError(
            f"output folder '{output}' resolves to {target}, outside the project {root} "
            "(through '..' or a symlink); lichc writes only inside the folder of jobs.yaml"
        )
    return target


def safe_target(out_dir: Path, rel: str) -> Path:
    """out_dir/rel, refused if any part of it leaves out_dir through a symlink."""
    target = out_dir / rel
    parent = target.parent.resolve()
    if parent != out_dir and out_dir not in parent.parents:
        raise WriteError(
            f"{target} leads outside {out_dir} through a symlink; refusing to write it"
        )
    if target.is_symlink():
        raise WriteError(
            f"{target} is a symlink, which lichc never writes; remove it and build again"
        )
    return target


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


@dataclass
class Changes:
    writes: dict[str, bytes] = field(default_factory=dict)
    removes: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.writes and not self.removes


def compare(
    out_dir: Path, files: dict[str, bytes], manifest: Manifest | None
) -> Changes:
    """What writing `files` would change, and what it must not touch."""
    owned = manifest.files if manifest else {}
    changes = Changes()
    for rel, data in files.items():
        current = _read(safe_target(out_dir, rel))
        if current == data:
            changes.unchanged.append(rel)
            continue
        if current is not None:
            if rel not in owned:
                changes.conflicts.append(f"{rel}: exists but was not written by lichc")
            elif sha256(current) != owned[rel]:
                changes.conflicts.append(f"{rel}: edited by hand since lichc wrote it")
        changes.writes[rel] = data
    for rel, digest in sorted(owned.items()):
        if rel in files:
            continue
        current = _read(safe_target(out_dir, rel))
        if current is None:
            continue
        if sha256(current) != digest:
            changes.conflicts.append(
                f"{rel}: no longer generated, but edited by hand since"
            )
        changes.removes.append(rel)
    return changes


@contextlib.contextmanager
def locked(out_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on the output folder itself (no lock file to commit)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(out_dir, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def write(
    out_dir: Path,
    files: dict[str, bytes],
    manifest: Manifest,
    *,
    force: bool = False,
) -> Changes:
    """Make out_dir hold exactly `files` (plus anything lichc did not write)."""
    with locked(out_dir):
        recover(out_dir)
        old = Manifest.read(out_dir)
        changes = compare(out_dir, files, old)
        hand_edits = [c for c in changes.conflicts if "by hand" in c]
        foreign = [c for c in changes.conflicts if "not written by lichc" in c]
        if foreign or (hand_edits and not force):
            raise WriteError(_conflict_message(out_dir, foreign, hand_edits, force))
        manifest.files = {rel: sha256(data) for rel, data in files.items()}
        new_manifest = manifest.dumps()
        if changes.empty and _read(out_dir / MANIFEST) == new_manifest:
            return changes
        renames = []
        for rel, data in changes.writes.items():
            tmp = _stage(out_dir / rel, data)
            renames.append((str(tmp.relative_to(out_dir)), rel))
        tmp = _stage(out_dir / MANIFEST, new_manifest)
        renames.append((str(tmp.relative_to(out_dir)), MANIFEST))
        journal: dict[str, Any] = {"renames": renames, "removes": changes.removes}
        _atomic_write(out_dir / JOURNAL, json.dumps(journal, indent=1).encode())
        _apply(out_dir, journal)
        return changes


def finish_interrupted(out_dir: Path) -> None:
    """Recover under the lock, if an interrupted build left anything behind."""
    if out_dir.is_dir() and (
        (out_dir / JOURNAL).exists() or next(out_dir.rglob(f".*{TMP_SUFFIX}"), None)
    ):
        with locked(out_dir):
            recover(out_dir)


def recover(out_dir: Path) -> None:
    """Finish a build that was interrupted after its journal was committed,
    and drop the temporary files of one interrupted before."""
    journal_path = out_dir / JOURNAL
    try:
        journal = json.loads(journal_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        journal = None
    except ValueError:
        journal = None  # a journal is written atomically, so this is not ours
    if journal is not None:
        _apply(out_dir, _checked_journal(out_dir, journal))
    for leftover in out_dir.rglob(f".*{TMP_SUFFIX}") if out_dir.is_dir() else ():
        leftover.unlink(missing_ok=True)


def _checked_journal(out_dir: Path, journal: Any) -> dict[str, Any]:
    """The journal to apply, refused when lichc cannot have written it: one
    naming a path outside the output folder (say, committed to the repository
    by someone else), which would otherwise move or delete files anywhere."""
    problem = f"{out_dir / JOURNAL} was not written by lichc: delete it and build again"
    try:
        renames = [(tmp, rel) for tmp, rel in journal["renames"]]
        removes = list(journal["removes"])
    except (KeyError, TypeError, ValueError):
        raise WriteError(problem) from None
    paths = [path for pair in renames for path in pair] + removes
    if not all(isinstance(path, str) for path in paths):
        raise WriteError(problem)
    for path in paths:
        pure = PurePosixPath(path)
        if pure.is_absolute() or ".." in pure.parts or not pure.parts:
            raise WriteError(f"{problem} (it names {path!r})")
        safe_target(out_dir, path)
    if not all(PurePosixPath(tmp).name.endswith(TMP_SUFFIX) for tmp, _ in renames):
        raise WriteError(problem)
    return {"renames": renames, "removes": removes}


def _apply(out_dir: Path, journal: dict[str, Any]) -> None:
    for tmp, rel in journal["renames"]:
        source = out_dir / tmp
        if source.exists():
            os.replace(source, out_dir / rel)
    for rel in journal["removes"]:
        target = out_dir / rel
        target.unlink(missing_ok=True)
        _remove_empty_parents(target.parent, out_dir)
    _fsync_dir(out_dir)
    (out_dir / JOURNAL).unlink(missing_ok=True)
    _fsync_dir(out_dir)


def _stage(target: Path, data: bytes) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}{TMP_SUFFIX}")
    with tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return tmp


def _atomic_write(target: Path, data: bytes) -> None:
    tmp = _stage(target, data)
    os.replace(tmp, target)
    _fsync_dir(target.parent)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_empty_parents(directory: Path, stop: Path) -> None:
    while directory != stop and stop in directory.parents:
        try:
            directory.rmdir()
        except OSError:
            return
        directory = directory.parent


def _conflict_message(
    out_dir: Path, foreign: list[str], hand_edits: list[str], force: bool
) -> str:
    lines = [f"refusing to write {out_dir}; nothing was changed:"]
    lines += [f"  {c}" for c in foreign + hand_edits]
    if foreign:
        lines.append(
            "  move those files out of the way (lichc never overwrites files it did not write)"
        )
    if hand_edits and not force:
        lines.append(
            "  generated files are not edited by hand: copy your changes elsewhere, "
            "then run `lichc build --force` to replace them"
        )
    return "\n".join(lines)
