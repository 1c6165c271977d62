"""The Python names of the generated Celery modules.

What a template binds by itself (imports, parameters and locals of its
functions) is its reserved set below; every other name it binds comes from
the module's `Names` allocator, or from the plan (input fields, models, the
client's start functions). tests/test_celery_backend.py renders the templates
and checks each reserved set against the names the output binds, both ways.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from lichc.fileformat.names import AMBIGUOUS
from lichc.render.names import PYTHON_NAMES, Names, option_names

if TYPE_CHECKING:
    from lichc.plan.ir import Job

# celery_tasks.py: its own imports and the parameters and locals of its tasks
# (a handler imported under one of them would be hidden), and pycodestyle's
# ambiguous names (E741): a policy of task `i` is not `I`
TASKS_RESERVED = frozenset(
    {
        "Any",
        "Context",
        "JobFailed",
        "JobTask",
        "Policy",
        "RetryPolicy",
        "RunTask",
        "TolerantTask",
        "TypeAdapter",
        "annotations",
        "app",
        "checked_result",
        "context",
        "contains",
        "contexts",
        "data",
        "end_job",
        "end_result",
        "ended",
        "element_done",
        "fan_out",
        "field_or_none",
        "index",
        "item",
        "item_field",
        "item_field_or_none",
        "joined",
        "lanes",
        "merge",
        "message",
        "ordered",
        "result",
        "skipped",
        "step_field",
        "steps",
        "stopped",
        "run_job",
        "typed_element",
        "typed_input",
        "with_result",
    }
)
# what celery_tasks.py calls by a name it may have to change: allocated first
TASKS_ALIASED = ("call", "inputs", "job", "self")

# celery_client.py: its own imports, and the locals of its start functions
CLIENT_RESERVED = frozenset(
    {
        "Any",
        "AsyncResult",
        "Signature",
        "TypeAdapter",
        "annotations",
        "timedelta",
        "context",
        "data",
        "flow",
        "handle",
        "run",
        "task_id",
        "timeout",
    }
)
# what the start and cancel functions call, renamed when an input field or a
# job's client function takes the name
CLIENT_ALIASED = (
    "app",
    "inputs",
    "cancel_run",
    "chain",
    "checked_id",
    "chord",
    "countdown",
    "later",
    "new_context",
    "scheduled_id",
    "send_once",
)

# celery_handlers.py: besides the handlers' modules
HANDLERS_RESERVED = frozenset(
    {"HANDLERS", "Handler", "annotations", "check", "check_handlers"}
)


def fields_and_models(jobs: Sequence[Job]) -> set[str]:
    """Names the plan gives every module: input fields (parameters) and models."""
    return {f.name for job in jobs for f in job.inputs} | {j.input_model for j in jobs}


def tasks_names(jobs: Sequence[Job]) -> tuple[Names, dict[str, str]]:
    """celery_tasks.py's allocator, and what it calls `call`, the local `job`,
    the tasks' `self` and the start functions it imports (taken first, so they
    keep their names unless an input field has one)."""
    names = Names(TASKS_RESERVED | AMBIGUOUS | PYTHON_NAMES | fields_and_models(jobs))
    chains = sorted(chain_function(j) for j in children(jobs))
    wanted = (*TASKS_ALIASED, *(j.start_function for j in jobs), *chains)
    return names, {name: names.take(name) for name in wanted}


def client_functions(jobs: Sequence[Job]) -> set[str]:
    """The functions celery_client.py defines per job, named after it (their
    names are the API): `start_x`, `cancel_x`, and `chain_x` of a job that
    another one runs as a job step, and `result_x`, `run_x`."""
    return (
        {j.start_function for j in jobs}
        | {f"cancel_{j.snake}" for j in jobs}
        | {f"result_{j.snake}" for j in jobs}
        | {f"run_{j.snake}" for j in jobs}
        | {chain_function(j) for j in children(jobs)}
    )


def chain_function(job: Job) -> str:
    """The client function that builds a job's chain (or task) for a job
    step, which runs it as part of its own chain."""
    return f"chain_{job.snake}"


def children(jobs: Sequence[Job]) -> list[Job]:
    """The jobs a job step of another one runs."""
    from lichc.plan.job_steps import job_steps

    called = {s.job for j in jobs for s in job_steps(j)}
    return [j for j in jobs if j.name in called]


# the keyword options of start_x, in order
START_OPTIONS = ("id", "queue", "delay")


def start_options(job: Job) -> dict[str, str]:
    """A job's start options -> their keywords in its start_x (renamed around
    its input fields by the rule both engines share)."""
    return option_names(job.input_names, START_OPTIONS)


def client_names(jobs: Sequence[Job]) -> tuple[Names, dict[str, str]]:
    """celery_client.py's allocator, and what it calls CLIENT_ALIASED; the
    functions it defines per job are the plan's, the start options'
    keywords (parameters) are taken, so no alias is one of them."""
    given = fields_and_models(jobs) | client_functions(jobs)
    names = Names(CLIENT_RESERVED | PYTHON_NAMES | given)
    names.taken |= {name for j in jobs for name in start_options(j).values()}
    return names, {name: names.take(name) for name in CLIENT_ALIASED}
