"""The Temporal runtime imported from the compiler's tree, without a server:
a job's status bookkeeping, its saga, its deadline, the step helpers, and the
worker's exit codes.

Outside a workflow `workflow.wait` is plain asyncio and the deadline a loop
timer, so JobRun runs here on an ordinary event loop; what needs Temporal's
own loop (wait_condition, workflow.logger) is left to tests/e2e.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from temporalio.exceptions import ApplicationError

from lichc.engines.temporal.runtime import activity_support as acts
from lichc.engines.temporal.runtime import processes as procs
from lichc.engines.temporal.runtime import workflow_run as rt

T = TypeVar("T")


def run(scenario: Callable[[], Awaitable[T]]) -> T:
    """Run `scenario` on an event loop of its own thread: the main thread's
    recursion count stays untouched by cancelled coroutines (CPython 3.11)."""
    outcome: list[Any] = []

    def target() -> None:
        async def bounded() -> T:
            return await asyncio.wait_for(scenario(), 10)

        try:
            outcome.append(("ok", asyncio.run(bounded())))
        except BaseException as error:
            outcome.append(("error", error))

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(30)
    kind, value = outcome[0]
    if kind == "error":
        raise value
    return value  # type: ignore[no-any-return]


class Saga:
    """A job with steps that record their undos, in the order they run."""

    def __init__(self, job: str = "Trip") -> None:
        self.job = rt.JobRun(job)
        self.undone: list[str] = []

    def undo(self, step: str, fails: bool = False) -> rt.Undo:
        async def undo() -> None:
            self.undone.append(step)
            if fails:
                raise ValueError(f"cannot undo {step}")

        return undo

    def step(self, name: str, undo_fails: bool = False) -> None:
        self.job.start(name)
        self.job.done(name, self.undo(name, undo_fails))


def declined() -> ApplicationError:
    return ApplicationError("card declined", type="Declined", non_retryable=True)


# -- status ----------------------------------------------------------------------


def test_a_new_job_is_running_with_nothing_done() -> None:
    status = rt.JobRun("Trip").status
    assert (status.state, status.current) == ("running", None)
    assert status.completed == status.compensated == status.problems == []


def test_each_status_has_lists_of_its_own() -> None:
    first, second = rt.JobStatus(), rt.JobStatus()
    first.completed.append("a")
    assert second.completed == []


def test_steps_are_recorded_in_order_and_the_current_one_is_kept() -> None:
    job = rt.JobRun("Trip")
    job.start("book")
    job.done("book")
    job.start("pay")
    assert job.status.current == "pay"
    assert job.status.completed == ["book"]


# -- saga ------------------------------------------------------------------------


def test_success_completes_without_undoing_anything() -> None:
    saga = Saga()

    async def steps() -> dict[str, Any]:
        saga.step("book")
        return {"book": 1}

    assert run(lambda: saga.job.run(steps(), None)) == {"book": 1}
    assert (saga.job.status.state, saga.job.status.current) == ("completed", None)
    assert saga.undone == []


def test_a_failure_undoes_completed_steps_in_reverse_then_is_raised() -> None:
    saga = Saga()
    error = declined()

    async def steps() -> None:
        saga.step("book")
        saga.step("pay")
        saga.job.start("ship")
        raise error

    with pytest.raises(ApplicationError) as raised:
        run(lambda: saga.job.run(steps(), None))
    assert raised.value is error
    assert saga.undone == ["pay", "book"]
    status = saga.job.status
    assert status.state == "failed"
    assert status.completed == ["book", "pay"]
    assert status.compensated == ["pay", "book"]
    assert status.problems == []


def test_a_failing_undo_is_a_problem_and_the_others_still_run() -> None:
    saga = Saga()

    async def steps() -> None:
        saga.step("book")
        saga.step("pay", undo_fails=True)
        raise declined()

    with pytest.raises(ApplicationError) as raised:
        run(lambda: saga.job.run(steps(), None))
    problem = "compensation of pay failed: ValueError: cannot undo pay"
    assert raised.value.type == "CompensationFailed"
    assert raised.value.non_retryable
    assert raised.value.message == f"Declined: card declined; {problem}"
    assert list(raised.value.details) == [problem]
    assert saga.undone == ["pay", "book"]
    assert saga.job.status.compensated == ["book"]
    assert saga.job.status.problems == [problem]


def test_an_error_that_is_no_temporal_failure_is_a_bug_raised_as_it_is() -> None:
    saga = Saga()

    async def steps() -> None:
        saga.step("book")
        raise KeyError("typo")

    with pytest.raises(KeyError):
        run(lambda: saga.job.run(steps(), None))
    assert saga.undone == []
    assert saga.job.status.state == "running"


def test_the_deadline_stops_the_steps_undoes_them_and_fails_the_job() -> None:
    saga = Saga()
    reached: list[str] = []

    async def steps() -> None:
        saga.step("book")
        saga.job.start("wait")
        await asyncio.sleep(5)
        reached.append("after the deadline")

    timeout = timedelta(milliseconds=50)
    with pytest.raises(ApplicationError) as raised:
        run(lambda: saga.job.run(steps(), timeout))
    assert raised.value.type == "JobTimeout"
    assert raised.value.message == (
        "job Trip did not finish within its timeout of 0:00:00.050000"
    )
    assert reached == []
    assert saga.undone == ["book"]
    assert saga.job.status.state == "failed"


def test_a_step_that_finishes_once_the_job_is_stopped_counts_but_ends_it() -> None:
    saga = Saga()

    async def steps() -> None:
        saga.job.start("book")
        # its activity completes as the deadline passes
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(5)
        saga.job.done("book", saga.undo("book"))
        saga.step("never")

    with pytest.raises(ApplicationError, match="did not finish"):
        run(lambda: saga.job.run(steps(), timedelta(milliseconds=20)))
    assert saga.job.status.completed == ["book"]
    assert saga.undone == ["book"]


# -- undoable steps ---------------------------------------------------------------


def test_an_undoable_step_keeps_its_result_and_its_undo() -> None:
    saga = Saga()
    results: dict[str, Any] = {}

    async def activity() -> dict[str, str]:
        return {"booking": "B1"}

    async def scenario() -> list[str]:
        await saga.job.undoable(results, "book", activity(), saga.undo("book"))
        return await saga.job.compensate()

    assert run(scenario) == []
    assert results == {"book": {"booking": "B1"}}
    assert saga.job.status.completed == ["book"]
    assert saga.undone == ["book"]


def test_an_undoable_step_that_failed_is_not_undone() -> None:
    saga = Saga()
    results: dict[str, Any] = {}

    async def activity() -> None:
        raise declined()

    async def scenario() -> list[str]:
        with pytest.raises(ApplicationError):
            await saga.job.undoable(results, "book", activity(), saga.undo("book"))
        return await saga.job.compensate()

    assert run(scenario) == []
    assert results == {}
    assert saga.undone == []


@pytest.mark.parametrize("needs_result", [False, True])
def test_a_step_cancelled_while_it_ran_is_undone_unless_the_undo_needs_its_result(
    needs_result: bool,
) -> None:
    saga = Saga()

    async def activity() -> None:
        # what Temporal raises when the activity ended as it was cancelled
        raise asyncio.CancelledError

    async def scenario() -> list[str]:
        undo = saga.undo("book")
        with pytest.raises(asyncio.CancelledError):
            await saga.job.undoable({}, "book", activity(), undo, needs_result)
        return await saga.job.compensate()

    problems = run(scenario)
    assert saga.job.status.completed == []
    if needs_result:
        assert saga.undone == []
        assert problems == [
            "step book was cancelled while it ran and may have taken effect; "
            "its compensation needs its result, so it was not undone"
        ]
    else:
        assert saga.undone == ["book"]
        assert problems == []


# -- signals ----------------------------------------------------------------------


def test_a_signal_received_early_is_returned_without_waiting() -> None:
    job = rt.JobRun("Trip")
    job.receive("approved", {"by": "ana"})
    payload = run(lambda: job.wait_for("approve", "approved", None, "fail"))
    assert payload == {"by": "ana"}


# -- helpers ----------------------------------------------------------------------


def test_describe_names_the_innermost_cause_and_its_type() -> None:
    inner = ApplicationError("card declined", type="Declined")
    outer = ApplicationError("activity failed")
    outer.__cause__ = inner
    assert rt.describe(outer) == "Declined: card declined"
    assert rt.describe(ValueError("bad")) == "ValueError: bad"
    assert rt.describe(ApplicationError("plain")) == "ApplicationError: plain"


def test_result_field_requires_the_step_result_and_the_field() -> None:
    results: dict[str, Any] = {"book": {"booking": "B1"}, "note": "text"}
    assert rt.result_field(results, "book", "booking") == "B1"
    for step, name, message in [
        ("pay", "id", "step pay has no result"),
        ("book", "id", "step book returned no field 'id'"),
        ("note", "id", "step note returned no field 'id'"),
    ]:
        with pytest.raises(ApplicationError) as raised:
            rt.result_field(results, step, name)
        assert (raised.value.message, raised.value.type) == (message, "MissingField")
        assert raised.value.non_retryable


def test_payload_field_is_none_without_the_field_or_a_payload() -> None:
    results: dict[str, Any] = {"approve": {"by": "ana"}, "skipped": None}
    assert rt.payload_field(results, "approve", "by") == "ana"
    assert rt.payload_field(results, "approve", "when") is None
    assert rt.payload_field(results, "skipped", "by") is None


# -- activity support ---------------------------------------------------------------


def test_non_retryable_keeps_the_message_and_names_the_type() -> None:
    error = acts.non_retryable(KeyError("sku"))
    assert (error.message, error.type, error.non_retryable) == (
        "'sku'",
        "KeyError",
        True,
    )


def test_with_heartbeat_passes_the_callback_only_to_who_asks() -> None:
    beat = acts.Heartbeat(every=60)

    def asks(order: str, heartbeat: acts.Heartbeat) -> object:
        return heartbeat

    def does_not(order: str) -> str:
        return order

    assert acts.with_heartbeat(asks, beat)(order="o1") is beat
    assert acts.with_heartbeat(does_not, beat) is does_not


# -- processes ------------------------------------------------------------------------


def raising(error: BaseException | None) -> Callable[[], Coroutine[Any, Any, None]]:
    async def main() -> None:
        if error is not None:
            raise error

    return main


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (None, 0),
        (SystemExit(None), 0),
        (SystemExit(3), 3),
        (KeyboardInterrupt(), 130),
        (RuntimeError("bug"), 1),
    ],
)
def test_exit_code_of_the_worker_main(error: BaseException | None, code: int) -> None:
    assert procs.exit_code(raising(error)) == code


def test_a_refusal_is_printed_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    refusal = SystemExit("handler orders:charge cannot take amount")
    assert procs.exit_code(raising(refusal)) == 1
    assert capsys.readouterr().err == "handler orders:charge cannot take amount\n"
