"""Values from YAML become safe, formatted Python source."""

from __future__ import annotations

import ast
import math
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lichc.fileformat.templated import parse_env_string
from lichc.render.pyformat import format_python
from lichc.render.pysource import py_docstring, py_env, py_literal, py_str, py_timedelta

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=12,
)


@given(st.text())
def test_strings_round_trip(text: str) -> None:
    assert ast.literal_eval(py_str(text)) == text


@given(json_values)
def test_literals_round_trip(value: object) -> None:
    assert ast.literal_eval(py_literal(value)) == value


def test_special_floats() -> None:
    assert math.isinf(eval(py_literal(math.inf)))


@given(st.text())
def test_docstrings_are_one_string_literal(text: str) -> None:
    source = f"def f():\n    {py_docstring(text)}\n"
    tree = ast.parse(source)
    body = tree.body[0]
    assert isinstance(body, ast.FunctionDef)
    assert len(body.body) == 1
    doc = ast.get_docstring(body, clean=False)
    assert doc is not None
    # the text survives except for whitespace normalisation
    assert "".join(doc.split()) == "".join(text.split()) or not text.strip()


@pytest.mark.parametrize(
    "text",
    ['"starts', 'ends"', 'a """ b', 'ends """', '""""""""', '"', 'x\\"', '"\n  ""'],
)
def test_docstrings_keep_every_quote(text: str) -> None:
    source = f"def f():\n    {py_docstring(text)}\n"
    body = ast.parse(source).body[0]
    assert isinstance(body, ast.FunctionDef)
    doc = ast.get_docstring(body, clean=False) or ""
    assert [line.strip() for line in doc.splitlines() if line.strip()] == [
        line.strip() for line in text.splitlines() if line.strip()
    ]


def test_the_formatting_pass_keeps_every_value() -> None:
    """What pysource writes, ruff may lay out anew (render/pyformat.py), but
    never change: every string, literal and (cleaned) docstring survives."""
    samples = [
        'a "quoted" word',
        "it's",
        "back\\slash",
        "both ' and \"",
        "tab\there",
        "ünïcødé",
        "\x00\x1f",
        'ends with "',
        '"starts with a quote',
        'three """ in a row',
        'ends with three """',
        '""""""""',
    ]
    blocks = ["from datetime import timedelta"]
    for i, text in enumerate(samples):
        doc = py_docstring(text + chr(10) + "  more " + text)
        blocks.append(f"def f{i}() -> None:\n    {doc}")
        blocks.append(
            f"X{i} = {py_str(text)}\nY{i} = {py_literal({'k': [text, 1, None]})}"
        )
    blocks.append(f"T = {py_timedelta(timedelta(hours=1, minutes=30, milliseconds=5))}")
    source = "\n\n\n".join(blocks) + "\n"
    formatted = format_python({"m.py": source})["m.py"]
    assert format_python({"m.py": formatted})["m.py"] == formatted  # a fixed point
    assert _values(formatted) == _values(source)


def _values(source: str) -> list[object]:
    """Every constant of `source`; of docstrings, each line without its indentation."""
    values: list[object] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef):
            doc = ast.get_docstring(node, clean=False) or ""
            values.append(("doc", [s.strip() for s in doc.splitlines() if s.strip()]))
        elif isinstance(node, ast.Constant) and not isinstance(node.value, str):
            values.append(node.value)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            values.append(node.value.value)
    return values


def test_env_expressions() -> None:
    assert py_env(parse_env_string("${URL:-redis://x}")) == 'env("URL", "redis://x")'
    assert py_env(parse_env_string("a${B}c")) == '"a" + env("B") + "c"'
    assert py_env(parse_env_string("plain")) == '"plain"'


@settings(max_examples=50)
@given(st.integers(min_value=0, max_value=10**9))
def test_timedelta_round_trips(ms: int) -> None:
    value = timedelta(milliseconds=ms)
    assert eval(py_timedelta(value), {"timedelta": timedelta}) == value
