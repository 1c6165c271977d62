"""The small languages inside jobs.yaml values."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lichc.fileformat import names, templated
from lichc.fileformat import values as v
from lichc.fileformat.values import SpecValueError


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("500ms", 0.5),
        ("30s", 30),
        ("5m", 300),
        ("2h", 7200),
        ("3d", 259200),
        ("1h30m", 5400),
        ("1d2h3m4s5ms", 93784.005),
        (90, 90),
        ("90", 90),
        (0, 0),
    ],
)
def test_durations(text: object, seconds: float) -> None:
    assert v.parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize(
    "text",
    ["1.5h", "30m1h", "5m5m", "-5", -5, True, 1.5, "", "5 m", "5M", None, "99999d"],
)
def test_bad_durations(text: object) -> None:
    with pytest.raises(SpecValueError):
        v.parse_duration(text)


@given(st.integers(min_value=0, max_value=3650 * 86_400_000))
def test_format_duration_round_trips(ms: int) -> None:
    value = timedelta(milliseconds=ms)
    assert v.parse_duration(v.format_duration(value)) == value


def test_rates() -> None:
    assert v.parse_rate("10/s").per_second == 10
    assert v.parse_rate("120/m").per_second == 2
    assert str(v.parse_rate("1000/h")) == "1000/h"
    for bad in ("10", "0/s", "10/d", 10, "ten/s"):
        with pytest.raises(SpecValueError):
            v.parse_rate(bad)


@pytest.mark.parametrize(
    "cron", ["0 3 * * *", "*/5 * * * *", "0 9-17 * * mon-fri", "30 2 1,15 jan,jul sun"]
)
def test_good_cron(cron: str) -> None:
    assert v.parse_cron(cron) == cron


@pytest.mark.parametrize(
    "cron",
    [
        "0 3 * *",
        "60 * * * *",
        "* 24 * * *",
        "* * 0 * *",
        "*/0 * * * *",
        "@daily",
        "a b c d e",
    ],
)
def test_bad_cron(cron: str) -> None:
    with pytest.raises(SpecValueError):
        v.parse_cron(cron)


def test_handlers_and_exceptions() -> None:
    assert v.parse_handler("examples.shop.emails:send_welcome") == v.PyRef(
        "examples.shop.emails", "send_welcome"
    )
    assert v.parse_exception("TimeoutError") == v.PyRef("builtins", "TimeoutError")
    assert v.parse_exception("pkg.mod:Oops") == v.PyRef("pkg.mod", "Oops")
    for bad in (
        "a.b.c",
        "a:b:c",
        "../x:y",
        "a/b:c",
        "a.b:c()",
        "a. b:c",
        "import:x",
        "len",
        "a:",
    ):
        with pytest.raises(SpecValueError):
            v.parse_handler(bad) if bad != "len" else v.parse_exception(bad)


@pytest.mark.parametrize(
    ("text", "python"),
    [
        ("str", "str"),
        ("int?", "int | None"),
        ("list[int]", "list[int]"),
        ("list[list[str?]]?", "list[list[str | None]] | None"),
        ("dict", "dict[str, Any]"),
    ],
)
def test_types(text: str, python: str) -> None:
    assert v.parse_type(text).python() == python
    assert str(v.parse_type(text)) == text


def test_type_accepts() -> None:
    assert v.parse_type("float").accepts(1)
    assert not v.parse_type("int").accepts(True)
    assert v.parse_type("list[int?]").accepts([1, None])
    assert not v.parse_type("list[int]").accepts([1, "x"])
    assert v.parse_type("str?").accepts(None)


def test_args() -> None:
    assert v.parse_arg("${input.email}") == v.InputRef("email")
    assert v.parse_arg("${steps.charge.charge_id}") == v.StepRef("charge", "charge_id")
    assert v.parse_arg("${steps.approval}") == v.StepRef("approval")
    assert v.parse_arg({"a": [1, "x"]}) == v.Literal_({"a": [1, "x"]})
    for bad in (
        "x-${input.a}",
        "${input.a.b}",
        "${steps}",
        "${env.X}",
        {"a": "${input.x}"},
    ):
        with pytest.raises(SpecValueError):
            v.parse_arg(bad)


def test_id_templates() -> None:
    template = templated.parse_id_template("order-{order_id}-{n}")
    assert template.fields == ("order_id", "n")
    assert str(template) == "order-{order_id}-{n}"
    for bad in ("order-{", "x}", "{1a}", "{a b}", "", "a\nb"):
        with pytest.raises(SpecValueError):
            templated.parse_id_template(bad)


def test_env_strings() -> None:
    value = templated.parse_env_string("redis://${HOST:-localhost}:${PORT}/0")
    assert value.parts == (
        "redis://",
        templated.EnvVar("HOST", "localhost"),
        ":",
        templated.EnvVar("PORT", None),
        "/0",
    )
    assert value.example() is None
    assert templated.parse_env_string("${X:-a}").example() == "a"
    assert str(value) == "redis://${HOST:-localhost}:${PORT}/0"
    for bad in ("${X", "${1X}", "a${}b"):
        with pytest.raises(SpecValueError):
            templated.parse_env_string(bad)


def test_a_job_whose_snake_case_name_reads_like_a_digit() -> None:
    with pytest.raises(SpecValueError) as refused:
        names.job_name("L")
    assert refused.value.message == "job name 'L' reads like a digit"
    with pytest.raises(SpecValueError) as refused:
        names.job_name("l")
    assert "must be PascalCase" in refused.value.message
    assert names.job_name("I") == "I"  # its functions are `i`
