"""The handler module of this case: `pack` needs a `warehouse` the job never
passes, `label` takes no `carrier`."""


def pack(order_id: str, warehouse: str) -> None:
    """Packs an order."""


def label(order_id: str) -> None:
    """Prints a label."""
