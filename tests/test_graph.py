"""`lichc graph`: Mermaid flowcharts, compared with snapshots."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.cli import run_lichc
from lichc.mermaid import label
from tests.snapshots import EXAMPLE_SPEC, GRAPH, graph_cases, graph_output

REGEN = "regenerate with `python -m tests.regen` and review the diff"
NODE = re.compile(r"^\s+([a-z0-9_]+)[\[\(\{>]")


def chart(case: str) -> str:
    """`lichc graph` of a graph case's spec, rendered now (not its snapshot)."""
    code, text = graph_output(GRAPH / case)
    assert code == 0, text
    return text


@pytest.mark.parametrize("case", graph_cases(), ids=lambda p: p.name)
def test_graph_snapshot(case: Path) -> None:
    code, text = graph_output(case)
    assert code == 0, text
    assert text == (case / "expected.mmd").read_text(encoding="utf-8"), REGEN


def test_snapshots_cover_the_example_and_parallel_steps() -> None:
    assert {p.name for p in graph_cases()} >= {"shop", "parallel"}


def test_example_chart_shows_engines_queues_and_every_step_kind() -> None:
    text = chart("shop")
    assert text.startswith("flowchart TD\n")
    assert '["ProcessOrder<br/>temporal, queue orders' in text
    assert '["SendWelcomeEmail<br/>celery, queue emails"]' in text
    # a signal wait, its timeout path into the compensations, which run in reverse
    assert 'process_order__s_approval>"approval<br/>wait for approve"]' in text
    assert (
        'process_order__s_approval -->|"timeout 3d"| process_order__u_reserve_inventory'
        in text
    )
    assert (
        "process_order__u_reserve_inventory -.-> process_order__u_charge_payment"
        in (text)
    )
    assert 'user_onboarding__s_wait_1d{{"wait_1d<br/>sleep 1d"}}' in text
    assert '[("dead-letter queue dead_letter")]' in text
    assert 'cleanup_outbox__cron0[/"cron 0 3 * * *<br/>UTC"/]' in text


def test_parallel_branches_fork_and_join() -> None:
    text = chart("parallel")
    block = text[text.index("subgraph book_trip__p_book") :]
    block = block[: block.index("    end\n")]
    assert "book_trip__s_flight[" in block
    assert "book_trip__s_hotel[" in block
    for branch in ("flight", "hotel"):
        assert f"book_trip__s_hold_budget --> book_trip__s_{branch}\n" in text
        assert f"book_trip__s_{branch} --> book_trip__s_traveller_ok\n" in text
    # continue: both the signal and the timeout lead on
    assert 'book_trip__s_upgrade -->|"signal upgrade"| book_trip__s_manager' in text
    assert 'book_trip__s_upgrade -->|"timeout 1h"| book_trip__s_manager' in text
    assert 'book_trip__s_manager -->|"timeout 1d"| book_trip__failed' in text


def test_every_edge_joins_declared_nodes() -> None:
    """A typo in an id would make Mermaid invent an empty node."""
    for case in graph_cases():
        text = chart(case.name)
        declared = {m[1] for line in text.splitlines() if (m := NODE.match(line))}
        for line in text.splitlines():
            if "-->" in line or "-.->" in line:
                words = line.split()
                assert words[0] in declared, line
                assert words[-1] in declared, line


def test_labels_never_carry_syntax_from_yaml() -> None:
    text = chart("parallel")
    title = next(line for line in text.splitlines() if "BookTrip" in line)
    inner = title[title.index('["') + 2 : title.rindex('"]')]
    assert '"' not in inner
    assert "%%" not in inner
    assert "<b>" not in inner
    assert "-->" not in inner


@given(st.text())
def test_label_escapes_everything_but_plain_text(text: str) -> None:
    rendered = label(text)
    inner = rendered[1:-1]
    assert re.fullmatch(r"(?:[A-Za-z0-9 _.,:/()\[\]*+=\-@!?']|#\d+;)*", inner)
    decoded = re.sub(r"#(\d+);", lambda m: chr(int(m[1])), inner)
    assert decoded == text


def test_one_job_and_markdown_fence() -> None:
    result = run_lichc("graph", "--markdown", "-f", str(EXAMPLE_SPEC), "ResizeImage")
    assert result.code == 0, result.err
    assert result.out.startswith("```mermaid\nflowchart TD\n")
    assert result.out.endswith("```\n")
    assert "ResizeImage" in result.out
    assert "ProcessOrder" not in result.out


def test_unknown_job_is_a_usage_error() -> None:
    result = run_lichc("graph", "-f", str(EXAMPLE_SPEC), "ProcesOrder")
    assert result.code == 2
    assert "Did you mean ProcessOrder?" in result.err
