"""Typed signal payloads in the Temporal runtime, without a server: what
JobRun takes and what the Update's validator refuses. What needs Temporal's
own loop (the waits, the warning an invalid signal logs) is in
tests/e2e/test_temporal_answers.py."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict
from temporalio.exceptions import ApplicationError

from lichc.engines.temporal.runtime import workflow_run as rt


class Approval(BaseModel):
    """As temporal_payloads.py writes a payload model."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    approved: bool = True
    by: str
    note: str | None = None


def typed() -> rt.JobRun:
    job = rt.JobRun("Order", typed=True)
    job.expect({"approve": Approval})
    return job


def refusal(job: rt.JobRun, payload: object) -> ApplicationError:
    with pytest.raises(ApplicationError) as raised:
        job.check_answer("approve", payload)  # type: ignore[arg-type]
    return raised.value


def test_a_valid_payload_is_kept_as_its_model_reads_it() -> None:
    job = typed()
    job.receive("approve", {"by": "ana", "extra": 1})
    expected = {"approved": True, "by": "ana", "note": None}
    assert job.signals == {"approve": expected}
    assert job.status.received == {"approve": expected}


def test_an_untyped_signal_keeps_any_object_as_it_came() -> None:
    job = rt.JobRun("Order")
    job.receive("approve", {"anything": [1]})
    assert job.signals == {"approve": {"anything": [1]}}
    job = rt.JobRun("Order", typed=True)
    job.expect({"approve": None})  # a version without a type
    job.receive("approve", None)
    assert job.signals == {"approve": None}


def test_a_signal_before_the_version_is_known_is_checked_once_it_is() -> None:
    job = rt.JobRun("Order", typed=True)
    job.receive("approve", {"by": "first"})
    assert job.signals == {}  # not known yet: nothing is taken
    job.expect({"approve": Approval})
    assert job.signals["approve"] == {"approved": True, "by": "first", "note": None}


def test_the_validator_refuses_an_answer_no_step_waits_for() -> None:
    job = typed()
    job.status.current = "charge"
    error = refusal(job, {"by": "ana"})
    assert error.type == "NotWaiting"
    assert error.message == (
        "job Order is not waiting for signal approve (its step now: charge)"
    )
    assert job.signals == {}


def test_the_validator_refuses_an_invalid_payload_with_each_problem() -> None:
    job = typed()
    job.waiting_for = "approve"
    error = refusal(job, {"approved": "maybe", "note": 3})
    assert error.type == "PayloadInvalid"
    assert error.details == (
        "approved: Input should be a valid boolean, unable to interpret input",
        "by: Field required",
        "note: Input should be a valid string",
    )
    assert job.signals == {}


def test_an_accepted_answer_is_taken_and_a_second_one_refused() -> None:
    job = typed()
    job.waiting_for = "approve"
    job.check_answer("approve", {"by": "ana"})
    job.answer("approve", {"by": "ana"})
    assert job.status.received == {
        "approve": {"approved": True, "by": "ana", "note": None}
    }
    assert refusal(job, {"by": "bo"}).type == "AlreadyAnswered"
    with pytest.raises(ApplicationError) as again:
        job.answer("approve", {"by": "bo"})
    assert again.value.type == "AlreadyAnswered"
    assert job.signals["approve"]["by"] == "ana"


def test_a_signal_answered_by_a_signal_refuses_the_update() -> None:
    job = typed()
    job.waiting_for = "approve"
    job.receive("approve", {"by": "ana"})
    assert refusal(job, {"by": "bo"}).message == "signal approve was already received"
