"""The part of Temporal workflows that does not vary with the spec: a job's run
(status, signals, saga, deadline) and the helpers its steps call.

Copied into the generated package as temporal_runtime.py and imported by
temporal_workflows.py, so it runs in Temporal's sandbox and is replayed: it
must stay deterministic, free of side effects at import, and issue the same
commands in the same order (runs in flight replay against them).

Annotations are evaluated when the module loads (no `from __future__ import
annotations`), like the workflows module's: Temporal reads JobStatus's type
hints to convert the `status` query's answer.
"""

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, NoReturn, TypeVar

from pydantic import BaseModel
from temporalio import workflow
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    FailureError,
    is_cancelled_exception,
)

T = TypeVar("T")
R = TypeVar("R")
Undo = Callable[[], Awaitable[Any]]

# The most elements one for_each step runs: each costs about six history
# events (its activity's three, and the workflow tasks that see them end),
# and Temporal fails a workflow whose history passes 51,200 events
# (bench/for_each.py measures it; docs/control-flow.md)
MAX_ELEMENTS = 5000


@dataclass
class JobStatus:
    """What the `status` query answers: where a job is and what it has done."""

    state: str = "running"  # running, compensating, completed, failed, cancelled
    current: str | None = None  # the step running (or sleeping, or waiting) now
    completed: list[str] = field(default_factory=list)  # finished steps, in order
    skipped: list[str] = field(default_factory=list)  # steps whose `if` was false
    # the payload of each signal received, by signal (the first one that fits
    # its type counts), as its payload model reads it
    received: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    compensated: list[str] = field(default_factory=list)  # undone steps, in order
    problems: list[str] = field(default_factory=list)  # steps that could not be undone


# A signal's payload model: a pydantic model class (temporal_payloads.py),
# used through model_validate and model_dump only, so that this module needs
# nothing beyond the standard library and temporalio
PayloadModel = Any


