"""Typed approvals on Temporal (tests/e2e/specs/answers.yaml), on the
session's dev server: `answer_ticket_approve` (a workflow Update) is taken
only while step approval waits and only once, refuses an invalid payload with
each problem named, and a fire-and-forget signal with an invalid payload is
logged and ignored while the run keeps waiting. Job Ticket waits at `hold`
before its approval and at `close` after it, so each state is reached
deterministically."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from temporalio.client import WorkflowFailureError, WorkflowHandle

from harness.cli import run_lichc, write_spec
from tests.e2e.test_temporal_evolution import (
    APPROVAL,
    Project,
    lichc_replay,
    new_key,
    outcome,
    run,
    spec,
    stop,
    terminate,
    waiting,
)
from tests.support.temporal import Server, history_of, wait_for_step

pytestmark = pytest.mark.e2e

Answers = dict[str, ModuleType]


def event_names(events: list[Any]) -> list[str]:
    return [e.WhichOneof("attributes") for e in events]


def test_an_answer_is_refused_before_its_step_taken_at_it_and_refused_after(
    temporal: Server, answers: Answers
) -> None:
    client_mod, worker = answers["temporal_client"], answers["temporal_worker"]
    ticket = uuid.uuid4().hex
    refused: dict[str, Any] = {}

    async def scenario() -> tuple[Any, Any, list[Any]]:
        client = temporal.client
        async with worker.running(client):
            handle = await client_mod.start_ticket(client, ticket=ticket)
            await wait_for_step(client_mod.status_ticket, client, handle.id, "hold")
            with pytest.raises(client_mod.NotWaiting) as early:
                await client_mod.answer_ticket_approve(
                    client, handle.id, approved=True, by="ana"
                )
            refused["early"] = early.value
            await client_mod.signal_ticket_go(client, handle.id)
            await wait_for_step(client_mod.status_ticket, client, handle.id, "approval")
            await client_mod.answer_ticket_approve(
                client, handle.id, approved=True, by="ana", note="looks good"
            )
            # it returned once taken: the run has moved on to its next wait
            taken = await client_mod.status_ticket(client, handle.id)
            with pytest.raises(client_mod.AlreadyAnswered) as again:
                await client_mod.answer_ticket_approve(
                    client, handle.id, approved=False, by="bo"
                )
            refused["again"] = again.value
            await client_mod.signal_ticket_finish(client, handle.id)
            result = await handle.result()
            with pytest.raises(client_mod.NotWaiting) as ended:
                await client_mod.answer_ticket_approve(
                    client, handle.id, approved=True, by="cy"
                )
            refused["ended"] = ended.value
            return taken, result, await history_of(handle)

    taken, result, events = temporal.run(scenario())
    assert refused["early"].message == (
        "job Ticket is not waiting for signal approve (its step now: hold)"
    )
    answer = {"approved": True, "by": "ana", "note": "looks good", "copies": []}
    assert taken.current == "close"
    assert taken.received == {"go": None, "approve": answer}
    assert refused["again"].message == "signal approve was already received"
    assert isinstance(refused["again"], client_mod.AnswerRefused)
    assert refused["ended"].message.endswith("has ended: it waits for no signal")
    assert result["approval"] == answer
    assert result["ship"] == {"shipped": ticket, "gift": True}
    # refused Updates leave nothing in the history; the taken one is there
    names = event_names(events)
    assert names.count("workflow_execution_update_accepted_event_attributes") == 1
    assert names.count("workflow_execution_update_completed_event_attributes") == 1


def test_an_invalid_answer_names_each_problem_and_the_run_keeps_waiting(
    temporal: Server, answers: Answers
) -> None:
    client_mod, worker = answers["temporal_client"], answers["temporal_worker"]
    ticket = uuid.uuid4().hex

    async def scenario() -> tuple[Any, Any, Any]:
        client = temporal.client
        async with worker.running(client):
            handle = await client_mod.start_ticket(client, ticket=ticket)
            await client_mod.signal_ticket_go(client, handle.id)
            await wait_for_step(client_mod.status_ticket, client, handle.id, "approval")
            with pytest.raises(client_mod.PayloadInvalid) as invalid:
                await client_mod.answer_ticket_approve(
                    client,
                    handle.id,
                    approved="maybe",  # type: ignore[arg-type]
                    by="ana",
                    copies=[1],  # type: ignore[list-item]
                )
            still = await client_mod.status_ticket(client, handle.id)
            await client_mod.answer_ticket_approve(
                client, handle.id, approved=False, by="bo"
            )
            failure = await _failure(handle)
            return invalid.value, still, failure

    invalid, still, failure = temporal.run(scenario())
    assert invalid.details == (
        "approved: Input should be a valid boolean, unable to interpret input",
        "copies.0: Input should be a valid string",
    )
    assert invalid.message == "signal approve: invalid payload: " + "; ".join(
        invalid.details
    )
    assert still.current == "approval"
    assert "approve" not in still.received
    # a no is taken like a yes: the run then ends at its `rejected` step
    assert failure.cause.type == "JobFailed"
    assert failure.cause.message == "rejected by bo"


async def _failure(handle: WorkflowHandle[Any, Any]) -> Any:
    try:
        await handle.result()
    except WorkflowFailureError as failure:
        return failure
    raise AssertionError(f"run {handle.id} did not fail")


def test_an_invalid_signal_is_logged_and_ignored_then_a_valid_one_is_taken(
    temporal: Server, answers: Answers, caplog: pytest.LogCaptureFixture
) -> None:
    client_mod, worker = answers["temporal_client"], answers["temporal_worker"]
    ticket = uuid.uuid4().hex
    caplog.set_level(logging.WARNING, logger="temporalio.workflow")

    async def scenario() -> tuple[Any, Any, Any]:
        client = temporal.client
        async with worker.running(client):
            handle = await client_mod.start_ticket(client, ticket=ticket)
            await client_mod.signal_ticket_go(client, handle.id)
            await wait_for_step(client_mod.status_ticket, client, handle.id, "approval")
            await client_mod.signal_ticket_approve(client, handle.id, {"by": 7})
            # a query after a signal is answered once the signal was handled
            ignored = await client_mod.status_ticket(client, handle.id)
            await client_mod.signal_ticket_approve(
                client, handle.id, {"approved": True, "by": "ana", "extra": 1}
            )
            await wait_for_step(client_mod.status_ticket, client, handle.id, "close")
            taken = await client_mod.status_ticket(client, handle.id)
            await client_mod.signal_ticket_finish(client, handle.id)
            return ignored, taken, await handle.result()

    ignored, taken, result = temporal.run(scenario())
    assert ignored.current == "approval"
    assert "approve" not in ignored.received
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(
        m.startswith(
            "signal approve: invalid payload: approved: Field required; "
            "by: Input should be a valid string; ignored"
        )
        for m in warnings
    ), warnings
    # a field the type does not know is dropped; defaults are filled in
    answer = {"approved": True, "by": "ana", "note": None, "copies": []}
    assert taken.received["approve"] == answer
    assert result["approval"] == answer


TYPED_APPROVAL = "{name: approval, wait_for: {signal: approve, payload: {by: str}}}"


def test_a_run_approved_before_its_payload_was_typed_replays_on_the_typed_build(
    temporal: Server, tmp_path: Path
) -> None:
    """Version 1's approval takes any object; version 2 types it. A run of
    version 1 approved with a payload version 2 refuses still replays on
    version 2's workflows: it keeps version 1's type. Forgetting version 1
    (a new baseline) is what would strand it."""
    project = Project(tmp_path, "e2e_evo_payload")
    project.build([run("first"), APPROVAL, run("last")])
    handles: list[Any] = []
    try:
        with project.worker(temporal, 1) as first:
            handle = waiting(temporal, project, new_key(), first, handles)
            temporal.run(handle.signal("approve", {"who": "A"}))
            result = temporal.run(outcome(handle, first))
            history = temporal.run(handle.fetch_history())
            stop(first)
    finally:
        terminate(temporal, handles)
    assert result["approval"] == {"who": "A"}
    exported = tmp_path / f"{handle.id}.json"
    exported.write_text(history.to_json(), encoding="utf-8")

    typed = project.build([run("first"), TYPED_APPROVAL, run("last")])
    assert "version 2: typed the payload of approve" in typed.out + typed.err
    replayed = lichc_replay(project, temporal, str(exported))
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr

    steps = [run("first"), TYPED_APPROVAL, run("last")]
    write_spec(project.folder, spec(project.name, project.queue, steps))
    rebased = run_lichc("build", "--new-baseline", cwd=project.folder)
    assert rebased.code == 0, rebased.err
    diverged = lichc_replay(project, temporal, str(exported))
    assert diverged.returncode == 1, diverged.stdout + diverged.stderr
    assert f"{exported}: does not replay" in diverged.stderr
