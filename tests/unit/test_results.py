"""A job's `result:` (docs/workflow.md#results): how it is written, what the
plan keeps of it, the rules that refuse what cannot work, and the result
type each engine's generated code declares."""

from __future__ import annotations

import textwrap
import types

import pytest

from lichc.diagnostics import SpecError, format_key_path
from lichc.engines.celery import options as celery_options
from lichc.engines.temporal.workflows_view import result_type
from lichc.fileformat.values import InputRef, Literal_, ResultObject, StepRef
from tests.support.plans import plan_of


def spec(body: str, engine: str = "celery") -> str:
    return textwrap.dedent(
        """\
        version: 1
        jobs:
          Job:
            engine: {engine}
        """
    ).format(engine=engine) + textwrap.indent(textwrap.dedent(body), "    ")


def errors(text: str) -> list[tuple[str, str]]:
    with pytest.raises(SpecError) as raised:
        plan_of(text)
    return [(format_key_path(d.path), d.message) for d in raised.value.diagnostics]


MULTI = """\
input: {n: int}
steps:
  - {name: a, run: m.x:a}
  - {name: b, run: m.x:b}
"""


def test_a_type_alone_is_short_for_a_mapping_with_type() -> None:
    (job,) = plan_of(spec("run: m.x:a\nresult: list[str]\n")).jobs
    assert job.result is not None
    assert str(job.result.type) == "list[str]"
    assert job.result.value is None
    assert job.result.annotation("inputs.") == "list[str]"
    assert job.result.path == ("jobs", "Job", "result")


def test_a_multi_step_value_is_a_reference_or_a_mapping_of_them() -> None:
    text = spec(MULTI + 'result: {value: "${steps.b.id}"}\n', "temporal")
    (job,) = plan_of(text).jobs
    assert job.result is not None
    assert job.result.value == StepRef("b", "id")
    assert job.result.annotation("inputs.") == "Any"  # no type: any value
    text = spec(
        MULTI
        + 'result: {type: "dict[str, int]", value: {a: "${steps.a}", n: "${input.n}", k: 1}}\n'
    )
    (job,) = plan_of(text).jobs
    assert job.result is not None
    assert job.result.value == ResultObject(
        (("a", StepRef("a")), ("n", InputRef("n")), ("k", Literal_(1)))
    )


def test_without_result_the_job_returns_as_before() -> None:
    plan = plan_of(spec(MULTI, "temporal"))
    assert plan.jobs[0].result is None
    assert result_type(plan.jobs[0]) == "dict[str, Any]"
    single = plan_of(spec("run: m.x:a\n", "temporal")).jobs[0]
    assert result_type(single) == "Any"


def test_the_temporal_result_type_is_the_declared_one() -> None:
    text = spec(MULTI + 'result: {type: "int?", value: "${steps.a}"}\n', "temporal")
    assert result_type(plan_of(text).jobs[0]) == "int | None"


def test_a_single_step_job_takes_no_value() -> None:
    text = spec('input: {n: int}\nrun: m.x:a\nresult: {value: "${input.n}"}\n')
    assert errors(text) == [
        (
            "jobs.Job.result.value",
            "a single-step job returns its handler's result: `value` is for "
            "multi-step jobs",
        )
    ]


def test_a_multi_step_job_needs_a_value() -> None:
    assert errors(spec(MULTI + "result: int\n")) == [
        (
            "jobs.Job.result",
            "the result of a multi-step job needs `value`: what the job returns",
        )
    ]


def test_references_of_the_value_may_name_any_step_but_must_exist() -> None:
    ok = spec(MULTI + 'result: {value: {first: "${steps.a}", last: "${steps.b}"}}\n')
    assert plan_of(ok).jobs[0].result is not None
    bad = spec(MULTI + 'result: {value: {x: "${steps.c}", y: "${input.m}"}}\n')
    assert [path for path, _ in errors(bad)] == [
        "jobs.Job.result.value.x",
        "jobs.Job.result.value.y",
    ]


def test_literals_must_fit_the_type_references_are_checked_when_it_runs() -> None:
    text = spec(
        """\
        input: {n: int}
        result: {type: int, value: "${steps.a}"}
        steps:
          - {name: a, run: m.x:a}
          - {name: zero, if: "${input.n} == 0", end: {result: 0}}
          - {name: half, if: "${input.n} == 1", end: {result: 0.5}}
          - {name: named, if: "${input.n} == 2", end: {result: {k: 1}}}
          - {name: refs, if: "${input.n} == 4", end: {result: {k: "${input.n}"}}}
          - {name: input, if: "${input.n} == 3", end: {result: "${input.n}"}}
        """
    )
    assert errors(text) == [
        ("jobs.Job.steps[2].end.result", "0.5 does not fit the job's result type int"),
        (
            "jobs.Job.steps[3].end.result",
            "{'k': 1} does not fit the job's result type int",
        ),
        (
            "jobs.Job.steps[4].end.result",
            "a mapping does not fit the job's result type int",
        ),
    ]
    # an end step's literal is free without `result:`
    free = spec(
        """\
        input: {n: int}
        steps:
          - {name: a, run: m.x:a}
          - {name: half, if: "${input.n} == 1", end: {result: 0.5}}
        """
    )
    assert plan_of(free).jobs[0].result is None


def test_named_types_are_unknown_until_types_declares_them() -> None:
    assert errors(spec("run: m.x:a\nresult: list[Order]\n")) == [
        ("jobs.Job.result.type", "unknown type 'Order'")
    ]


def test_celery_sends_a_result_task_last_only_for_a_value() -> None:
    valued = plan_of(spec(MULTI + 'result: {value: "${steps.a}"}\n'))
    names = celery_options.message_names(valued, valued.jobs[0])
    assert names[-1] == "jobs.job._result"
    plain = plan_of(spec(MULTI))
    assert "jobs.job._result" not in celery_options.message_names(plain, plain.jobs[0])


def test_the_celery_runtime_checks_a_result_and_dumps_it_as_json(
    runtime: types.ModuleType,
) -> None:
    from pydantic import BaseModel, TypeAdapter

    checked_result, ResultInvalid = runtime.checked_result, runtime.ResultInvalid

    class Order(BaseModel):  # what a named type of `types:` becomes
        id: str
        total: float

    assert checked_result("J", TypeAdapter(dict[str, int]), {"a": 1}) == {"a": 1}
    orders = TypeAdapter(list[Order])
    made = checked_result("J", orders, [Order(id="o1", total=2)])
    assert made == [{"id": "o1", "total": 2.0}]
    with pytest.raises(ResultInvalid, match=r"job J: .*: a: Input should be"):
        checked_result("J", TypeAdapter(dict[str, int]), {"a": "x"})


def test_an_end_step_skips_to_its_own_jobs_last_task_only(
    runtime: types.ModuleType,
) -> None:
    """end_job keeps what follows the job's last task: the rest of the chain
    of a job that runs this one as a step (request.chain is reversed)."""
    parent_rest = {"task": "p.parent.after", "options": {}}
    resume = {"task": "p.parent.child.done", "options": {}}
    own_last = {"task": "p.child._result", "options": {"countdown": 60}}
    between = {"task": "p.child.split", "options": {}}
    request = types.SimpleNamespace(chain=[parent_rest, resume, own_last, between])
    task = types.SimpleNamespace(request=request)
    context = runtime.end_job(task, {"steps": {}}, "early", after=2)
    assert context["ended"] == {"result": "early"}
    assert request.chain == [
        parent_rest,
        resume,
        {"task": "p.child._result", "options": {}},
    ]