class JobRun:
    """One run of a job: its status, received signals, saga and deadline."""

    def __init__(self, job: str, typed: bool = False) -> None:
        self.job = job
        self.status = JobStatus()
        self.signals: dict[str, dict[str, Any] | None] = {}
        # each typed signal's payload model on the run's version; None until
        # the run knows its version (`expect`), when `typed`
        self._payloads: dict[str, PayloadModel | None] | None = None if typed else {}
        self._early: list[tuple[str, dict[str, Any] | None]] = []
        self.waiting_for: str | None = None  # the signal a step waits for now
        self._undo: list[tuple[str, Undo]] = []
        self._compensate_on_failure = True
        self._stopped: str | None = None  # "timeout" or "cancelled", once stopped
        self.version = 1  # of the job's steps this run follows (pin_version)

    def pin_version(
        self,
        patches: tuple[tuple[int, str], ...],
        oldest: int,
        deprecated: str | None = None,
    ) -> int:
        """Pin the run to a version of the job, before its first command.

        `patches` are (version, patch id), newest first. A new run records
        the newest one's marker; a replayed run finds the marker it recorded
        when it started, or none if it started before any of these versions
        existed (it is then on `oldest`). Asked first thing, the answer never
        depends on where in its history a run is.

        `deprecated` is the patch of `oldest` once older versions are retired:
        runs started on `oldest` carry its marker, which replay must still
        meet (Temporal's deprecate stage); `lichc retire` removes it when
        `oldest` itself is retired."""
        if deprecated is not None:
            workflow.deprecate_patch(deprecated)
        for version, patch in patches:
            if workflow.patched(patch):
                self.version = version
                return version
        self.version = oldest
        return oldest

    def start(self, step: str) -> None:
        self.status.current = step

    def done(self, step: str, undo: Undo | None = None) -> None:
        """Record a finished step, and how to undo it should a later one fail."""
        self.status.completed.append(step)
        if undo is not None:
            self._undo.append((step, undo))
        if self._stopped is not None:
            # it finished while the job was being stopped: it counts (and is
            # undone), but no further step may start
            raise asyncio.CancelledError

    def skip(self, results: dict[str, Any], step: str) -> None:
        """A step whose `if` is false: its result is None, and it is listed."""
        results[step] = None
        self.status.skipped.append(step)

    def ended(self, step: str) -> None:
        """An end step ends the job with a result (the caller returns it)."""
        self.status.completed.append(step)

    def failed(self, step: str, *message: object) -> ApplicationError:
        """An end step's failure, to raise: compensations then run as on any
        failure. Its message joins the text and values of `fail`."""
        self.status.completed.append(step)
        return ApplicationError(
            "".join(str(part) for part in message),
            type="JobFailed",
            non_retryable=True,
        )

    async def undoable(
        self,
        results: dict[str, Any],
        step: str,
        activity: Awaitable[Any],
        undo: Undo,
        needs_result: bool = False,
    ) -> None:
        """Await a step that has a compensation, store its result in `results`
        and keep how to undo it once it may have taken effect: when it
        finished, or was cancelled while it ran (its activity waits for the
        cancellation to complete)."""
        # the activity runs in a task of its own, cancelled here: when the
        # cancel and its completion arrive together, its result is still read
        running = asyncio.ensure_future(activity)
        cancelled = False
        while not running.done():
            try:
                await workflow.wait([running])
            except asyncio.CancelledError:
                cancelled = True
                running.cancel()
        if running.cancelled():
            # Temporal raises a bare CancelledError when the activity had
            # ended as it was cancelled: it may have taken effect
            self._cancelled_while_running(step, undo, needs_result)
            raise asyncio.CancelledError
        error = running.exception()
        if error is not None:
            if (
                isinstance(error, ActivityError)
                and is_cancelled_exception(error)
                and error.started_event_id
            ):
                self._cancelled_while_running(step, undo, needs_result)
            raise error
        # stored first: done() raises when the job is being stopped, and the
        # undo may read this result
        results[step] = running.result()
        self.done(step, undo)
        if cancelled:  # it finished after all, and counts; nothing more runs
            raise asyncio.CancelledError

    def _cancelled_while_running(
        self, step: str, undo: Undo, needs_result: bool
    ) -> None:
        if not needs_result:
            self._undo.append((step, undo))
            return
        self.status.problems.append(
            f"step {step} was cancelled while it ran and may have taken effect; "
            "its compensation needs its result, so it was not undone"
        )

    def expect(self, payloads: dict[str, PayloadModel | None]) -> None:
        """The payload model of each typed signal on the run's version (None:
        any object), known once its version is pinned; the signals that
        arrived before (in the run's first workflow task) are checked now,
        in the order they came."""
        self._payloads = payloads
        early, self._early = self._early, []
        for signal, payload in early:
            self.receive(signal, payload)

    def receive(self, signal: str, payload: dict[str, Any] | None) -> None:
        """Keep a signal's payload until its step asks; the first valid one
        counts. An invalid one is logged and dropped: the step still waits."""
        if self._payloads is None:
            self._early.append((signal, payload))
            return
        if signal in self.signals:
            workflow.logger.warning("signal %s received again, ignored", signal)
            return
        try:
            taken = self._checked(signal, payload)
        except ApplicationError as error:
            workflow.logger.warning("%s; ignored", error.message)
            return
        self._take(signal, taken)

    def check_answer(self, signal: str, payload: dict[str, Any] | None) -> None:
        """The Update's validator: refuse an answer the run would not take
        (nothing is recorded of a refused Update)."""
        if signal in self.signals:
            raise ApplicationError(
                f"signal {signal} was already received", type="AlreadyAnswered"
            )
        if self.waiting_for != signal:
            now = self.status.current
            raise ApplicationError(
                f"job {self.job} is not waiting for signal {signal}"
                + (f" (its step now: {now})" if now else ""),
                type="NotWaiting",
            )
        self._checked(signal, payload)

    def answer(self, signal: str, payload: dict[str, Any] | None) -> None:
        """The Update's handler: take the answer its validator accepted. A
        replayed Update comes here without its validator, as it was taken."""
        if signal in self.signals:  # only if answered in the same breath
            raise ApplicationError(
                f"signal {signal} was already received", type="AlreadyAnswered"
            )
        self._take(signal, self._checked(signal, payload))

    def _checked(
        self, signal: str, payload: dict[str, Any] | None
    ) -> dict[str, Any] | None:
        """The payload as its model reads it (defaults filled in), or raise
        PayloadInvalid; untyped, it is kept as it came."""
        model = (self._payloads or {}).get(signal)
        if model is None:
            return payload
        try:
            parsed = model.model_validate({} if payload is None else payload)
        except ValueError as error:  # pydantic's ValidationError is one
            problems = _problems(error)
            raise ApplicationError(
                f"signal {signal}: invalid payload: " + "; ".join(problems),
                *problems,
                type="PayloadInvalid",
            ) from None
        return dict(parsed.model_dump(mode="json"))

    def _take(self, signal: str, payload: dict[str, Any] | None) -> None:
        self.signals[signal] = payload
        self.status.received[signal] = payload

    async def wait_for(
        self, step: str, signal: str, timeout: timedelta | None, on_timeout: str
    ) -> dict[str, Any] | None:
        """The payload of `signal`, received before or during this step."""
        if signal in self.signals:  # arrived early: no timer needed
            return self.signals[signal]
        self.waiting_for = signal
        try:
            await workflow.wait_condition(
                lambda: signal in self.signals, timeout=timeout, timeout_summary=step
            )
        except TimeoutError:
            if on_timeout == "continue":
                return None
            self._compensate_on_failure = on_timeout == "compensate"
            raise ApplicationError(
                f"step {step}: no signal {signal!r} within {timeout}",
                type="SignalTimeout",
                non_retryable=True,
            ) from None
        finally:
            self.waiting_for = None
        return self.signals[signal]

    async def parallel(self, *branches: Coroutine[Any, Any, None]) -> None:
        """Run branches together; the first failure cancels the others, whose
        end is awaited (what they did gets compensated), and is then raised,
        not a failure of a sibling once cancelled."""
        await _together([asyncio.create_task(branch) for branch in branches])

    async def for_each(
        self,
        step: str,
        items: Any,
        run_one: Callable[[Any], Awaitable[Any]],
        max_parallel: int,
    ) -> list[Any]:
        """Run `run_one` once per element, at most `max_parallel` at a time,
        scheduled in list order; the results in list order. A failed element
        (after its retries) cancels the others and fails the step. None (a
        skipped step's result, an optional input left out) has no elements."""
        if items is None:
            return []
        if not isinstance(items, list):
            raise ApplicationError(
                f"step {step}: for_each needs a list, got {type(items).__name__}",
                type="ForEachError",
                non_retryable=True,
            )
        if len(items) > MAX_ELEMENTS:
            raise ApplicationError(
                f"step {step}: for_each over {len(items)} elements, more than the "
                f"{MAX_ELEMENTS} one Temporal workflow runs (its history would "
                "outgrow Temporal's limit); split the list over several runs",
                type="ForEachTooLong",
                non_retryable=True,
            )
        gate = asyncio.Semaphore(max_parallel)  # FIFO: deterministic on replay

        async def one(item: Any) -> Any:
            async with gate:
                return await run_one(item)

        tasks = [asyncio.create_task(one(item)) for item in items]
        if tasks:
            await _together(tasks)
        return [task.result() for task in tasks]

    async def run(self, steps: Coroutine[Any, Any, T], timeout: timedelta | None) -> T:
        """Run the steps; on failure, at the deadline or when the workflow is
        cancelled undo the completed ones, then fail (or end cancelled)."""
        task = asyncio.create_task(steps)
        if timeout is not None:
            # a durable timer; left pending when the job ends first, which
            # costs no command, where cancelling it would cost one
            asyncio.get_running_loop().call_later(
                timeout.total_seconds(), self._stop, task, "timeout"
            )
        await self._settled(task)
        if self._stopped == "cancelled":
            await self._cancelled()
        if self._stopped == "timeout":
            await self._fail(
                ApplicationError(
                    f"job {self.job} did not finish within its timeout of {timeout}",
                    type="JobTimeout",
                    non_retryable=True,
                )
            )
        error = task.exception()
        if isinstance(error, FailureError):
            await self._fail(error)
        result = task.result()  # raises any other error: a bug, not a job failure
        self.status.state = "completed"
        self.status.current = None
        return result

    async def run_checked(
        self,
        steps: Coroutine[Any, Any, Any],
        timeout: timedelta | None,
        check: Callable[[Any], R],
    ) -> R:
        """`run`, then check the job's result against its `result:` type
        (`check`: a pydantic TypeAdapter's validate_python). A result that
        does not fit fails the job, unretried and uncompensated: its steps
        completed, only its result is wrong."""
        result = await self.run(steps, timeout)
        try:
            return check(result)
        except ValueError as error:  # pydantic's ValidationError is one
            problems = _problems(error)
            self.status.state = "failed"
            raise ApplicationError(
                f"job {self.job}: its result does not fit its type: "
                + "; ".join(problems),
                *problems,
                type="ResultInvalid",
                non_retryable=True,
            ) from None

    async def _settled(self, task: asyncio.Task[Any]) -> None:
        """Wait for the steps to end, stopping them if the workflow is cancelled."""
        try:
            # the workflow's cancel lands here, not in the running step (wait
            # does not pass it on), so it is told apart from a step's failure
            await workflow.wait([task])
        except asyncio.CancelledError:
            self._stop(task, "cancelled")
            await workflow.wait([task])

    def _stop(self, task: asyncio.Task[Any], why: str) -> None:
        if not task.done() and self._stopped is None:
            self._stopped = why
            task.cancel()

    async def compensate(self) -> list[str]:
        """Undo completed steps in reverse order; every one runs even if one
        fails. A workflow cancel meanwhile does not stop the undos: the saga
        runs in a task of its own, which the cancel does not reach."""
        state, self.status.state = self.status.state, "compensating"
        saga = asyncio.create_task(self._compensate_all())
        while not saga.done():
            try:
                await workflow.wait([saga])
            except asyncio.CancelledError:
                # the run already ends failed or cancelled once the saga is done
                workflow.logger.info("job %s: cancel during compensation", self.job)
        saga.result()
        self.status.state = state
        return self.status.problems

    async def _compensate_all(self) -> None:
        while self._undo:
            step, undo = self._undo.pop()
            try:
                await undo()
            except (Exception, asyncio.CancelledError) as error:
                # any error is a problem, never a stuck run or a skipped undo
                self.status.problems.append(
                    f"compensation of {step} failed: {describe(error)}"
                )
            else:
                self.status.compensated.append(step)

    async def _fail(self, error: Exception) -> NoReturn:
        problems = await self.compensate() if self._compensate_on_failure else []
        self.status.state = "failed"
        if problems:
            raise compensation_failed(describe(error), problems) from error
        raise error

    async def _cancelled(self) -> NoReturn:
        """Undo, then end cancelled; fail instead if a step could not be undone,
        so that the problems show in the workflow's result and history."""
        self.status.state = "cancelled"
        problems = await self.compensate()
        if problems:
            self.status.state = "failed"
            raise compensation_failed(f"job {self.job} was cancelled", problems)
        raise asyncio.CancelledError


