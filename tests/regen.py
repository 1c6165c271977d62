"""Regenerate every golden output and invalid-spec snapshot.

    python -m tests.regen

Review `git diff tests/` before committing: each change must be intended.
"""

from __future__ import annotations

from tests.snapshots import (
    golden_cases,
    graph_cases,
    invalid_cases,
    write_golden,
    write_graph,
    write_invalid,
)


def main() -> None:
    for case in golden_cases():
        write_golden(case)
        print(f"golden   {case.name}")
    for case in invalid_cases():
        write_invalid(case)
        print(f"invalid  {case.name}")
    for case in graph_cases():
        write_graph(case)
        print(f"graph    {case.name}")


if __name__ == "__main__":
    main()
