"""What each staff role may do. A person may hold several roles; `admin` holds them all."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

__all__ = ["ROLE_LABELS", "Role", "grants"]


class Role(StrEnum):
    VIEWER = "viewer"  # reads incidents, the live map, stats and the audit
    DISPATCHER = "dispatcher"  # viewer + acts on incidents
    POLICY = "policy"  # viewer + policy, zones, AEDs, replay
    VERIFIER = "verifier"  # viewer + responders, invites, registrations, credentials, wellbeing
    ADMIN = "admin"  # all of these + staff, single sign-on settings, keys


ROLE_LABELS = {
    Role.VIEWER: "viewer",
    Role.DISPATCHER: "dispatcher",
    Role.POLICY: "policy editor",
    Role.VERIFIER: "verifier",
    Role.ADMIN: "administrator",
}


def grants(held: Iterable[str], needed: Role) -> bool:
    """Whether roles `held` allow an action that needs `needed`. Every role can read what a viewer
    reads; `admin` can do everything."""
    have = set(held)
    if Role.ADMIN in have:
        return True
    if needed is Role.VIEWER:
        return bool(have & set(Role))
    return needed in have
