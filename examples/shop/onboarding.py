"""Onboarding handlers (scenario 4): a series that runs over several days."""

from __future__ import annotations

from typing import Any


def create_profile(user_id: str, email: str) -> dict[str, Any]:
    return {"user_id": user_id, "profile": "created"}


def check_activity(user_id: str) -> dict[str, Any]:
    """Decides which follow-up the user gets; a real app would query its database."""
    active = sum(map(ord, user_id)) % 2 == 0
    return {"user_id": user_id, "active": active}


def send_summary(email: str, active: bool) -> dict[str, Any]:
    from examples.shop.emails import _deliver

    return _deliver("onboarding-summary", email, {"active": active})
