"""What the tasks of a chain call: a handler (sync or async), and the context
that carries the input, the steps' results, the deadline and the run's id
along the chain."""

from __future__ import annotations

import asyncio
import inspect
import os
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, NoReturn, ParamSpec

from .job_context import context_for
from .policy import ConditionError, MissingField
from .typed import to_json

P = ParamSpec("P")

# What a multi-step job's chain carries from step to step: input, steps,
# deadline, and the run's id.
Context = dict[str, Any]


def call(handler: Callable[P, Any], /, *args: P.args, **kwargs: P.kwargs) -> Any:
    """Call a handler (sync, or async: then run to completion on this thread's
    event loop) and return its result. A handler that declares `context`
    (and is not passed one) is also given the attempt's JobContext."""
    context = context_for(handler, kwargs)
    given = {} if context is None else {"context": context}
    function: Callable[..., Any] = handler
    result = function(*args, **kwargs, **given)
    if not inspect.isawaitable(result):
        return to_json(result)
    runner = event_loop_runner()
    try:
        return to_json(runner.run(_awaited(result)))
    except BaseException:
        if any(not t.done() for t in asyncio.all_tasks(runner.get_loop())):
            # interrupted mid-run (a soft time limit): start afresh next time
            # rather than resume the abandoned coroutine with the next call's
            _runners.runner = None
            runner.close()
        raise


class _Runners(threading.local):
    runner: asyncio.Runner | None = None
    pid: int | None = None


_runners = _Runners()


def event_loop_runner() -> asyncio.Runner:
    """One event loop per worker process and thread, kept across calls, so
    clients a handler's module binds to the running loop keep working
    (`asyncio.run` would give each call a new loop). A forked pool process
    gets its own."""
    if _runners.runner is None or _runners.pid != os.getpid():
        _runners.runner = asyncio.Runner()
        _runners.pid = os.getpid()
    return _runners.runner


async def _awaited(result: Any) -> Any:
    return await result


def new_context(
    data: dict[str, Any], timeout: float | None, run: str | None = None
) -> Context:
    """The context the first step of a chain receives; `run` is the id the
    chain is sent with (its last task's; a new one when None), which every
    task of the chain reads to know whether the run was cancelled."""
    deadline = time.time() + timeout if timeout is not None else None
    return {
        "input": data,
        "steps": {},
        "deadline": deadline,
        "run": run or str(uuid.uuid4()),
    }


def with_result(context: Context, step: str, result: Any) -> Context:
    """The context the next step receives: this step's result added."""
    return {**context, "steps": {**context["steps"], step: result}}


def step_field(context: Context, step: str, name: str) -> Any:
    """`${steps.STEP.NAME}`: a field of a step's result, which must have it."""
    result = context["steps"][step]
    if not isinstance(result, dict) or name not in result:
        raise MissingField(f"step {step} returned no field {name!r}")
    return result[name]


def item_field(item: Any, name: str) -> Any:
    """`${item.NAME}` in a for_each step's args: a field of the element,
    which must have it."""
    if not isinstance(item, dict) or name not in item:
        raise MissingField(f"a for_each element has no field {name!r}")
    return item[name]


def item_field_or_none(item: Any, name: str) -> Any:
    """`${item.NAME}` in a condition: None when the element has no such field."""
    return item.get(name) if isinstance(item, dict) else None


def merge(contexts: list[Context]) -> Context:
    """Join the contexts of a `parallel` step's branches."""
    steps: dict[str, Any] = {}
    for context in contexts:
        steps.update(context["steps"])
    return {**contexts[0], "steps": steps}


# -- control flow: `if` and `end` (lichc.fileformat.conditions) ----------------


def skipped(context: Context, step: str) -> Context:
    """A step whose `if` is false: its result is None, and it is listed."""
    passed = with_result(context, step, None)
    return {**passed, "skipped": [*context.get("skipped", []), step]}


def field_or_none(context: Context, step: str, name: str) -> Any:
    """`${steps.STEP.NAME}` where the step may have been skipped: None when it
    was, or when its result has no such field."""
    result = context["steps"].get(step)
    return result.get(name) if isinstance(result, dict) else None


_ORDERINGS: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def ordered(left: Any, op: str, right: Any) -> bool:
    """`left op right` of a condition: false when either is None; values that
    cannot be ordered fail the step, unretried."""
    if left is None or right is None:
        return False
    try:
        return _ORDERINGS[op](left, right)
    except TypeError:
        raise ConditionError(
            f"a condition compares {type(left).__name__} {op} "
            f"{type(right).__name__}, which cannot be ordered"
        ) from None


def contains(item: Any, container: Any) -> bool:
    """`item in container` of a condition: false when the container is None."""
    if container is None:
        return False
    try:
        return bool(item in container)
    except TypeError:
        raise ConditionError(
            f"a condition asks whether a {type(item).__name__} is in a "
            f"{type(container).__name__}"
        ) from None


def run_job(task: Any, context: Context, flow: Any, resume: str) -> NoReturn:
    """A job step: the task is replaced by the child job's chain (`flow`,
    which carries this run's id, so a cancel reaches it), then by `resume`,
    which puts the child's result in the context and passes it on."""
    from celery import chain

    raise task.replace(chain(flow, task.app.signature(resume, args=(context,))))


def end_job(task: Any, context: Context, result: Any, after: int) -> Context:
    """An end step completed the job with `result`: the job's last task,
    `after` tasks on, which holds the job's result, is sent next and at once
    (any countdown, a later sleep's, dropped); every task between passes the
    context on. What follows the job's last task stays: the rest of the
    chain of a job that runs this one as a step."""
    chain = list(task.request.chain or [])  # reversed: the next task is last
    at = len(chain) - after
    if after > 0 and at >= 0 and chain[at].get("subtask_type") is None:
        last = dict(chain[at])  # a task, not a chord
        options = dict(last.get("options") or {})
        for key in ("countdown", "eta", "expires"):
            options.pop(key, None)
        last["options"] = options
        task.request.chain = [*chain[:at], last]
    return {**context, "ended": {"result": result}}


def ended(context: Context) -> bool:
    """Whether an earlier end step completed the job."""
    return "ended" in context


def end_result(context: Context) -> Any:
    """The result an end step completed the job with."""
    return context["ended"]["result"]


def message(*parts: Any) -> str:
    """An end step's `fail` message: its text and values, joined."""
    return "".join(str(part) for part in parts)
