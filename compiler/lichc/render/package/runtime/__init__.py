"""The engine-neutral runtime of every generated project: ordinary Python
(linted, type-checked and unit-tested here) copied verbatim into the project
package after the do-not-edit line, like each engine's runtime/ folder.

Nothing here is imported when building: the build only reads the text.
"""

from __future__ import annotations

from pathlib import Path

# generated module (in the project package) -> its source beside this file
FILES = (("context.py", "context.py"),)


def source(name: str) -> str:
    """The text of one runtime module, as it is copied."""
    return (Path(__file__).parent / name).read_text(encoding="utf-8")
