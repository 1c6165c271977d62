"""Named types (docs/types.md): the type language, the plan's table of
`types:` (what fits, in what order they are written), typed defaults, and
the runtime helpers that hand handlers models (Celery's typed.py, Temporal's
element fields)."""

from __future__ import annotations

import importlib.util
import sys
from enum import StrEnum
from pathlib import Path
from types import ModuleType

import pytest
from pydantic import BaseModel, ValidationError

from lichc.engines.temporal.runtime import workflow_run
from lichc.fileformat.values import SpecValueError, parse_type
from lichc.render.pysource import py_default
from tests.support.plans import plan_of

TYPES = """\
    version: 1
    types:
      Speed: {enum: [slow, fast]}
      Item: {sku: str, n: {type: int, default: 1}}
      Order: {items: "list[Item]", speed: "Speed?", tags: "dict[str, Speed]"}
    jobs:
      Job: {run: a.b:c, input: {order: Order}}
"""


@pytest.mark.parametrize(
    ("text", "python", "names"),
    [
        ("Order", "inputs.Order", {"Order"}),
        ("Order?", "inputs.Order | None", {"Order"}),
        ("list[Item]", "list[inputs.Item]", {"Item"}),
        ("dict[str, Speed]", "dict[str, inputs.Speed]", {"Speed"}),
        ("dict[str,list[int]]?", "dict[str, list[int]] | None", set()),
        ("dict", "dict[str, Any]", set()),
    ],
)
def test_type_expressions_name_their_types_qualified(
    text: str, python: str, names: set[str]
) -> None:
    parsed = parse_type(text)
    assert parsed.python("inputs.") == python
    assert parsed.type_names() == names
    assert parse_type(str(parsed)) == parsed  # written back as it parses


@pytest.mark.parametrize("text", ["order", "dict[int, str]", "list[]", "Order??"])
def test_what_is_not_a_type_is_refused(text: str) -> None:
    with pytest.raises(SpecValueError):
        parse_type(text)


def test_the_table_says_what_literal_fits_a_named_type() -> None:
    table = plan_of(TYPES).type_table
    order = parse_type("Order")
    assert order.accepts({"items": [{"sku": "a"}], "tags": {"x": "fast"}}, table)
    assert not order.accepts({"items": [{"sku": "a", "oops": 1}], "tags": {}}, table)
    assert not order.accepts({"items": [{"n": 2}], "tags": {}}, table)  # sku missing
    assert not order.accepts({"items": [], "tags": {"x": "warp"}}, table)
    assert parse_type("list[Speed]").accepts(["slow", "fast"], table)
    assert not parse_type("Speed").accepts("Slow", table)


def test_types_are_written_after_the_types_they_use() -> None:
    ordered = [t.name for t in plan_of(TYPES).types_in_order()]
    assert ordered == ["Speed", "Item", "Order"]
    reordered = TYPES.replace(
        '      Order: {items: "list[Item]", speed: "Speed?", tags: "dict[str, Speed]"}\n',
        "",
    ).replace(
        "    types:\n",
        '    types:\n      Order: {items: "list[Item]", speed: "Speed?", tags: "dict[str, Speed]"}\n',
    )
    assert [t.name for t in plan_of(reordered).types_in_order()] == [
        "Item",
        "Speed",
        "Order",
    ]


def test_enum_defaults_are_written_as_members() -> None:
    speeds = parse_type("list[Speed]")
    assert py_default(parse_type("Speed"), "fast", "inputs.") == "inputs.Speed.fast"
    assert py_default(speeds, ["slow"], "") == "[\nSpeed.slow,\n]"
    assert py_default(parse_type("dict[str, Speed]"), {}, "") == "{}"
    assert py_default(parse_type("Speed?"), None, "") == "None"


# -- the runtime: what a handler is given ---------------------------------------------


def celery_typed() -> ModuleType:
    path = (
        Path(__file__).resolve().parents[2]
        / "compiler/lichc/engines/celery/runtime/typed.py"
    )
    spec = importlib.util.spec_from_file_location("celery_runtime_typed", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class Speed(StrEnum):
    slow = "slow"
    fast = "fast"


class Item(BaseModel):
    sku: str
    speed: Speed = Speed.slow


class JobInput(BaseModel):
    item: Item
    items: list[Item] | None = None
    speed: Speed = Speed.fast


def test_celery_validates_json_inputs_into_their_models() -> None:
    typed = celery_typed()
    item = typed.typed_input(JobInput, "item", {"sku": "a", "speed": "fast"})
    assert item == Item(sku="a", speed=Speed.fast)
    assert typed.typed_input(JobInput, "speed", "slow") is Speed.slow
    # an element of an optional list: the list's item type
    assert typed.typed_element(JobInput, "items", {"sku": "b"}) == Item(sku="b")
    with pytest.raises(ValidationError):
        typed.typed_input(JobInput, "item", {"speed": "warp"})


def test_celery_sends_models_in_results_as_json() -> None:
    typed = celery_typed()
    result = {"item": Item(sku="a"), "speeds": (Speed.fast,)}
    assert typed.to_json(result) == {
        "item": {"sku": "a", "speed": "slow"},
        "speeds": ["fast"],
    }
    assert typed.to_json(7) == 7
    odd = object()  # not pydantic's to write: left to Celery's serializer
    assert typed.to_json(odd) is odd


def test_temporal_reads_a_model_elements_field_like_a_dicts() -> None:
    assert workflow_run.item_field(Item(sku="a"), "sku") == "a"
    assert workflow_run.item_field_or_none(Item(sku="a"), "nope") is None
    assert workflow_run.item_field({"sku": "b"}, "sku") == "b"
