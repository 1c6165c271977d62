"""Temporal runtime: the generated code's spec-independent part, as ordinary
Python modules (linted, type-checked and unit-tested here), each copied
verbatim into the generated package after the do-not-edit header line.

Nothing here is imported when building: the modules import temporalio, and
the build only reads their text.
"""

from __future__ import annotations

from pathlib import Path

# generated module -> its source beside this file
FILES = (
    ("temporal_runtime.py", "workflow_run.py"),
    ("temporal_activity_runtime.py", "activity_support.py"),
    ("temporal_process_runtime.py", "processes.py"),
    # what the client calls: answers, the id check, the _sync wrappers' loop
    ("temporal_client_runtime.py", "client_support.py"),
)


def source(name: str) -> str:
    """The text of one runtime module, as it is copied."""
    return (Path(__file__).parent / name).read_text(encoding="utf-8")
