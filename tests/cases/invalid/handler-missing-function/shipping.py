"""The handler module of this case: `send_parcel` is misspelt."""


def send_parcels(order_id: str) -> None:
    """Ships an order."""
