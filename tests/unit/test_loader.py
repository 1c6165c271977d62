"""The loader: plain data out, positions kept, YAML surprises turned into errors."""

from __future__ import annotations

import pytest

from lichc.diagnostics import SpecError
from lichc.load.loader import MAX_DEPTH, parse
from lichc.load.nesting import too_deep

SPEC = b"""version: 1
jobs:
  SendEmail:
    run: a.b:c
    input:
      email: str
    steps:
      - {name: one, run: a.b:d}
"""


def test_data_and_positions() -> None:
    doc = parse(SPEC)
    assert doc.data["jobs"]["SendEmail"]["input"] == {"email": "str"}
    assert doc.position(("jobs", "SendEmail", "run")) == (4, 10)
    assert doc.position(("jobs", "SendEmail", "run"), key=True) == (4, 5)
    assert doc.position(("jobs", "SendEmail", "steps", 0, "run")) == (8, 26)
    # a path past what exists points at the deepest node that does
    assert doc.position(("jobs", "SendEmail", "nope", "deeper")) == (4, 5)


def test_merge_keys_and_small_aliases_are_allowed() -> None:
    doc = parse(
        b"base: &b {attempts: 3, delay: 1s}\nretry:\n  <<: *b\n  attempts: 5\nagain: *b\n"
    )
    assert doc.data["retry"] == {"attempts": 5, "delay": "1s"}
    assert doc.data["again"] == {"attempts": 3, "delay": "1s"}
    assert doc.position(("retry", "delay")) == (1, 31)


def test_utf8_bom_is_accepted() -> None:
    assert parse(b"\xef\xbb\xbfversion: 1\n").data == {"version": 1}


def test_dates_stay_text() -> None:
    assert parse(b"a: 2024-01-01\n").data == {"a": "2024-01-01"}


def errors_of(raw: bytes) -> list[str]:
    try:
        doc = parse(raw)
    except SpecError as error:
        return [d.message for d in error.diagnostics]
    return [d.message for d in doc.problems]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"a: 1\na: 2\n", "duplicate key 'a'"),
        (b"on: 1\n", "key 'on' is read as a boolean by YAML 1.1"),
        (b"a: off\n", "'off' is read as a boolean by YAML 1.1"),
        (b"a: !!binary aGk=\n", "YAML tag '!!binary' is not allowed"),
        (b"a: !custom x\n", "YAML tag '!custom' is not allowed"),
        (b"? [a]\n: 1\n", "a key must be plain text, not a list or mapping"),
        (b"~: 1\n", "key '~' must be text"),
    ],
)
def test_surprises_are_errors(raw: bytes, expected: str) -> None:
    assert expected in errors_of(raw)


def test_recursive_alias_is_an_error() -> None:
    assert any(
        "nesting deeper" in m or "aliases expand" in m
        for m in errors_of(b"a: &x [*x]\n")
    )


def test_deep_nesting_is_an_error() -> None:
    raw = b"a: " + b"[" * (MAX_DEPTH + 5) + b"]" * (MAX_DEPTH + 5) + b"\n"
    assert any("nesting deeper" in m for m in errors_of(raw))


def test_deep_nesting_is_refused_before_libyaml_parses_it() -> None:
    # PyYAML 6.0.3 crashes (SIGSEGV) composing this; the text scan refuses it first
    assert errors_of(b"[" * 100_000) == [f"nesting deeper than {MAX_DEPTH} levels"]


@pytest.mark.parametrize(
    ("raw", "where"),
    [
        (b"a: " + b"[" * 100 + b"\n", (1, 3 + MAX_DEPTH)),
        (b"a:\n" + b"- " * 100 + b"x\n", (2, 1)),
        (b"a: {b: " * 100 + b"\n", (1, 4 + 7 * (MAX_DEPTH - 1))),
    ],
)
def test_deep_nesting_error_is_located(raw: bytes, where: tuple[int, int]) -> None:
    with pytest.raises(SpecError) as caught:
        parse(raw)
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.message == f"nesting deeper than {MAX_DEPTH} levels"
    assert (diagnostic.line, diagnostic.column) == where


@pytest.mark.parametrize(
    "text",
    [
        "a: |\n  " + "[" * 100 + "\n",
        "a: '" + "[" * 100 + "'\n",
        'a: "\\"' + "{" * 100 + '"\n',
        "a: 1  # " + "[" * 100 + "\n",
        "a: x" + "[" * 100 + "\n",
    ],
)
def test_brackets_in_text_are_not_nesting(text: str) -> None:
    assert too_deep(text, MAX_DEPTH) is None


def test_true_and_false_are_booleans() -> None:
    doc = parse(b"a: true\nb: False\n")
    assert doc.data == {"a": True, "b": False}
    assert doc.problems == []
