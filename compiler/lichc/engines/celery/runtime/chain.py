"""What the tasks of a chain call: a handler (sync or async), and the context
that carries the input, the steps' results and the deadline along the chain."""

from __future__ import annotations

import asyncio
import inspect
import os
import threading
import time
from collections.abc import Callable
from typing import Any, ParamSpec

from .policy import MissingField

P = ParamSpec("P")

# What a multi-step job's chain carries from step to step: input, steps, deadline.
Context = dict[str, Any]


def call(handler: Callable[P, Any], /, *args: P.args, **kwargs: P.kwargs) -> Any:
    """Call a handler (sync, or async: then run to completion on this thread's
    event loop) and return its result."""
    result = handler(*args, **kwargs)
    if not inspect.isawaitable(result):
        return result
    runner = event_loop_runner()
    try:
        return runner.run(_awaited(result))
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


def new_context(data: dict[str, Any], timeout: float | None) -> Context:
    """The context the first step of a chain receives."""
    deadline = time.time() + timeout if timeout is not None else None
    return {"input": data, "steps": {}, "deadline": deadline}


def with_result(context: Context, step: str, result: Any) -> Context:
    """The context the next step receives: this step's result added."""
    return {**context, "steps": {**context["steps"], step: result}}


def step_field(context: Context, step: str, name: str) -> Any:
    """`${steps.STEP.NAME}`: a field of a step's result, which must have it."""
    result = context["steps"][step]
    if not isinstance(result, dict) or name not in result:
        raise MissingField(f"step {step} returned no field {name!r}")
    return result[name]


def merge(contexts: list[Context]) -> Context:
    """Join the contexts of a `parallel` step's branches."""
    steps: dict[str, Any] = {}
    for context in contexts:
        steps.update(context["steps"])
    return {**contexts[0], "steps": steps}
