"""The trivial handler both benchmark tasks run."""

from __future__ import annotations

from typing import Any


def touch(n: int) -> dict[str, Any]:
    return {"n": n}