async def _together(tasks: list[asyncio.Task[T]]) -> None:
    """Wait for tasks run together: the first failure cancels the others,
    whose end is awaited, and is raised (not a sibling's once cancelled)."""
    first: list[asyncio.Task[T]] = []
    try:
        first, _ = await workflow.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    finally:  # after a failure, or when the job is stopped
        for task in tasks:
            task.cancel()
        await workflow.wait(tasks)
    # the failures that ended the step come first (in list order among
    # themselves), then those of the siblings it cancelled; every one is
    # retrieved, so none is logged as "never retrieved" when the task is freed
    errors = [
        task.exception()
        for task in sorted(tasks, key=lambda t: t not in first)
        if not task.cancelled()
    ]
    for error in errors:
        if error is not None and not is_cancelled_exception(error):
            raise error


def _problems(error: ValueError) -> list[str]:
    """A payload's validation errors, one line each: `field: message`."""
    errors = getattr(error, "errors", None)
    if errors is None:
        return [str(error)]
    return [
        ".".join(str(part) for part in e["loc"]) + ": " + str(e["msg"])
        if e["loc"]
        else str(e["msg"])
        for e in errors(include_url=False)
    ]


def compensation_failed(reason: str, problems: list[str]) -> ApplicationError:
    """The job's failure when steps could not be undone: the message says why
    the saga ran and what went wrong, the details list the problems."""
    return ApplicationError(
        "; ".join([reason, *problems]),
        *problems,
        type="CompensationFailed",
        non_retryable=True,
    )


