"""Email handlers. A real app would call its mail provider; the example writes
each message to an outbox folder (SHOP_OUTBOX, default ./.outbox) so runs are
visible and idempotent: the file name is derived from the message itself."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any


def _deliver(kind: str, to: str, body: dict[str, Any]) -> dict[str, Any]:
    outbox = Path(os.environ.get("SHOP_OUTBOX", ".outbox"))
    outbox.mkdir(parents=True, exist_ok=True)
    message = {"kind": kind, "to": to, **body}
    text = json.dumps(message, sort_keys=True)
    message_id = hashlib.sha256(text.encode()).hexdigest()[:16]
    # Writing the same message twice leaves one file: a redelivery sends nothing new.
    (outbox / f"{kind}-{message_id}.json").write_text(text + "\n", encoding="utf-8")
    return {"status": "sent", "email": to, "message_id": message_id}


def send_welcome(email: str, template: str = "welcome") -> dict[str, Any]:
    """Scenario 1: the welcome email after registration."""
    if "@" not in email:
        raise ValueError(f"not an email address: {email!r}")
    return _deliver("welcome", email, {"template": template})


def send_confirmation(email: str, approved_by: str | None = None) -> dict[str, Any]:
    """Last step of an order: tell the customer it is on its way."""
    return _deliver("order-confirmation", email, {"approved_by": approved_by})


async def send_onboarding_email(email: str, day: int) -> dict[str, Any]:
    """One email of the onboarding series (async handlers are awaited)."""
    return _deliver("onboarding", email, {"day": day})
