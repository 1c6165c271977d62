"""The client's side of a Celery job's result (docs/workflow.md#results):
`result_x` waits for a run and decodes its result with the job's `result:`
type, `run_x` starts the job and does that."""

from __future__ import annotations

from dataclasses import dataclass

from lichc.plan import ir
from lichc.render.names import Names


@dataclass(frozen=True)
class ClientResult:
    result_function: str  # result_x
    run_function: str  # run_x
    returns: str  # the job's result type: its `result:` type, else Any
    check: str | None  # the TypeAdapter constant decoding it (a typed result)
    timeout: str  # run_x's timeout parameter: `timeout`, unless a field has it
    kwargs: tuple[str, ...]  # run_x's call of start_x


def result_function(job: ir.Job) -> str:
    return f"result_{job.snake}"


def run_function(job: ir.Job) -> str:
    return f"run_{job.snake}"


def client_result(job: ir.Job, names: Names, inputs: str) -> ClientResult:
    """`names`: celery_client.py's allocator; `inputs`: what it calls inputs.py."""
    typed = job.result is not None and job.result.type is not None
    check = names.take(f"{job.snake}_result".upper()) if typed else None
    timeout = "timeout"
    if timeout in job.input_names:
        timeout = names.take("run_timeout")
    return ClientResult(
        result_function=result_function(job),
        run_function=run_function(job),
        returns=job.result.annotation(inputs + ".")
        if job.result is not None
        else "Any",
        check=check,
        timeout=timeout,
        kwargs=tuple(f"{name}={name}" for name in job.input_names),
    )
