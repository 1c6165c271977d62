"""A job step on Celery (runtime/chain.py `run_job`): the chain's task that
replaces itself with the child job's chain followed by a task that puts the
child's result in the context, so the child's tasks run as part of the
parent's chain."""

from __future__ import annotations

from dataclasses import dataclass

from lichc.engines.celery import chain_view, namespaces, options
from lichc.plan import ir
from lichc.plan.job_steps import child_args
from lichc.render.names import Names
from lichc.render.pysource import py_call


@dataclass(frozen=True)
class ChildTaskView:
    function: str
    name: str
    resume_function: str
    resume_name: str
    queue: str
    step: ir.JobStep
    data: str  # the child's input, validated by its model
    model: str  # the child's input model
    chain: str  # the client function building the child's chain (its alias)
    last: bool
    after_end: bool
    unless: str | None = None


def child_task(
    plan: ir.Plan,
    job: ir.Job,
    step: ir.JobStep,
    names: Names,
    aliases: dict[str, str],
    uses: set[str],
    *,
    last: bool,
    after_end: bool,
) -> ChildTaskView:
    child = next(j for j in plan.jobs if j.name == step.job)
    args = child_args(job, step, child)
    for arg in args:
        uses |= chain_view.value_reads(job, arg.value)
    items = [f"{a.name}={chain_view.arg_expression(job, a.value)}" for a in args]
    data = py_call(child.input_model, items, force=bool(items))
    uses.add("run_job")
    return ChildTaskView(
        function=names.take(f"{job.snake}_{step.name}"),
        name=options.task_name(plan, job, step),
        resume_function=names.take(f"{job.snake}_{step.name}_done"),
        resume_name=options.resume_task_name(plan, job, step),
        queue=job.queue,
        step=step,
        data=data,
        model=child.input_model,
        chain=aliases[namespaces.chain_function(child)],
        last=last,
        after_end=after_end,
    )
