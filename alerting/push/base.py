"""The push provider interface: one message to one device, and what can go wrong.

A provider reaches one kind of device (`PushKind`): Web Push (browsers) is the first; FCM
(Android) and APNs (iOS) implement the same `send`, and `build_services` adds them to the
`PushProviders` of the deployment. A device's `target` is whatever its provider needs to address
it, stored as the app registered it (`PUT /v1/me/push-subscription`); nothing else reads it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from alerting.domain.vocabulary import PushKind

__all__ = ["PushFailed", "PushMessage", "PushProvider", "PushProviders", "PushRetryable", "SubscriptionGone"]


@dataclass(frozen=True, slots=True)
class PushMessage:
    payload: dict[str, Any]  # the JSON the app receives: here, the alert frame
    ttl_s: int  # how long the push service may hold it for an offline device
    urgency: str = "high"  # RFC 8030: very-low | low | normal | high (FCM and APNs have their own)


class SubscriptionGone(Exception):
    """The push service says the device is no longer registered (Web Push 404/410, FCM
    UNREGISTERED, APNs 410): forget it."""


class PushFailed(Exception):
    """The push service refused or could not be reached; the caller records it and may retry.
    Its message names the service's host, never the device's address (a capability)."""


class PushRetryable(PushFailed):
    """The push service is busy or briefly down (429, 5xx): the same message may be sent again,
    after `retry_after_s` when the service said how long (Retry-After)."""

    def __init__(self, message: str, *, retry_after_s: float | None = None):
        super().__init__(message)
        self.retry_after_s = retry_after_s


class PushProvider(Protocol):
    @property
    def kind(self) -> PushKind:
        """The kind of device this provider reaches."""
        ...

    async def send(self, target: Mapping[str, Any], message: PushMessage) -> None:
        """Deliver `message` to the device at `target`, or raise SubscriptionGone / PushFailed
        (PushRetryable when sending it again later may succeed)."""
        ...

    def refusal(self, target: Mapping[str, Any]) -> tuple[str, str] | None:
        """(the target's field, why) when a device registering `target` could never be reached
        by this deployment (an app it has no key for), else None."""
        ...

    async def aclose(self) -> None:
        """Close the provider's connections (a process's services are closing)."""
        ...


class PushProviders:
    """The providers of this deployment, by the kind of device each reaches."""

    def __init__(self, providers: Iterable[PushProvider]):
        self._by_kind: dict[PushKind, PushProvider] = {}
        for provider in providers:
            if provider.kind in self._by_kind:
                raise ValueError(f"two push providers for {provider.kind}")
            self._by_kind[provider.kind] = provider

    @property
    def kinds(self) -> frozenset[PushKind]:
        return frozenset(self._by_kind)

    def get(self, kind: str) -> PushProvider | None:
        """The provider for `kind`, or None when this deployment sends no such pushes."""
        try:
            return self._by_kind.get(PushKind(kind))
        except ValueError:
            return None

    async def aclose(self) -> None:
        for provider in self._by_kind.values():
            await provider.aclose()
