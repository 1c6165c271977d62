"""Shared servers and generated projects for the Temporal end-to-end tests.

One dev server for the whole session; each spec is built once with lichc into
a temporary folder and imported from there.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from harness import ROOT
from harness.cli import build
from harness.temporal import Server, dev_server, import_project, time_skipping_server

SPECS = Path(__file__).parent / "specs"


@pytest.fixture(scope="session")
def temporal() -> Iterator[Server]:
    """A real Temporal dev server (fails, never skips, when it cannot start)."""
    with dev_server() as server:
        yield server


def _project(
    tmp: pytest.TempPathFactory, spec: Path, name: str
) -> dict[str, ModuleType]:
    output = build(tmp.mktemp(name), spec)
    return import_project(output, name)


@pytest.fixture(scope="session")
def shop(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ModuleType]:
    """The root jobs.yaml (project shop), generated afresh and imported."""
    return _project(tmp_path_factory, ROOT / "jobs.yaml", "shop")


@pytest.fixture(scope="session")
def saga(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ModuleType]:
    return _project(tmp_path_factory, SPECS / "saga.yaml", "e2e_saga")


@pytest.fixture(scope="session")
def retries(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ModuleType]:
    return _project(tmp_path_factory, SPECS / "retries.yaml", "e2e_retries")


@pytest.fixture(scope="module")
def skipping() -> Iterator[Server]:
    """Temporal's time-skipping test server, one per test module."""
    with time_skipping_server() as server:
        yield server


@pytest.fixture(scope="session")
def tflow(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ModuleType]:
    return _project(tmp_path_factory, SPECS / "flow_temporal.yaml", "e2e_tflow")


@pytest.fixture(scope="session")
def teach(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ModuleType]:
    return _project(tmp_path_factory, SPECS / "for_each_temporal.yaml", "e2e_teach")


@pytest.fixture(scope="session")
def answers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ModuleType]:
    return _project(tmp_path_factory, SPECS / "answers.yaml", "e2e_answers")


@pytest.fixture(scope="session")
def tjobs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ModuleType]:
    return _project(tmp_path_factory, SPECS / "job_steps_temporal.yaml", "e2e_tjobs")


@pytest.fixture(scope="session")
def ttypes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ModuleType]:
    return _project(tmp_path_factory, SPECS / "types_temporal.yaml", "e2e_ttypes")
