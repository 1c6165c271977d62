"""`lichc explain JOB`: the resolved job, and what each setting becomes."""

from __future__ import annotations

import json

from lichc.diagnostics import KeyPath
from lichc.engines.registry import engine
from lichc.fileformat.values import Literal_, ResultObject, format_duration
from lichc.plan import ir


def _origin(path: KeyPath) -> str:
    if path == ir.BUILT_IN:
        return "built-in"
    if path[0] == "defaults":
        return "defaults"
    return "step" if "steps" in path else "job"


def _retry_text(r: ir.RetryPolicy) -> str:
    attempts = "unlimited attempts" if r.attempts is None else f"{r.attempts} attempts"
    if r.backoff == "fixed":
        shape = f"every {format_duration(r.delay)}"
    else:
        shape = f"{format_duration(r.delay)} x{r.factor:g} up to {format_duration(r.max_delay)}"
    waits = ", ".join(
        f"{r.delay_before_retry(n):g}s" for n in range(1, min(r.attempts or 6, 6))
    )
    text = f"{attempts}, {shape}" + (", jitter" if r.jitter else "")
    return text + (f" (waits {waits})" if waits else "")


def explain(plan: ir.Plan, job: ir.Job) -> str:
    out = [f"{job.name}: {job.engine}", f"  why        {job.engine_reason}"]
    if job.description:
        out.append(f"  about      {job.description.strip().splitlines()[0]}")
    out.append(f"  queue      {job.queue}")
    fields = ", ".join(
        f"{f.name}: {f.type}" + (f" = {json.dumps(f.default)}" if f.has_default else "")
        for f in job.inputs
    )
    out.append(f"  input      {fields or '(none)'}")
    targets = engine(job.engine).explain_job(plan, job)
    if job.id is not None:
        out.append(f"  id         {job.id}  -> {targets['id']}")
    if job.deadline is not None:
        out.append(
            f"  timeout    {format_duration(job.deadline)} for the whole job  -> {targets['timeout']}"
        )
    if job.result is not None:
        value = job.result.value
        shown = str(job.result.type or "any value") + (
            f" = {_result_text(value)}" if value is not None else ""
        )
        out.append(f"  result     {shown}  -> {targets['result']}")
    if job.rate_limit is not None:
        out.append(f"  rate_limit {job.rate_limit}  -> {targets['rate_limit']}")
    if job.dead_letter is not None:
        out.append(f"  dead_letter  -> {targets['dead_letter']}")
        if job.dead_letter_retention is not None:
            kept = format_duration(job.dead_letter_retention)
            out.append(
                f"  dead_letter.retention {kept}  -> each record is removed {kept} after it failed"
            )
    for schedule in job.schedules:
        out.append(
            f"  schedule   {schedule.cron} ({schedule.timezone})  -> {targets['schedule']}"
        )
    out.extend(_versions(plan, job))
    for number, step in enumerate(job.steps, 1):
        out.append("")
        out.extend(_step(plan, job, step, f"{number}." if not job.single else "step"))
    return "\n".join(out) + "\n"


def _versions(plan: ir.Plan, job: ir.Job) -> list[str]:
    """The live versions lichc.versions.json keeps, when there are several:
    a run stays on the version it started on (docs/evolution.md)."""
    live = plan.versions.get(job.name)
    if live is None or not live.versioned:
        return []
    out = [
        f"  versions   {len(live.versions)} live; a run keeps the path of the one it started on"
    ]
    for v in live.versions:
        newest = "  <- new runs" if v is live.current else ""
        out.append(f"    v{v.version} {v.change}{newest}")
        if v.patch:
            asked = "deprecate_patch" if v.patch == live.deprecated else "patched"
            out.append(f"       {asked}({v.patch!r})")
    return out


def _step(plan: ir.Plan, job: ir.Job, step: ir.Step, label: str) -> list[str]:
    lines = _unconditional(plan, job, step, label)
    pad = " " * (len(label) + 3)
    if isinstance(step, ir.RunStep) and step.for_each is not None:
        each = step.for_each
        lines.insert(
            1,
            f"  {pad}for each element of {each.items} (${{item}}), at most "
            f"{each.max_parallel} at once; the result is the list of results",
        )
    if step.condition is not None:
        per = (
            "for each element (else its result is null)"
            if isinstance(step, ir.RunStep)
            and step.for_each is not None
            and "${item" in str(step.condition)
            else "(else skipped: null)"
        )
        lines.insert(1, f"  {pad}only if {step.condition} {per}")
    return lines


