"""The lichc CLI run in-process, and this venv's command-line tools.

The implementation is shared with the benchmarks (harness/cli.py); the tests
import it from here as before.
"""

from __future__ import annotations

from harness.cli import Result, binary, build, run_lichc, working_dir, write_spec

__all__ = ["Result", "binary", "build", "run_lichc", "working_dir", "write_spec"]
