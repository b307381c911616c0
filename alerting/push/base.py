"""The push provider interface: one message to one subscription, and what can go wrong.

Web Push is the first provider; FCM and APNs would implement the same `send`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class PushMessage:
    payload: dict[str, Any]  # the JSON the app receives: here, the alert frame
    ttl_s: int  # how long the push service may hold it for an offline device
    urgency: str = "high"  # RFC 8030: very-low | low | normal | high


class SubscriptionGone(Exception):
    """The push service says the subscription no longer exists (404/410): forget it."""


class PushFailed(Exception):
    """The push service refused or could not be reached; the caller records it and may retry."""


class PushProvider(Protocol):
    async def send(self, subscription: dict[str, Any], message: PushMessage) -> None:
        """Deliver or raise SubscriptionGone / PushFailed. `subscription` is {endpoint, keys}."""
        ...
