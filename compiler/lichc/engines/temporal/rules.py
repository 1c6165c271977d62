"""Temporal's rules beyond its capability table."""

from __future__ import annotations

from collections.abc import Iterator

from lichc.diagnostics import Diagnostic
from lichc.plan.ir import Job, Plan
from lichc.plan.refusals import runs_on


def check_plan(plan: Plan) -> Iterator[Diagnostic]:
    api_key = plan.temporal.api_key
    # `${NAME}` alone: a default or text around it would be a secret written
    # into the generated settings.py
    variable = api_key.variable if api_key is not None else None
    if api_key is not None and (variable is None or variable.default is not None):
        yield Diagnostic(
            "api_key must be read from the environment, not written in jobs.yaml",
            ("temporal", "api_key"),
            "write api_key: ${TEMPORAL_API_KEY} (no default: it would be written "
            "into the generated code)",
        )
    yield from _client_functions(plan)


def _client_functions(plan: Plan) -> Iterator[Diagnostic]:
    """`signal_<job>_<signal>` (and `answer_...`) of two jobs can be one name:
    job FooBar's signal baz and job Foo's signal bar_baz; so can the _sync
    wrappers: job Foo's start_foo_sync and job FooSync's start function
    (of either engine: `<project>.client` re-exports both)."""
    first: dict[str, str] = {j.start_function: j.name for j in plan.jobs}
    for job in plan.jobs_on("temporal"):
        first.setdefault(f"run_{job.snake}", job.name)
    for job in plan.jobs_on("temporal"):
        for name in (f"{job.start_function}_sync", f"run_{job.snake}_sync"):
            other = first.setdefault(name, job.name)
            if other != job.name:
                yield Diagnostic(
                    f"jobs '{other}' and '{job.name}' would both have the "
                    f"client function '{name}' in generated code",
                    job.path,
                    "rename one of them",
                    on_key=True,
                )
                break
    for job in plan.jobs_on("temporal"):
        for wait in job.signals:
            names = [f"signal_{job.snake}_{wait.signal}"]
            if wait.payload is not None:
                names.append(f"answer_{job.snake}_{wait.signal}")
            for name in names:
                other = first.setdefault(name, job.name)
                if other != job.name:
                    yield Diagnostic(
                        f"jobs '{other}' and '{job.name}' would both have the "
                        f"client function '{name}' in generated code",
                        (*wait.path, "wait_for", "signal"),
                        "rename the signal (or one of the jobs)",
                    )
                    break


def check_job(plan: Plan, job: Job) -> Iterator[Diagnostic]:
    if job.rate_limit is not None:
        yield from _own_queue(plan, job)
    for wait in job.signals:
        if wait.on_timeout != "fail" and wait.timeout is None:
            yield Diagnostic(
                f"on_timeout: {wait.on_timeout} has no effect without a timeout",
                (*wait.path, "wait_for", "on_timeout"),
                "add wait_for.timeout, or remove on_timeout",
            )
        for f in wait.payload or ():
            # answer_x_<signal> takes the fields as keywords and names the class
            if f.name == job.workflow_class:
                yield Diagnostic(
                    f"payload field name '{f.name}' is the name of the job's "
                    "workflow class in the generated code",
                    f.path,
                    "pick another name",
                    on_key=True,
                )


def _own_queue(plan: Plan, job: Job) -> Iterator[Diagnostic]:
    """Temporal rate limits are per task queue, so the job needs one to itself."""
    others = sorted(
        {
            other.name
            for other in plan.jobs
            if other is not job
            for step in other.run_steps()
            if step.queue == job.queue
        }
    )
    strays = [s.name for s in job.run_steps() if s.queue != job.queue]
    if others or strays:
        who = (
            f"jobs {', '.join(others)} also use"
            if others
            else f"steps {', '.join(strays)} leave"
        )
        yield Diagnostic(
            f"rate_limit on Temporal limits a whole task queue, and {who} queue "
            f"'{job.queue}'; {runs_on(job)}",
            (*job.path, "rate_limit"),
            "give this job a queue of its own (and keep all its steps on it)",
        )
