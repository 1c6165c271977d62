"""A `for_each` step as Celery runs it: a chord of `max_parallel` lanes.

The step's task in the chain reads the list when it runs, then replaces
itself (`Task.replace`) with a chord of k lanes, lane j holding elements j,
j+k, j+2k, ... of the list: at most k elements run at once, started in list
order. A lane is one element task at a time: each, once its handler has
run, replaces itself with the task of the lane's next element (a message
carrying the lane's remaining elements, not a chain of signatures, which
Celery would copy into every message), and the last one ends the lane as
the chord's member. The chord's body puts the results back in list order
and passes the context on to the rest of the job's chain. Element tasks get
a context narrowed to what their arguments read.

A failed element (after its retries) fails its lane and so the chord, and
the job; the other lanes' remaining elements then pass without running
(`stop_elements` leaves a mark in the result backend they look for).
"""

from __future__ import annotations

from typing import Any

from celery import Task, chord

from . import spec
from .chain import Context
from .ids import results_redis
from .policy import ForEachError

# where an element finds that a sibling failed: the chord's id
_EACH = "each"
_ELEMENTS = "elements"  # [index, result] of the lane's elements so far
_REST = "rest"  # [index, element] of the lane's elements still to run


def fan_out(
    task: Task[Any, Any],
    context: Context,
    step: str,
    items: Any,
    *,
    max_parallel: int,
    element: str,
    join: str,
    reads: tuple[tuple[str, ...], tuple[str, ...]],
    last: bool = False,
) -> Any:
    """Replace the running task with the chord of the step's elements; a
    step with no elements (an empty list, or None) passes on at once (the
    last step of its job returns its empty list, the job's result)."""
    if items is None:
        items = []
    if not isinstance(items, list):
        raise ForEachError(
            f"step {step}: for_each needs a list, got {type(items).__name__}"
        )
    if not items:
        return [] if last else {**context, "steps": {**context["steps"], step: []}}
    inputs, steps = reads
    narrowed: Context = {
        "input": {k: v for k, v in context["input"].items() if k in inputs},
        "steps": {k: v for k, v in context["steps"].items() if k in steps},
        "deadline": context.get("deadline"),
        "run": context.get("run"),  # what a cancel of the job marks
        _EACH: task.request.id,
        _ELEMENTS: [],
    }
    lanes = min(max_parallel, len(items))
    header = []
    for lane in range(lanes):
        rest = [
            [index, items[index]] for index in range(lane + lanes, len(items), lanes)
        ]
        first = {**narrowed, _REST: rest}
        header.append(task.app.signature(element, args=(first, lane, items[lane])))
    body = task.app.signature(join, args=(context,))
    raise task.replace(chord(header, body))


def element_done(
    task: Task[Any, Any], context: Context, index: int, result: Any
) -> Context:
    """An element ran: its result is kept, and the task replaces itself with
    the lane's next element; the lane's last one returns, ending the lane."""
    done = {**context, _ELEMENTS: [*context[_ELEMENTS], [index, result]]}
    rest = done[_REST]
    if not rest:
        return done
    (following, item), done[_REST] = rest[0], rest[1:]
    raise task.replace(task.app.signature(task.name, args=(done, following, item)))


def joined(lanes: list[Context]) -> list[Any]:
    """The chord body's list: every element's result, in list order."""
    pairs = [pair for lane in lanes for pair in lane[_ELEMENTS]]
    return [result for _, result in sorted(pairs, key=lambda pair: pair[0])]


def _mark(context: Context) -> str:
    return f"{spec.KEY_PREFIX}for-each-failed:{context[_EACH]}"


def stop_elements(args: tuple[Any, ...]) -> None:
    """An element failed for good: mark its step, so that the elements still
    queued in other lanes pass without running."""
    context = args[0] if args else None
    if isinstance(context, dict) and _EACH in context:
        # kept as long as results are: no element of the step outlives that
        results_redis().set(_mark(context), b"1", ex=spec.CLAIM_TTL)


def stopped(context: Context) -> bool:
    """Whether another element of this step failed for good."""
    return bool(results_redis().exists(_mark(context)))
