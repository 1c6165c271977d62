"""Handlers of tests/e2e/specs/dev.yaml (the `lichc dev` end-to-end test)."""

from __future__ import annotations

import os


def greet(name: str) -> dict[str, object]:
    return {"greeting": f"hello {name}", "pid": os.getpid()}


def check(ticket: str) -> dict[str, object]:
    return {"ticket": ticket, "ok": True}


def close(ticket: str, by: str | None) -> dict[str, object]:
    return {"ticket": ticket, "closed_by": by}