def describe(error: BaseException) -> str:
    """The innermost cause of a Temporal failure: what really went wrong."""
    while isinstance(error, FailureError) and error.cause is not None:
        error = error.cause
    kind = error.type if isinstance(error, ApplicationError) else None
    message = error.message if isinstance(error, FailureError) else str(error)
    return f"{kind or type(error).__name__}: {message}"


def result_field(results: dict[str, Any], step: str, name: str) -> Any:
    """`${steps.STEP.NAME}`: a field of a step's result, which must have it."""
    if step not in results:  # it was stopped before its result was kept
        raise ApplicationError(
            f"step {step} has no result",
            type="MissingField",
            non_retryable=True,
        )
    result = results[step]
    if not isinstance(result, dict) or name not in result:
        raise ApplicationError(
            f"step {step} returned no field {name!r}",
            type="MissingField",
            non_retryable=True,
        )
    return result[name]


def payload_field(results: dict[str, Any], step: str, name: str) -> Any:
    """`${steps.WAIT.NAME}`: a field of a signal's payload, or None without it."""
    payload = results[step]
    return payload.get(name) if isinstance(payload, dict) else None


def item_field(item: Any, name: str) -> Any:
    """`${item.NAME}` in a for_each step's args: a field of the element,
    which must have it."""
    item = _fields_of(item)
    if not isinstance(item, dict) or name not in item:
        raise ApplicationError(
            f"a for_each element has no field {name!r}",
            type="MissingField",
            non_retryable=True,
        )
    return item[name]


