"""The names a job's tasks, workflows and activities are registered by: the
public surface tests and mocks rely on (docs/celery.md, docs/temporal.md,
docs/workflow.md "Names you can rely on"). They are pinned here, so a change
is visible, and read from the generated code, so the engines' public_names
cannot drift from what the templates register."""

from __future__ import annotations

import ast
from pathlib import Path

from lichc.engines.celery import options as celery_options
from lichc.engines.temporal import options as temporal_options
from lichc.plan.ir import Plan
from tests.snapshots import render_case
from tests.support.plans import plan_of

SPEC = """\
version: 1
project: shop
jobs:
  SendWelcomeEmail:
    engine: celery
    queue: emails
    run: m.x:send_welcome
    input: {email: str}

  ResizeImages:
    engine: celery
    queue: images
    input: {paths: "list[str]", email: str}
    steps:
      - {name: check, run: m.x:check, queue: fast}
      - {name: stop, if: "${steps.check} == false", end: {result: null}}
      - name: both
        parallel:
          - {name: left, run: m.x:left}
          - {name: right, run: m.x:right}
      - {name: resize, for_each: "${input.paths}", run: m.x:resize,
         args: {path: "${item}"}}
      - {name: notify, job: SendWelcomeEmail}

  Greet:
    engine: temporal
    run: m.x:compose_greeting
    input: {name: str}
    args: {greeting: Hello, name: "${input.name}"}

  ProcessOrder:
    engine: temporal
    queue: orders
    input: {order_id: str, lines: "list[dict]"}
    steps:
      - {name: validate_order, run: m.x:validate_order}
      - {name: charge_payment, run: m.x:charge_payment, queue: payments,
         compensate: m.x:refund_payment}
      - {name: approval, wait_for: {signal: approve, payload: {by: str}}}
      - {name: nudge, wait_for: {signal: nudge}}
      - {name: pick, for_each: "${input.lines}", run: m.x:pick,
         args: {line: "${item}"}}
"""

CELERY = {
    "SendWelcomeEmail": [("job", "shop.send_welcome_email", "emails")],
    "ResizeImages": [
        ("launcher", "shop.resize_images", "images"),
        ("step", "shop.resize_images.check", "fast"),
        ("end", "shop.resize_images.stop", "images"),
        ("step", "shop.resize_images.left", "images"),
        ("step", "shop.resize_images.right", "images"),
        ("join", "shop.resize_images.both", "images"),
        ("fan_out", "shop.resize_images.resize.each", "images"),
        ("element", "shop.resize_images.resize", "images"),
        ("join", "shop.resize_images.resize.join", "images"),
        ("child", "shop.resize_images.notify", "images"),
        ("resume", "shop.resize_images.notify.done", "images"),
    ],
}

TEMPORAL = {
    "Greet": [
        ("workflow", "Greet", "default"),
        ("query", "status", None),
        ("activity", "greet", "default"),
    ],
    "ProcessOrder": [
        ("workflow", "ProcessOrder", "orders"),
        ("signal", "approve", None),
        ("update", "approve", None),
        ("signal", "nudge", None),
        ("query", "status", None),
        ("activity", "process_order.validate_order", "orders"),
        ("activity", "process_order.charge_payment", "payments"),
        ("compensation", "process_order.charge_payment.compensate", "payments"),
        ("activity", "process_order.pick", "orders"),
    ],
}


def _names(plan: Plan, engine: str) -> dict[str, list[tuple[str, str, str | None]]]:
    of = celery_options if engine == "celery" else temporal_options
    return {job.name: list(of.public_names(plan, job)) for job in plan.jobs_on(engine)}


def test_the_public_names_are_pinned() -> None:
    plan = plan_of(SPEC)
    assert _names(plan, "celery") == CELERY
    assert _names(plan, "temporal") == TEMPORAL


def _decorated(source: str, decorator: str) -> set[tuple[str, str | None]]:
    """(name=, queue=) of every `@<decorator>(...)` in a generated module."""
    found: set[tuple[str, str | None]] = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        for dec in node.decorator_list:
            if isinstance(dec, ast.Call) and ast.unparse(dec.func) == decorator:
                words = {
                    k.arg: k.value.value
                    for k in dec.keywords
                    if isinstance(k.value, ast.Constant)
                }
                found.add((words["name"], words.get("queue")))
    return found


def test_the_generated_code_registers_exactly_those_names(tmp_path: Path) -> None:
    (tmp_path / "jobs.yaml").write_text(SPEC, encoding="utf-8")
    files = {k: v.decode() for k, v in render_case(tmp_path).items()}
    tasks = _decorated(files["shop/celery_tasks.py"], "app.task")
    assert tasks == {(n, q) for names in CELERY.values() for _, n, q in names}

    activities = _decorated(files["shop/temporal_activities.py"], "activity.defn")
    listed = TEMPORAL.values()
    assert {n for n, _ in activities} == {
        n
        for names in listed
        for kind, n, _ in names
        if kind in {"activity", "compensation"}
    }
    workflows = files["shop/temporal_workflows.py"]
    for kind, decorator in (
        ("workflow", "workflow.defn"),
        ("signal", "workflow.signal"),
        ("update", "workflow.update"),
        ("query", "workflow.query"),
    ):
        registered = {n for n, _ in _decorated(workflows, decorator)}
        assert registered == {n for names in listed for k, n, _ in names if k == kind}


def test_the_activity_types_are_where_the_workflow_schedules_them(
    tmp_path: Path,
) -> None:
    """Each activity runs on its step's task queue: the worker serves it there."""
    (tmp_path / "jobs.yaml").write_text(SPEC, encoding="utf-8")
    worker = render_case(tmp_path)["shop/temporal_worker.py"].decode()
    for queue in ("default", "orders", "payments"):
        assert f'task_queue="{queue}"' in worker


SUFFIXES = """\
version: 1
project: names
jobs:
  GreetArgs:
    engine: temporal
    run: m.x:greet
    input: {name: str}
  Charge:
    engine: temporal
    steps:
      - {name: charge_args, run: m.x:charge, compensate: m.x:refund}
      - {name: wait, wait_for: {signal: card_payload, payload: {ok: bool}}}
"""


def test_generated_class_names_never_repeat_a_suffix(tmp_path: Path) -> None:
    (tmp_path / "jobs.yaml").write_text(SUFFIXES, encoding="utf-8")
    files = {k: v.decode() for k, v in render_case(tmp_path).items()}

    def classes(module: str) -> set[str]:
        tree = ast.parse(files[f"names/{module}.py"])
        return {n.name for n in ast.walk(tree) if isinstance(n, ast.ClassDef)}

    assert {"GreetArgs", "ChargeChargeArgs", "ChargeChargeArgsCompensationArgs"} <= (
        classes("temporal_activities")
    )
    assert not any("ArgsArgs" in c for c in classes("temporal_activities"))
    assert "ChargeCardPayload" in classes("temporal_payloads")
    assert "GreetArgsWorkflow" in classes("temporal_workflows")
