"""The handler module of this case: `export` reports progress, but its job has
no `heartbeat:` setting to give it the callback."""

from collections.abc import Callable


def export(table: str, heartbeat: Callable[..., None]) -> None:
    """Exports a table."""
