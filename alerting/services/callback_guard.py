"""Where a webhook may be sent: a CAD names its `callback_url`, so the platform must not become its
way into the deployment's own network (server-side request forgery).

A callback host must resolve only to public (globally routable, unicast) addresses; loopback,
link-local (the cloud metadata service at 169.254.169.254), private, shared, reserved and multicast
addresses are refused unless `callback_allowed_hosts` names the host or a network holding the
address. Outside development the scheme must be `https`. The check runs at intake (a 422 naming
`callback_url`) and again before every delivery, because what a name resolves to may change.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from alerting.settings import Settings

__all__ = ["Allowed", "address_class", "refusal", "resolve"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]


@dataclass(frozen=True, slots=True)
class Allowed:
    """The allow-list setting read once: exact host names and IP networks."""

    names: frozenset[str]
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]

    @classmethod
    def parse(cls, entries: Iterable[str]) -> Allowed:
        names: set[str] = set()
        networks = []
        for entry in entries:
            entry = entry.strip().lower().strip("[]")
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                names.add(entry.rstrip("."))
        return cls(frozenset(names), tuple(networks))

    def holds(self, address: IPAddress) -> bool:
        return any(address in network for network in self.networks)


def address_class(address: IPAddress) -> str | None:
    """In words, why an address is no place for a webhook; None for a public unicast address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_private:
        return "a private address"
    if not address.is_global:
        return "a reserved or shared address"
    return None


async def resolve(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for the host (what a client might connect to)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


async def refusal(url: str, settings: Settings, *, resolver: Resolver = resolve) -> str | None:
    """Why `url` may not receive webhooks, in words, or None when it may."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return "callback_url is not a valid URL"
    if parts.scheme not in ("http", "https"):
        return "callback_url must be an http or https URL"
    if parts.scheme != "https" and settings.environment != "development":
        return "callback_url must be https"
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return "callback_url has no host"
    allowed = Allowed.parse(settings.callback_allowed_hosts)
    if host in allowed.names:
        return None
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            found = await asyncio.wait_for(resolver(host, port), settings.webhook_timeout_s)
        except (OSError, TimeoutError, UnicodeError):
            return f"the host {host} of callback_url does not resolve"
        addresses = [ipaddress.ip_address(a.split("%")[0]) for a in found]
        if not addresses:
            return f"the host {host} of callback_url does not resolve"
    for address in addresses:
        reason = address_class(address)
        if reason is not None and not allowed.holds(address):
            return f"the host {host} of callback_url resolves to {reason} ({address}), which is not allowed"
    return None
