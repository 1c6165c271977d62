"""The client start options: the one rule that names their keywords
(render.names.option_names, both engines), the explicit id's check against an
`id` template, and the Celery delay's arithmetic; the generated signatures of
tests/golden/start-options."""

from __future__ import annotations

import ast
import asyncio
import types
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from lichc.engines.temporal.runtime import client_support
from lichc.render.names import option_names

GOLDEN = Path(__file__).resolve().parents[1] / "golden/start-options/expected/starts"
OPTIONS = ("id", "queue", "delay", "memo", "search_attributes")


def test_an_option_named_like_an_input_field_takes_a_trailing_underscore() -> None:
    assert option_names(["order_id"], OPTIONS) == {o: o for o in OPTIONS}
    named = option_names(["id", "queue", "id_"], OPTIONS)
    assert named == {
        "id": "id__",  # id_ is a field too
        "queue": "queue_",
        "delay": "delay",
        "memo": "memo",
        "search_attributes": "search_attributes",
    }


def keywords(path: Path, function: str) -> dict[str, str]:
    """A generated function's keyword-only parameters and their annotations."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    node = next(
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == function
    )
    return {
        a.arg: ast.unparse(a.annotation) if a.annotation else ""
        for a in node.args.kwonlyargs
    }


@pytest.mark.parametrize(
    ("module", "function", "expected"),
    [
        (
            "celery_client.py",
            "start_fields",
            {
                "id": "str",
                "id_": "str",
                "queue": "str",
                "delay": "int",
                "id__": "str | None",
                "queue_": "str",
                "delay_": "timedelta | None",
            },
        ),
        *(
            (
                "temporal_client.py",
                function,
                {
                    "id": "str",
                    "queue": "str",
                    "delay": "int",
                    "memo": "str",
                    "search_attributes": "str",
                    "connect": "str",
                    "client": "str",
                    "id_": "str | None",
                    "queue_": "str",
                    "delay_": "timedelta | None",
                    "memo_": "Mapping[str, Any] | None",
                    "search_attributes_": "TypedSearchAttributes | None",
                },
            )
            for function in (
                "start_named",
                "run_named",
                "start_named_sync",
                "run_named_sync",
            )
        ),
    ],
)
def test_generated_start_functions_take_the_renamed_options(
    module: str, function: str, expected: dict[str, str]
) -> None:
    assert keywords(GOLDEN / module, function) == expected
    source = (GOLDEN / module).read_text(encoding="utf-8")
    assert "(not `id`: an input field has that name)" in source  # said in the docstring


@pytest.mark.parametrize("engine", ["celery", "temporal"])
def test_an_explicit_id_must_be_what_the_id_template_gives(
    engine: str, runtime: types.ModuleType
) -> None:
    checked: Callable[[str | None, str, str], str] = (
        runtime.start.checked_id if engine == "celery" else client_support.checked_id
    )
    assert checked(None, "order-7", "order-{order_id}") == "order-7"
    assert checked("order-7", "order-7", "order-{order_id}") == "order-7"
    with pytest.raises(
        ValueError, match=r"'order-8' does not match .*'order-\{order_id\}'.*'order-7'"
    ):
        checked("order-8", "order-7", "order-{order_id}")


def test_a_celery_delay_is_added_to_the_countdown_expiry_and_deadline(
    runtime: types.ModuleType,
) -> None:
    celery_start = runtime.start
    assert celery_start.countdown(None) is None  # no countdown at all
    assert celery_start.countdown(None, 5.0) == 5.0
    assert celery_start.countdown(timedelta(seconds=1.5), 5.0) == 6.5
    assert celery_start.countdown(timedelta(0)) is None
    with pytest.raises(ValueError, match="negative"):
        celery_start.countdown(timedelta(seconds=-1))
    assert celery_start.later(None, timedelta(seconds=3)) is None  # never expires
    assert celery_start.later(30.0, None) == 30.0
    assert celery_start.later(30.0, timedelta(seconds=3)) == 33.0


def test_a_celery_start_without_an_id_is_sent_without_a_claim(
    runtime: types.ModuleType,
) -> None:
    sent: Any = object()
    assert runtime.ids.send_once(None, lambda: sent) is sent  # no Redis involved


def test_a_sync_wrapper_refuses_a_running_event_loop() -> None:
    async def never() -> Any:
        raise AssertionError("connected")

    async def inside() -> None:
        client_support.in_new_loop(never, lambda client: never())

    with pytest.raises(RuntimeError, match="inside a running event loop"):
        asyncio.run(inside())
