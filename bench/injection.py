"""The injection property test (tests/test_injection.py), bigger, with figures.

    python -m bench.injection [--examples 2000] [--seed 0]

Draws that many hostile specs (harness/hostile_specs.py), valid ones
and ones broken on purpose, runs each through load -> validate -> plan ->
render and every check of the test (harness/injection_checks.py), without
stopping at the first failure or shrinking. Then runs `ruff format --check`
and `ruff check` once over all generated trees.
Prints how many examples ran, the failures by kind, and ruff's verdicts.
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402

from harness import injection_spec as read  # noqa: E402
from harness.hostile_specs import Drawn, specs  # noqa: E402
from harness.injection_checks import check_broken, check_everything  # noqa: E402
from harness.trees import write_tree  # noqa: E402
from lichc.diagnostics import SpecError  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="keep the generated trees here")
    args = parser.parse_args()
    run = settings(
        max_examples=args.examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    failures: dict[str, int] = collections.Counter()
    counts: dict[str, int] = collections.Counter()
    with tempfile.TemporaryDirectory(prefix="lichc-injection-") as tmp:
        where = args.keep or Path(tmp)
        trees = where / "trees"

        @seed(args.seed)
        @run
        @given(specs())
        def valid(drawn: Drawn) -> None:
            counts["valid specs"] += 1
            try:
                loaded, files = read.compile_spec(drawn.spec)
                check_everything(loaded, files)
            except SpecError as error:
                failures[f"valid spec refused: {error.diagnostics[0].message}"] += 1
                return
            except Exception as error:  # a finding: count it, go on
                failures[f"{type(error).__name__}: {str(error)[:200]}"] += 1
                return
            counts["valid specs generated and checked"] += 1
            write_tree(trees / f"example_{counts['trees']:05d}", files)
            counts["trees"] += 1

        @seed(args.seed)
        @run
        @given(specs(invalid=True))
        def broken(drawn: Drawn) -> None:
            counts["broken specs"] += 1
            try:
                check_broken(drawn)
            except BaseException as error:  # a finding: counted
                failures[
                    f"{drawn.mutation}: {type(error).__name__}: {error}"[:200]
                ] += 1
            else:
                counts["broken specs refused with a located error"] += 1

        started = time.monotonic()
        valid()
        broken()
        elapsed = time.monotonic() - started
        for name, value in counts.items():
            if name != "trees":
                print(f"{name:45} {value:6}")
        print(f"{'seconds':45} {elapsed:6.0f}")
        if trees.exists():
            # every generated file went through the formatting pass: ruff must agree
            print(f"ruff over {counts['trees']} trees:")
            for command in (read.RUFF_FORMAT, read.RUFF_CHECK):
                done = read.ruff(*command, cwd=trees)
                print(f"  {_verdict(done)}")
                if done.returncode:
                    failures[f"ruff {command[0]}: {_verdict(done)}"] += 1
    print(f"failures: {sum(failures.values())}")
    for message, count in sorted(failures.items(), key=lambda kv: -kv[1]):
        print(f"  {count:5}  {message}")
    print("verdict:", "PASS" if not failures else "FAIL")


def _verdict(done: Any) -> str:
    """ruff's summary line, with the codes of what `ruff check` found."""
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line]
    codes = collections.Counter(
        match[1] for line in lines if (match := re.search(r": ([A-Z]+[0-9]+) ", line))
    )
    found = ", ".join(f"{code} x{count}" for code, count in sorted(codes.items()))
    summary = next((line for line in reversed(lines) if not line.startswith("[*]")), "")
    return f"{summary} {found}".strip() or f"exit {done.returncode}"


if __name__ == "__main__":
    main()