def _unconditional(plan: ir.Plan, job: ir.Job, step: ir.Step, label: str) -> list[str]:
    if isinstance(step, ir.EndStep):
        how = (
            f"fail with '{step.fail}'"
            if step.fail
            else "complete the job with a result"
        )
        return [f"  {label} {step.name}: end: {how}"]
    if isinstance(step, ir.JobStep):
        args = ", ".join(f"{a.name}={_arg(a.value)}" for a in step.args or ())
        how = engine(job.engine).explain_job(plan, job)["job"]
        return [
            f"  {label} {step.name}: job {step.job}"
            + (f" with {args}" if args else " (same-named input fields)"),
            f"       -> {how}",
        ]
    if isinstance(step, ir.SleepStep):
        target = engine(job.engine).explain_job(plan, job)["sleep"]
        return [
            f"  {label} {step.name}: sleep {format_duration(step.duration)}  -> {target}"
        ]
    if isinstance(step, ir.WaitStep):
        limit = (
            f" up to {format_duration(step.timeout)}, then {step.on_timeout}"
            if step.timeout
            else ""
        )
        lines = [
            f"  {label} {step.name}: wait for signal '{step.signal}'{limit}",
            f"       -> signal + workflow.wait_condition; send it with signal_{job.snake}_{step.signal}(client, workflow_id, payload)",
        ]
        if step.payload is not None:
            fields = ", ".join(
                f"{f.name}: {f.type}"
                + (f" = {json.dumps(f.default)}" if f.has_default else "")
                for f in step.payload
            )
            lines.append(
                f"       payload {{{fields}}}: an invalid one is logged and not "
                f"taken; or answer_{job.snake}_{step.signal}(client, workflow_id, "
                "**payload), an Update that raises when the run refuses it"
            )
        return lines
    if isinstance(step, ir.ParallelStep):
        lines = [f"  {label} {step.name}: in parallel"]
        for branch in step.branches:
            lines.extend(_run(plan, job, branch, "   -", indent="       "))
        return lines
    assert isinstance(step, ir.RunStep)
    return _run(plan, job, step, label)


def _run(
    plan: ir.Plan, job: ir.Job, step: ir.RunStep, label: str, indent: str = "     "
) -> list[str]:
    lines = [f"  {label} {step.name}: run {step.handler}"]
    settings = [
        ("queue", step.queue, step.origin("queue")),
        ("timeout", format_duration(step.timeout), step.origin("timeout")),
        ("retry", _retry_text(step.retry), step.retry.origin("attempts")),
    ]
    for key in ("soft_timeout", "total_timeout", "queue_timeout", "heartbeat"):
        value = getattr(step, key)
        if value is not None:
            settings.append((key, format_duration(value), step.origin(key)))
    if step.retry.retry_on:
        settings.append(
            (
                "retry_on",
                ", ".join(map(str, step.retry.retry_on)),
                step.retry.origin("retry_on"),
            )
        )
    if step.retry.non_retryable:
        settings.append(
            (
                "non_retryable",
                ", ".join(map(str, step.retry.non_retryable)),
                step.retry.origin("non_retryable"),
            )
        )
    if step.args is not None:
        settings.append(
            (
                "args",
                ", ".join(f"{a.name}={_arg(a.value)}" for a in step.args),
                step.path,
            )
        )
    if step.compensate is not None:
        settings.append(
            ("compensate", str(step.compensate.handler), step.compensate.path)
        )
    for key, value, origin in settings:
        lines.append(f"{indent}{key:<14} {value}  ({_origin(origin)})")
    rows = engine(job.engine).explain_step(plan, job, step)
    lines.extend(f"{indent}  -> {key}: {target}" for key, target in rows)
    return lines


def _arg(value: object) -> str:
    from lichc.fileformat.values import Literal_

    return repr(value.value) if isinstance(value, Literal_) else str(value)


def _result_text(value: object) -> str:
    """A job's result value as jobs.yaml writes it."""
    if isinstance(value, ResultObject):
        return "{" + ", ".join(f"{k}: {_result_text(v)}" for k, v in value.items) + "}"
    if isinstance(value, Literal_):
        return json.dumps(value.value)
    return str(value)
