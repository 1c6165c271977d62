"""Inputs evolve (issue 12): what version 1 of a job sent decodes under
version 2's code, where version 2 removed an input field and added one with a
default. Each version is built by `lichc build` under its own project name
so both import side by side; the payloads go through the data converter the
generated Temporal client and worker use, and the Celery task is run as a
worker runs a message (its `__call__`), with no broker needed."""

from __future__ import annotations

import importlib
import logging
import sys
from pathlib import Path
from typing import Any

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter

from harness.cli import build

HANDLERS = "tests.e2e.handlers.evolution"


def spec(project: str, engine: str, fields: str) -> str:
    return f"""\
version: 1
project: {project}
output: generated
jobs:
  Parcel:
    engine: {engine}
    input: {{{fields}}}
    steps:
      - {{name: first, run: {HANDLERS}:first, args: {{key: "${{input.key}}"}}}}
      - {{name: echo, run: {HANDLERS}:echo}}
  Label:
    engine: {engine}
    input: {{{fields}}}
    run: {HANDLERS}:echo
"""


V1 = "key: str, colour: str"  # version 1: `colour`, no `size`
V2 = "key: str, size: {type: int, default: 3}"  # `colour` removed, `size` added


def import_built(tmp_path: Path, project: str, engine: str, fields: str) -> Any:
    output = build(tmp_path / project, spec(project, engine, fields))
    sys.path.insert(0, str(output))
    return lambda module: importlib.import_module(f"{project}.{module}")


@pytest.fixture
def clean_modules() -> Any:
    before = set(sys.modules)
    path = list(sys.path)
    yield
    for name in set(sys.modules) - before:
        if name.startswith("evo_in_"):
            del sys.modules[name]
    sys.path[:] = path


def convert(value: Any, to: type) -> Any:
    converter = pydantic_data_converter.payload_converter
    return converter.from_payloads(converter.to_payloads([value]), [to])[0]


def test_temporal_input_and_activity_arguments_of_version_1_decode_on_version_2(
    tmp_path: Path, clean_modules: None
) -> None:
    old = import_built(tmp_path, "evo_in_t1", "temporal", V1)
    new = import_built(tmp_path, "evo_in_t2", "temporal", V2)

    # a run started on version 1: its workflow input
    started = old("inputs").ParcelInput(key="k", colour="red")
    decoded = convert(started, new("inputs").ParcelInput)
    assert decoded == new("inputs").ParcelInput(key="k", size=3)

    # an activity scheduled by version 1, retried by a version 2 worker
    scheduled = old("temporal_activities").ParcelEchoArgs(key="k", colour="red")
    args = convert(scheduled, new("temporal_activities").ParcelEchoArgs)
    assert (args.key, args.size) == ("k", 3)
    assert not hasattr(args, "colour")
    single = old("temporal_activities").LabelArgs(key="k", colour="red")
    assert convert(single, new("temporal_activities").LabelArgs).size == 3


def test_celery_messages_of_version_1_run_on_version_2(
    tmp_path: Path, clean_modules: None, caplog: pytest.LogCaptureFixture
) -> None:
    import_built(tmp_path, "evo_in_c1", "celery", V1)
    new = import_built(tmp_path, "evo_in_c2", "celery", V2)
    app = new("celery_app").app
    new("celery_tasks")

    # a single-step job's message, queued by version 1
    label = app.tasks["evo_in_c2.label"]
    with caplog.at_level(logging.WARNING):
        assert label(key="k", colour="red") == {"key": "k", "size": 3}
    assert "ignored colour" in caplog.text
    # sending stays strict: Celery checks the arguments before a message goes
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        label.s(key="k", colour="red").apply_async()

    # a step of a chain sent by version 1: its context has colour, no size
    context = {"input": {"key": "k", "colour": "red"}, "steps": {}, "deadline": None}
    echo = app.tasks["evo_in_c2.parcel.echo"]
    assert echo(context) == {"key": "k", "size": 3}
    # the chain's launcher (beat and send_task) drops retired fields the same way
    runtime = new("celery_runtime")
    assert isinstance(app.tasks["evo_in_c2.parcel"], runtime.TolerantTask)
