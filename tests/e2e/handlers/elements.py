"""Steps of the for_each specs, recording what ran per batch and how many
elements ran at once."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from typing import Any

CALLS: dict[str, list[str]] = defaultdict(list)
RUNNING: dict[str, int] = defaultdict(int)
MOST_AT_ONCE: dict[str, int] = defaultdict(int)
_lock = threading.Lock()


class Broken(Exception):
    """An element that fails every attempt."""


def thumbnail(batch: str, path: str, size: int) -> dict[str, Any]:
    with _lock:
        CALLS[batch].append(path)
        RUNNING[batch] += 1
        MOST_AT_ONCE[batch] = max(MOST_AT_ONCE[batch], RUNNING[batch])
    time.sleep(0.2)  # long enough for the next elements to start beside it
    with _lock:
        RUNNING[batch] -= 1
    return {"path": path, "thumb": f"{path}@{size}"}


def stamp(batch: str, thumb: str) -> str:
    with _lock:
        CALLS[batch].append(f"stamp:{thumb}")
    return f"stamped {thumb}"


def fragile(batch: str, path: str) -> str:
    with _lock:
        CALLS[batch].append(path)
    if path.startswith("bad"):
        raise Broken(f"cannot read {path}")
    return path