# -- what the conditions of `if` read (lichc.fileformat.conditions) -----------


def item_field_or_none(item: Any, name: str) -> Any:
    """`${item.NAME}` in a condition: None when the element has no such field."""
    item = _fields_of(item)
    return item.get(name) if isinstance(item, dict) else None


def _fields_of(item: Any) -> Any:
    """An element of a typed list input is a model: its fields, as a dict's."""
    return dict(item) if isinstance(item, BaseModel) else item


def field_or_none(results: dict[str, Any], step: str, name: str) -> Any:
    """`${steps.STEP.NAME}` where the step may have been skipped: None when it
    was, or when its result has no such field."""
    result = results.get(step)
    return result.get(name) if isinstance(result, dict) else None


_ORDERINGS: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def ordered(left: Any, op: str, right: Any) -> bool:
    """`left op right` of a condition: false when either is None (a skipped
    step, a missing field); values that cannot be ordered fail the job."""
    if left is None or right is None:
        return False
    try:
        return _ORDERINGS[op](left, right)
    except TypeError:
        raise ApplicationError(
            f"a condition compares {type(left).__name__} {op} "
            f"{type(right).__name__}, which cannot be ordered",
            type="ConditionError",
            non_retryable=True,
        ) from None


def contains(item: Any, container: Any) -> bool:
    """`item in container` of a condition: false when the container is None;
    a container that cannot hold the item fails the job."""
    if container is None:
        return False
    try:
        return bool(item in container)
    except TypeError:
        raise ApplicationError(
            f"a condition asks whether a {type(item).__name__} is in a "
            f"{type(container).__name__}",
            type="ConditionError",
            non_retryable=True,
        ) from None
