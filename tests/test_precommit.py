"""The pre-commit hooks, run by a real `git commit` in a scratch repository.

The hooks are taken from .pre-commit-hooks.yaml and installed as `repo:
local` hooks with `language: system` running this interpreter's lichc, so
pre-commit builds no environment and needs no network (see docs/workflow.md).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / ".pre-commit-hooks.yaml"
OWN_CONFIG = ROOT / ".pre-commit-config.yaml"

SPEC = """\
version: 1
project: demo
jobs:
  Ping:
    engine: celery
    queue: pings
    run: app.tasks:ping
"""
REPORT_JOB = """\
  Report:
    engine: celery
    queue: reports
    run: app.tasks:report
"""


def manifest_hooks() -> dict[str, dict[str, Any]]:
    hooks = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return {hook["id"]: hook for hook in hooks}


class Repo:
    def __init__(self, path: Path) -> None:
        self.path = path
        home = path.parent / "home"
        home.mkdir(exist_ok=True)
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(home),
            "PRE_COMMIT_HOME": str(path.parent / "pre-commit-cache"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_AUTHOR_NAME": "lichc tests",
            "GIT_AUTHOR_EMAIL": "tests@lichc.invalid",
            "GIT_COMMITTER_NAME": "lichc tests",
            "GIT_COMMITTER_EMAIL": "tests@lichc.invalid",
        }

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            args,
            cwd=self.path,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"{args} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("git", *args, check=check)

    def commits(self) -> int:
        return int(self.git("rev-list", "--count", "HEAD").stdout)

    def read(self, rel: str) -> str:
        return (self.path / rel).read_text(encoding="utf-8")


def scratch_repo(tmp_path: Path, hook_id: str) -> Repo:
    """A repository with a built spec and one hook of the manifest installed."""
    if shutil.which("git") is None:
        pytest.fail("git is not on PATH; the pre-commit tests need it")
    repo = Repo(tmp_path / "repo")
    repo.path.mkdir()
    hook = dict(manifest_hooks()[hook_id])
    program, _, rest = hook["entry"].partition(" ")
    assert program == "lichc", hook["entry"]
    hook["entry"] = f"{shlex.quote(sys.executable)} -m lichc {rest}"
    hook["language"] = "system"
    hook.pop("minimum_pre_commit_version", None)
    config = {"repos": [{"repo": "local", "hooks": [hook]}]}
    (repo.path / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    (repo.path / "jobs.yaml").write_text(SPEC)
    repo.git("init", "-q", "-b", "main")
    repo.run(sys.executable, "-m", "lichc", "build")
    repo.run(sys.executable, "-m", "pre_commit", "install")
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "first")  # the hook runs and finds nothing to do
    assert repo.commits() == 1
    return repo


def commit_a_new_job(repo: Repo) -> str:
    """Add a job to jobs.yaml and try to commit it; the hook must refuse."""
    (repo.path / "jobs.yaml").write_text(SPEC + REPORT_JOB)
    repo.git("add", "jobs.yaml")
    refused = repo.git("commit", "-m", "add Report", check=False)
    assert refused.returncode != 0, refused.stdout
    assert repo.commits() == 1
    return refused.stdout + refused.stderr


def test_manifest_and_own_config_are_valid_pre_commit_files() -> None:
    for command, path in (
        ("validate-manifest", MANIFEST),
        ("validate-config", OWN_CONFIG),
    ):
        result = subprocess.run(
            [sys.executable, "-m", "pre_commit", command, str(path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stdout + result.stderr
    hooks = manifest_hooks()
    assert set(hooks) == {"lichc-build", "lichc-check"}
    for hook in hooks.values():
        assert hook["files"] == r"(^|/)jobs\.ya?ml$"
        assert hook["pass_filenames"] is False
    own = yaml.safe_load(OWN_CONFIG.read_text(encoding="utf-8"))["repos"]
    assert [r["repo"] for r in own] == ["local"]  # nothing to download
    for hook in own[0]["hooks"]:
        assert hook["language"] == "system"
        assert hook["entry"] == hooks[hook["id"]]["entry"]


def test_build_hook_updates_output_and_stops_the_commit_once(tmp_path: Path) -> None:
    repo = scratch_repo(tmp_path, "lichc-build")
    assert "reports" not in repo.read("generated/docker-compose.yml")
    refused = commit_a_new_job(repo)
    # pre-commit's rule: a hook that changes files fails the commit
    assert "files were modified by this hook" in refused
    assert "celery-worker-reports" in repo.read("generated/docker-compose.yml")
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "add Report")
    assert repo.commits() == 2
    committed = repo.git("show", "HEAD:generated/docker-compose.yml").stdout
    assert "celery-worker-reports" in committed
    assert repo.git("status", "--porcelain").stdout == ""


def test_check_hook_refuses_stale_output(tmp_path: Path) -> None:
    repo = scratch_repo(tmp_path, "lichc-check")
    before = repo.read("generated/docker-compose.yml")
    refused = commit_a_new_job(repo)
    assert "stale; run `lichc build`" in refused
    assert repo.read("generated/docker-compose.yml") == before  # check never writes
    repo.run(sys.executable, "-m", "lichc", "build")
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "add Report")
    assert repo.commits() == 2
