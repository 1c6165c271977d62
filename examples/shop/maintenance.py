"""Scheduled maintenance (the nightly cleanup job)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any


def cleanup_outbox(older_than_days: int = 30) -> dict[str, Any]:
    """Delete outbox messages older than the given age."""
    outbox = Path(os.environ.get("SHOP_OUTBOX", ".outbox"))
    cutoff = time.time() - older_than_days * 86_400
    removed = 0
    for message in outbox.glob("*.json") if outbox.is_dir() else ():
        if message.stat().st_mtime < cutoff:
            message.unlink(missing_ok=True)
            removed += 1
    return {"removed": removed}
