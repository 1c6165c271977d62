"""Generated output and error messages, compared byte for byte with snapshots."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.snapshots import (
    golden_cases,
    invalid_cases,
    read_tree,
    render_case,
    validate_output,
)

REGEN = "regenerate with `python -m tests.regen` and review the diff"


@pytest.mark.parametrize("case", golden_cases(), ids=lambda p: p.name)
def test_golden_output(case: Path) -> None:
    expected = read_tree(case / "expected")
    actual = render_case(case)
    assert sorted(actual) == sorted(expected), f"file list changed; {REGEN}"
    for rel, data in actual.items():
        assert data.decode() == expected[rel].decode(), f"{rel} changed; {REGEN}"


@pytest.mark.parametrize("case", invalid_cases(), ids=lambda p: p.name)
def test_invalid_spec_message(case: Path) -> None:
    code, text = validate_output(case)
    assert code == 1, text
    assert "Traceback" not in text
    assert text == (case / "expected.txt").read_text(encoding="utf-8"), REGEN
